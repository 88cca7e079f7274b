package storetest

// The interface contracts of session/store.go, checked directly.

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

var directions = []session.Direction{session.Sending, session.Receiving}

func (s *suite) testIdentity(t *testing.T) {
	ctx := context.Background()
	d := s.device(t, "self")
	check := func(st session.Stores, when string) {
		t.Helper()
		kp, err := st.Identity.IdentityKeyPair(ctx)
		if err != nil {
			t.Fatalf("IdentityKeyPair %s: %v", when, err)
		}
		if kp == nil || !kp.PublicKey().Equal(d.id.PublicKey()) || !bytes.Equal(kp.PrivateKey().Bytes(), d.id.PrivateKey().Bytes()) {
			t.Fatalf("IdentityKeyPair %s is not the device's identity", when)
		}
		if reg, err := st.Identity.LocalRegistrationID(ctx); err != nil || reg != d.regID {
			t.Fatalf("LocalRegistrationID %s = %d, %v; want %d", when, reg, err, d.regID)
		}
	}
	check(d.st, "")

	peer := session.Address{Name: "peer", DeviceID: 1}
	sibling := session.Address{Name: "peer", DeviceID: 2}
	k1, _ := curve.GenerateKeyPair()
	k2, _ := curve.GenerateKeyPair()
	trusted := func(st session.Stores, addr session.Address, k curve.PublicKey, want bool, why string) {
		t.Helper()
		for _, dir := range directions {
			ok, err := st.Identity.IsTrustedIdentity(ctx, addr, k, dir)
			if err != nil {
				t.Fatalf("IsTrustedIdentity(%v, %v): %v", addr, dir, err)
			}
			if ok != want {
				t.Fatalf("IsTrustedIdentity(%v, %v) = %v: %s", addr, dir, ok, why)
			}
		}
	}
	trusted(d.st, peer, k1.Public, true, "a key is trusted on first use")
	if err := d.st.Identity.SaveIdentity(ctx, peer, k1.Public); err != nil {
		t.Fatalf("SaveIdentity: %v", err)
	}
	trusted(d.st, peer, k1.Public, true, "the saved key must stay trusted")
	trusted(d.st, peer, k2.Public, false, "another key than the saved one must not be trusted")
	trusted(d.st, sibling, k2.Public, true, "another device id of the same name has no saved key yet")
	if err := d.st.Identity.SaveIdentity(ctx, peer, k2.Public); err != nil {
		t.Fatalf("SaveIdentity: %v", err)
	}
	trusted(d.st, peer, k2.Public, true, "SaveIdentity must replace the saved key")
	trusted(d.st, peer, k1.Public, false, "a replaced key must no longer be trusted")

	st := d.reopen(t).Stores
	check(st, "after a restart")
	trusted(st, peer, k2.Public, true, "the saved key must survive a restart")
	trusted(st, peer, k1.Public, false, "after a restart, only the saved key is trusted")
}

// Ids that test the width and the ends of the id space.
var preKeyIDs = []uint32{0, 5, 0x00ffffff, math.MaxUint32}

func (s *suite) testPreKeysNotFound(t *testing.T) {
	ctx := context.Background()
	d := s.device(t, "self")
	for _, st := range []session.Stores{d.st, d.reopen(t).Stores} {
		for _, id := range preKeyIDs {
			if k, err := st.PreKeys.LoadPreKey(ctx, id); found(t, "PreKey", id, err) {
				t.Fatalf("LoadPreKey(%d) of an empty store returned %v", id, k)
			}
			if k, err := st.KEMPreKeys.LoadKEMPreKey(ctx, id); found(t, "KEMPreKey", id, err) {
				t.Fatalf("LoadKEMPreKey(%d) of a store without it returned %v", id, k)
			}
			if k, err := st.SignedPreKeys.LoadSignedPreKey(ctx, id); found(t, "SignedPreKey", id, err) {
				t.Fatalf("LoadSignedPreKey(%d) of a store without it returned %v", id, k)
			}
		}
	}
}

