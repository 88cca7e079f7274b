package omemo

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// testDevice is one device: its store, Manager and bundle.
type testDevice struct {
	jid    string
	id     uint32
	store  *MemStore
	m      *Manager
	bundle *Bundle
}

func (d *testDevice) addr() session.Address { return session.Address{Name: d.jid, DeviceID: d.id} }

func newTestDevice(t testing.TB, v Version, jid string, id uint32, preKeys int) *testDevice {
	t.Helper()
	ctx := context.Background()
	ik, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	st := NewMemStore(ik)
	spk, err := GenerateSignedPreKey(v, ik, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddSignedPreKey(ctx, spk); err != nil {
		t.Fatal(err)
	}
	var pks []*x3dh.OneTimePreKey
	for i := range preKeys {
		pk, err := x3dh.GenerateOneTimePreKey(uint32(100 + i))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddPreKey(ctx, pk); err != nil {
			t.Fatal(err)
		}
		pks = append(pks, pk)
	}
	b, err := NewBundle(v, id, ik, spk, pks)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewManager(v, st, jid, id)
	if err != nil {
		t.Fatal(err)
	}
	return &testDevice{jid: jid, id: id, store: st, m: m, bundle: b}
}

// send encrypts pt from d to the devices and returns the element after an
// XML round trip.
func send(t testing.TB, from *testDevice, pt []byte, to ...*testDevice) *Encrypted {
	t.Helper()
	var addrs []session.Address
	for _, d := range to {
		addrs = append(addrs, d.addr())
	}
	e, err := from.m.Encrypt(context.Background(), pt, addrs)
	if err != nil {
		t.Fatal(err)
	}
	x, err := e.XML()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseEncrypted(x)
	if err != nil {
		t.Fatalf("ParseEncrypted(%s): %v", x, err)
	}
	return back
}

// connect starts a session from `from` to `to` with to's bundle (the
// one-time prekeys it still holds), after an XML round trip.
func connect(t testing.TB, from, to *testDevice) {
	t.Helper()
	cur := *to.bundle
	cur.PreKeys = nil
	for _, p := range to.bundle.PreKeys {
		if to.store.HasPreKey(p.ID) {
			cur.PreKeys = append(cur.PreKeys, p)
		}
	}
	x, err := cur.XML()
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseBundle(x, to.id)
	if err != nil {
		t.Fatal(err)
	}
	if err := from.m.ProcessBundle(context.Background(), to.jid, b); err != nil {
		t.Fatal(err)
	}
}

// snapshot is everything a failed Decrypt must leave alone: the session
// records of both versions with peer, and whether each prekey is stored.
func snapshot(d *testDevice, peer session.Address) string {
	v2, _ := d.store.LoadSessionV2(context.Background(), peer)
	s := fmt.Sprintf("%x|%x|", v2, d.store.SessionBytes(peer))
	for id := uint32(100); id < 120; id++ {
		s += fmt.Sprint(d.store.HasPreKey(id))
	}
	idk, ok, _ := d.store.Identity(context.Background(), peer)
	return s + fmt.Sprint(idk, ok)
}

func clone(e *Encrypted) *Encrypted {
	c := *e
	c.Keys = append([]Key(nil), e.Keys...)
	for i := range c.Keys {
		c.Keys[i].Data = bytes.Clone(e.Keys[i].Data)
	}
	c.IV = bytes.Clone(e.IV)
	c.Payload = bytes.Clone(e.Payload)
	return &c
}
