package sealedsender

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

// testNow is the time every test validates certificates at.
var testNow = time.UnixMilli(1_800_000_000_000)

// world is a trust root and a server certificate signed by it.
type world struct {
	root      *curve.IdentityKeyPair
	serverKey *curve.IdentityKeyPair
	server    *ServerCertificate
}

func newWorld(t testing.TB) *world {
	t.Helper()
	root, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	serverKey, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	server, err := NewServerCertificate(7, serverKey.PublicKey(), root)
	if err != nil {
		t.Fatal(err)
	}
	return &world{root: root, serverKey: serverKey, server: server}
}

func (w *world) certify(t testing.TB, s Sender) *SenderCertificate {
	t.Helper()
	c, err := NewSenderCertificate(s, w.server, w.serverKey)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// device is one device of an account: stores, Manager, sender-key cipher
// and sealed-sender Cipher.
type device struct {
	addr   session.Address
	id     *curve.IdentityKeyPair
	regID  uint32
	store  *memstore.Store
	m      *session.Manager
	gstore *senderkey.MemoryStore
	groups *senderkey.Cipher
	c      *Cipher
	cert   *SenderCertificate
}

func newUUID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

// newDevice makes device dev of account uuid; devices of one account share
// identity when id is not nil.
func newDevice(t testing.TB, w *world, uuid string, dev uint32, id *curve.IdentityKeyPair) *device {
	t.Helper()
	if id == nil {
		var err error
		if id, err = curve.GenerateIdentityKeyPair(); err != nil {
			t.Fatal(err)
		}
	}
	var r [2]byte
	rand.Read(r[:])
	// 1 to MaxRegistrationID: a sent message carries 14 bits.
	regID := (uint32(r[0])<<8|uint32(r[1]))%MaxRegistrationID + 1
	d := &device{addr: session.Address{Name: uuid, DeviceID: dev}, id: id, regID: regID}
	d.store = memstore.New(id, regID)
	d.m = session.NewManager(session.StoresOf(d.store))
	d.gstore = &senderkey.MemoryStore{}
	d.groups = senderkey.NewCipher(d.gstore)
	c, err := NewCipher(Config{
		Sessions:   d.m,
		Identity:   d.store,
		Groups:     d.groups,
		TrustRoots: []curve.PublicKey{w.root.PublicKey()},
		Local:      LocalAddress{UUID: uuid, DeviceID: dev},
		Now:        func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	d.c = c
	d.cert = w.certify(t, Sender{UUID: uuid, DeviceID: dev, IdentityKey: id.PublicKey(), Expires: testNow.Add(time.Hour)})
	return d
}

// bundle publishes a v4 bundle of d (signed prekey, one-time prekey and a
// last-resort Kyber prekey).
func (d *device) bundle(t testing.TB) *x3dh.Bundle {
	t.Helper()
	ctx := context.Background()
	spk, err := x3dh.GenerateSignedPreKey(d.id, 1)
	if err != nil {
		t.Fatal(err)
	}
	kpk, err := x3dh.GenerateKEMPreKey(d.id, 1, x3dh.Kyber1024)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.store.AddSignedPreKey(ctx, spk); err != nil {
		t.Fatal(err)
	}
	if err := d.store.AddLastResortKEMPreKey(ctx, kpk); err != nil {
		t.Fatal(err)
	}
	kemPub := kpk.Public()
	b, err := x3dh.NewBundle(d.regID, d.addr.DeviceID, d.id.PublicKey(), spk.Public(), nil, &kemPub)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// connect makes a start a session with b.
func connect(t testing.TB, a, b *device) {
	t.Helper()
	if err := a.m.ProcessBundle(context.Background(), b.addr, b.bundle(t)); err != nil {
		t.Fatal(err)
	}
}

// state is everything d stores, encoded, to compare before and after a
// failed decrypt.
func (d *device) state(t testing.TB) []byte {
	t.Helper()
	b, err := d.store.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (d *device) groupState(t testing.TB, sender senderkey.Sender, id senderkey.DistributionID) []byte {
	t.Helper()
	rec, err := d.gstore.LoadSenderKey(context.Background(), sender, id)
	if err != nil {
		t.Fatal(err)
	}
	if rec == nil {
		return nil
	}
	b, err := rec.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustDecrypt(t testing.TB, d *device, env []byte, want string) *Result {
	t.Helper()
	r, err := d.c.Decrypt(context.Background(), env)
	if err != nil {
		t.Fatalf("%s: decrypt: %v", d.addr, err)
	}
	if string(r.Plaintext) != want {
		t.Fatalf("%s: got %q, want %q", d.addr, r.Plaintext, want)
	}
	return r
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameBytes(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s changed", what)
	}
}

var _ = fmt.Sprint