// testPreKeysRoundTrip stores prekeys of each kind under the same ids (the
// kinds are separate stores, so separate id spaces) and loads them back.
func (s *suite) testPreKeysRoundTrip(t *testing.T) {
	ctx := context.Background()
	d := s.device(t, "self")
	var (
		otks []*x3dh.OneTimePreKey
		spks []*x3dh.SignedPreKey
		kems []*x3dh.KEMPreKey
	)
	for i, id := range preKeyIDs {
		otk, err := x3dh.GenerateOneTimePreKey(id)
		if err != nil {
			t.Fatal(err)
		}
		spk, err := x3dh.GenerateSignedPreKey(d.id, id)
		if err != nil {
			t.Fatal(err)
		}
		kem, err := x3dh.GenerateKEMPreKey(d.id, id, x3dh.Kyber1024)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.dev.Writer.AddPreKey(ctx, otk); err != nil {
			t.Fatalf("AddPreKey(%d): %v", id, err)
		}
		if err := d.dev.Writer.AddSignedPreKey(ctx, spk); err != nil {
			t.Fatalf("AddSignedPreKey(%d): %v", id, err)
		}
		addKEM, name := d.dev.Writer.AddKEMPreKey, "AddKEMPreKey"
		if i%2 == 0 {
			addKEM, name = d.dev.Writer.AddLastResortKEMPreKey, "AddLastResortKEMPreKey"
		}
		if err := addKEM(ctx, kem); err != nil {
			t.Fatalf("%s(%d): %v", name, id, err)
		}
		otks, spks, kems = append(otks, otk), append(spks, spk), append(kems, kem)
	}
	for _, st := range []session.Stores{d.st, d.reopen(t).Stores} {
		for i, id := range preKeyIDs {
			otk, err := st.PreKeys.LoadPreKey(ctx, id)
			if err != nil {
				t.Fatalf("LoadPreKey(%d): %v", id, err)
			}
			if otk == nil || otk.ID != id || !samePair(otk.KeyPair, otks[i].KeyPair) {
				t.Fatalf("LoadPreKey(%d) is not the stored key", id)
			}
			spk, err := st.SignedPreKeys.LoadSignedPreKey(ctx, id)
			if err != nil {
				t.Fatalf("LoadSignedPreKey(%d): %v", id, err)
			}
			if spk == nil || spk.ID != id || !samePair(spk.KeyPair, spks[i].KeyPair) ||
				!bytes.Equal(spk.Signature, spks[i].Signature) || spk.Timestamp.UnixMilli() != spks[i].Timestamp.UnixMilli() {
				t.Fatalf("LoadSignedPreKey(%d) is not the stored key (id, key pair, signature, timestamp in ms)", id)
			}
			kem, err := st.KEMPreKeys.LoadKEMPreKey(ctx, id)
			if err != nil {
				t.Fatalf("LoadKEMPreKey(%d): %v", id, err)
			}
			want := kems[i]
			if kem == nil || kem.ID != id || kem.KeyPair.Private == nil || !kem.KeyPair.Public.Equal(want.KeyPair.Public) ||
				!bytes.Equal(kem.KeyPair.Private.LibsignalBytes(), want.KeyPair.Private.LibsignalBytes()) ||
				!bytes.Equal(kem.Signature, want.Signature) || kem.Timestamp.UnixMilli() != want.Timestamp.UnixMilli() {
				t.Fatalf("LoadKEMPreKey(%d) is not the stored key (id, key pair, signature, timestamp in ms)", id)
			}
		}
	}
}

func samePair(a, b curve.KeyPair) bool {
	return a.Private != nil && a.Public.Equal(b.Public) && bytes.Equal(a.Private.Bytes(), b.Private.Bytes())
}

// records returns n session records with distinct contents: from's
// ProcessBundle with to's bundle under n addresses, read back from from's
// store.
func records(t *testing.T, from, to *device, n int) []*session.Record {
	t.Helper()
	ctx := context.Background()
	b, _, _ := to.bundle(t, false, noKEM)
	recs := make([]*session.Record, n)
	for i := range recs {
		addr := session.Address{Name: "record-source", DeviceID: uint32(i + 1)}
		bi := *b // the same device's keys, under another device id
		bi.DeviceID = addr.DeviceID
		if err := from.m.ProcessBundle(ctx, addr, &bi); err != nil {
			t.Fatal(err)
		}
		rec, err := from.st.Sessions.LoadSession(ctx, addr)
		if err != nil || rec == nil || !rec.HasCurrentState() {
			t.Fatalf("LoadSession after ProcessBundle: %v, %v", rec, err)
		}
		recs[i] = rec
	}
	return recs
}

func (s *suite) testSessionsContract(t *testing.T) {
	ctx := context.Background()
	src, peer, d := s.device(t, "alice"), s.device(t, "bob"), s.device(t, "self")
	recs := records(t, src, peer, 2)
	want0, want1 := encode(t, recs[0]), encode(t, recs[1])
	if bytes.Equal(want0, want1) {
		t.Fatal("storetest: two new sessions encode alike")
	}
	addr := session.Address{Name: "peer", DeviceID: 1}

	if rec, err := d.st.Sessions.LoadSession(ctx, addr); rec != nil || err != nil {
		t.Fatalf("LoadSession without a record = %v, %v; want nil, nil", rec, err)
	}
	if err := d.st.Sessions.DeleteSession(ctx, addr); err != nil {
		t.Fatalf("DeleteSession without a record: %v", err)
	}

	if err := d.st.Sessions.StoreSession(ctx, addr, recs[0], session.Consumed{}); err != nil {
		t.Fatalf("StoreSession: %v", err)
	}
	if got := recordBytes(t, d.st, addr); !bytes.Equal(got, want0) {
		t.Fatal("LoadSession does not return the stored record")
	}
	// The caller may go on changing the record it stored.
	if err := recs[0].ArchiveCurrentState(); err != nil {
		t.Fatal(err)
	}
	if got := recordBytes(t, d.st, addr); !bytes.Equal(got, want0) {
		t.Fatal("changing a record after StoreSession changed the stored one: the store kept the caller's record")
	}
	// A loaded record is the caller's own.
	r1, err := d.st.Sessions.LoadSession(ctx, addr)
	if err != nil || r1 == nil {
		t.Fatalf("LoadSession: %v, %v", r1, err)
	}
	if err := r1.ArchiveCurrentState(); err != nil {
		t.Fatal(err)
	}
	if got := recordBytes(t, d.st, addr); !bytes.Equal(got, want0) {
		t.Fatal("changing a loaded record changed the stored one: LoadSession handed out a record the store keeps")
	}
	// StoreSession replaces.
	if err := d.st.Sessions.StoreSession(ctx, addr, recs[1], session.Consumed{}); err != nil {
		t.Fatalf("StoreSession: %v", err)
	}
	if got := recordBytes(t, d.st, addr); !bytes.Equal(got, want1) {
		t.Fatal("a second StoreSession did not replace the record")
	}
	if got := recordBytes(t, d.reopen(t).Stores, addr); !bytes.Equal(got, want1) {
		t.Fatal("the record did not survive a restart")
	}
	if err := d.st.Sessions.DeleteSession(ctx, addr); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	if got := recordBytes(t, d.st, addr); got != nil {
		t.Fatal("LoadSession after DeleteSession returned a record")
	}
	if got := recordBytes(t, d.reopen(t).Stores, addr); got != nil {
		t.Fatal("a deleted record came back after a restart")
	}
}

// addresses that a store must keep apart.
var addresses = []session.Address{
	{Name: "peer", DeviceID: 1},
	{Name: "peer", DeviceID: 2},
	{Name: "Peer", DeviceID: 1},
	{Name: "peer1", DeviceID: 23}, // "peer1"+"23" and "peer12"+"3" join alike
	{Name: "peer12", DeviceID: 3},
	{Name: "peer.1", DeviceID: 1}, // "peer.1.1" as name.device
	{Name: "peer", DeviceID: 0},
	{Name: "peer", DeviceID: math.MaxUint32},
	{Name: "+14155550123", DeviceID: 1},
	{Name: "PNI:3f9a2c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f", DeviceID: 1},
	{Name: "o'brien\"; DROP TABLE sessions; --", DeviceID: 1},
	{Name: "名前 ünïcødé 🙂", DeviceID: 1},
	{Name: " peer ", DeviceID: 1},
	{Name: strings.Repeat("long", 64), DeviceID: 1},
}

func (s *suite) testSessionsAddresses(t *testing.T) {
	ctx := context.Background()
	src, peer, d := s.device(t, "alice"), s.device(t, "bob"), s.device(t, "self")
	recs := records(t, src, peer, len(addresses))
	want := make([][]byte, len(recs))
	for i, addr := range addresses {
		want[i] = encode(t, recs[i])
		if err := d.st.Sessions.StoreSession(ctx, addr, recs[i], session.Consumed{}); err != nil {
			t.Fatalf("StoreSession(%q): %v", addr, err)
		}
	}
	check := func(st session.Stores, deleted int) {
		t.Helper()
		for i, addr := range addresses {
			got := recordBytes(t, st, addr)
			switch {
			case i == deleted && got != nil:
				t.Fatalf("the record of %q is still there after its DeleteSession", addr)
			case i != deleted && !bytes.Equal(got, want[i]):
				t.Fatalf("LoadSession(%q) is not the record stored for that address", addr)
			}
		}
	}
	check(d.st, -1)
	if err := d.st.Sessions.DeleteSession(ctx, addresses[0]); err != nil {
		t.Fatal(err)
	}
	check(d.st, 0)
	check(d.reopen(t).Stores, 0)

	// The Manager uses the same addresses through every store.
	for i, addr := range addresses[1:4] {
		other := s.device(t, addr.Name)
		b, _, _ := other.bundle(t, true, noKEM)
		b.DeviceID = addr.DeviceID
		if err := d.m.ProcessBundle(ctx, addr, b); err != nil {
			t.Fatalf("ProcessBundle(%q): %v", addr, err)
		}
		msg, err := d.m.Encrypt(ctx, addr, []byte("to "+addr.String()))
		if err != nil {
			t.Fatalf("Encrypt to %q: %v", addr, err)
		}
		if pt, err := other.m.Decrypt(ctx, d.addr(), msg); err != nil || string(pt) != "to "+addr.String() {
			t.Fatalf("decrypt of a message to %q: %q, %v", addr, pt, err)
		}
		for j, a := range addresses {
			if got := recordBytes(t, d.st, a); j > i+1 && !bytes.Equal(got, want[j]) {
				t.Fatalf("a session with %q changed the record of %q", addr, a)
			}
		}
	}
}

// testConsumed checks what StoreSession does with the consumed prekeys.
func (s *suite) testConsumed(t *testing.T) {
	ctx := context.Background()
	src, d := s.device(t, "alice"), s.device(t, "self")
	recs := records(t, src, d, 3)
	var otk, kem [2]uint32
	for i := range 2 {
		_, otk[i], kem[i] = d.bundle(t, true, oneTimeKEM)
	}
	base := func() curve.PublicKey {
		k, err := curve.GenerateKeyPair()
		if err != nil {
			t.Fatal(err)
		}
		return k.Public
	}
	present := func(wantOTK, wantKEM [2]bool, wantLastResort bool, when string) {
		t.Helper()
		for i := range 2 {
			if got := hasPreKey(t, d.st, otk[i]); got != wantOTK[i] {
				t.Fatalf("%s: one-time prekey %d present = %v, want %v", when, otk[i], got, wantOTK[i])
			}
			if got := hasKEMPreKey(t, d.st, kem[i]); got != wantKEM[i] {
				t.Fatalf("%s: one-time KEM prekey %d present = %v, want %v", when, kem[i], got, wantKEM[i])
			}
		}
		if !hasKEMPreKey(t, d.st, lastResortKEMID) {
			t.Fatalf("%s: the last-resort KEM prekey is gone", when)
		}
		if _, err := d.st.SignedPreKeys.LoadSignedPreKey(ctx, signedPreKeyID); err != nil {
			t.Fatalf("%s: the signed prekey is gone: %v", when, err)
		}
	}
	a := session.Address{Name: "peer", DeviceID: 1}
	if err := d.st.Sessions.StoreSession(ctx, a, recs[0], session.Consumed{}); err != nil {
		t.Fatal(err)
	}
	present([2]bool{true, true}, [2]bool{true, true}, true, "StoreSession without consumed keys")

	c := session.Consumed{HasPreKey: true, PreKeyID: otk[0], HasKEMPreKey: true, KEMPreKeyID: kem[0], SignedPreKeyID: signedPreKeyID, BaseKey: base()}
	if err := d.st.Sessions.StoreSession(ctx, a, recs[1], c); err != nil {
		t.Fatalf("StoreSession consuming prekeys %d and KEM %d: %v", otk[0], kem[0], err)
	}
	if got := recordBytes(t, d.st, a); !bytes.Equal(got, encode(t, recs[1])) {
		t.Fatal("StoreSession with consumed prekeys did not store the record")
	}
	present([2]bool{false, true}, [2]bool{false, true}, true, "after StoreSession consumed one of each")

	c = session.Consumed{HasKEMPreKey: true, KEMPreKeyID: lastResortKEMID, SignedPreKeyID: signedPreKeyID, BaseKey: base()}
	if err := d.st.Sessions.StoreSession(ctx, session.Address{Name: "other", DeviceID: 1}, recs[2], c); err != nil {
		t.Fatalf("StoreSession consuming the last-resort KEM prekey: %v", err)
	}
	present([2]bool{false, true}, [2]bool{false, true}, true, "after StoreSession used the last-resort KEM prekey")
	d.restart(t)
	present([2]bool{false, true}, [2]bool{false, true}, true, "after a restart")
}

// testConsumedTwice checks that StoreSession refuses what cannot be
// consumed: a one-time prekey or one-time KEM prekey that is gone, and a
// use of a last-resort KEM prekey (KEM prekey id, signed prekey id, base
// key) that is already recorded. A refused StoreSession writes nothing:
// neither the record nor any other prekey of its Consumed changes.
func (s *suite) testConsumedTwice(t *testing.T) {
	ctx := context.Background()
	src, d := s.device(t, "alice"), s.device(t, "self")
	recs := records(t, src, d, 3)
	_, otk, kem := d.bundle(t, true, oneTimeKEM)
	_, spare, _ := d.bundle(t, true, noKEM)
	base := func() curve.PublicKey {
		k, err := curve.GenerateKeyPair()
		if err != nil {
			t.Fatal(err)
		}
		return k.Public
	}
	a, b, c := session.Address{Name: "a", DeviceID: 1}, session.Address{Name: "b", DeviceID: 1}, session.Address{Name: "c", DeviceID: 1}
	oneTimes := session.Consumed{HasPreKey: true, PreKeyID: otk, HasKEMPreKey: true, KEMPreKeyID: kem, SignedPreKeyID: signedPreKeyID, BaseKey: base()}
	lastResort := session.Consumed{HasKEMPreKey: true, KEMPreKeyID: lastResortKEMID, SignedPreKeyID: signedPreKeyID, BaseKey: base()}
	if err := d.st.Sessions.StoreSession(ctx, a, recs[0], oneTimes); err != nil {
		t.Fatalf("StoreSession consuming prekey %d and KEM prekey %d: %v", otk, kem, err)
	}
	if err := d.st.Sessions.StoreSession(ctx, b, recs[1], lastResort); err != nil {
		t.Fatalf("StoreSession using the last-resort KEM prekey: %v", err)
	}
	refused := func(st session.Stores, cons session.Consumed, what string) {
		t.Helper()
		if err := st.Sessions.StoreSession(ctx, c, recs[2], cons); err == nil {
			t.Fatalf("StoreSession consuming %s succeeded: a one-time key must be consumed once, and a use of a last-resort KEM prekey (Consumed.KEMPreKeyID, SignedPreKeyID, BaseKey) recorded and refused again", what)
		}
		if recordBytes(t, st, c) != nil {
			t.Fatalf("the StoreSession refused for consuming %s stored its record", what)
		}
		if !hasPreKey(t, st, spare) {
			t.Fatalf("the StoreSession refused for consuming %s removed the one-time prekey %d of the same Consumed", what, spare)
		}
	}
	for _, st := range []session.Stores{d.st, d.reopen(t).Stores} {
		refused(st, oneTimes, "the same one-time keys again")
		refused(st, session.Consumed{HasPreKey: true, PreKeyID: otk}, "a one-time prekey already consumed")
		refused(st, session.Consumed{HasPreKey: true, PreKeyID: spare, HasKEMPreKey: true, KEMPreKeyID: kem, SignedPreKeyID: signedPreKeyID, BaseKey: base()},
			"a one-time KEM prekey already consumed (with a fresh one-time prekey)")
		refused(st, lastResort, "a recorded use of the last-resort KEM prekey")
		refused(st, session.Consumed{HasPreKey: true, PreKeyID: spare, HasKEMPreKey: true, KEMPreKeyID: lastResortKEMID, SignedPreKeyID: signedPreKeyID, BaseKey: lastResort.BaseKey},
			"a recorded use of the last-resort KEM prekey (with a fresh one-time prekey)")
	}
	// Another base key is another use.
	lastResort.BaseKey = base()
	if err := d.st.Sessions.StoreSession(ctx, c, recs[2], lastResort); err != nil {
		t.Fatalf("StoreSession with a new use of the last-resort KEM prekey: %v", err)
	}
	if got := recordBytes(t, d.st, c); !bytes.Equal(got, encode(t, recs[2])) {
		t.Fatal("StoreSession with a new use of the last-resort KEM prekey did not store the record")
	}
}
