package storetest

// The contract of session.DeviceStore (session/device_store.go), checked
// through Device.Writer against what the stores of package session see.

import (
	"context"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// count checks the Writer's PreKeyCount.
func (d *device) count(t *testing.T, wantOneTime, wantKEM int, when string) {
	t.Helper()
	o, k, err := d.dev.Writer.PreKeyCount(context.Background())
	if err != nil {
		t.Fatalf("PreKeyCount %s: %v", when, err)
	}
	if o != wantOneTime || k != wantKEM {
		t.Fatalf("PreKeyCount %s = %d one-time, %d one-time KEM; want %d, %d (last-resort KEM prekeys are not counted)",
			when, o, k, wantOneTime, wantKEM)
	}
}

func (s *suite) testDeviceStorePreKeys(t *testing.T) {
	ctx := context.Background()
	src, d := s.device(t, "alice"), s.device(t, "self")
	w := d.dev.Writer
	d.count(t, 0, 0, "with a signed prekey and a last-resort KEM prekey only")

	otk := func(id uint32) *x3dh.OneTimePreKey {
		k, err := x3dh.GenerateOneTimePreKey(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.AddPreKey(ctx, k); err != nil {
			t.Fatalf("AddPreKey(%d): %v", id, err)
		}
		return k
	}
	kem := func(id uint32, lastResort bool) *x3dh.KEMPreKey {
		k, err := x3dh.GenerateKEMPreKey(d.id, id, x3dh.Kyber1024)
		if err != nil {
			t.Fatal(err)
		}
		add, name := w.AddKEMPreKey, "AddKEMPreKey"
		if lastResort {
			add, name = w.AddLastResortKEMPreKey, "AddLastResortKEMPreKey"
		}
		if err := add(ctx, k); err != nil {
			t.Fatalf("%s(%d): %v", name, id, err)
		}
		return k
	}
	for id := uint32(200); id < 203; id++ {
		otk(id)
	}
	for id := uint32(300); id < 303; id++ {
		kem(id, false)
	}
	d.count(t, 3, 3, "after adding three of each")
	kem(310, true)
	d.count(t, 3, 3, "after adding a second last-resort KEM prekey")

	// Replacing by id: a one-time KEM prekey added again as last resort is
	// no longer counted, and the other way round.
	kem(302, true)
	d.count(t, 3, 2, "after KEM prekey 302 was replaced by a last-resort one")
	kem(302, false)
	d.count(t, 3, 3, "after KEM prekey 302 was replaced by a one-time one again")

	if err := w.RemovePreKey(ctx, 200); err != nil {
		t.Fatalf("RemovePreKey: %v", err)
	}
	if hasPreKey(t, d.st, 200) {
		t.Fatal("RemovePreKey(200): the prekey still loads")
	}
	if err := w.RemoveKEMPreKey(ctx, 300); err != nil {
		t.Fatalf("RemoveKEMPreKey: %v", err)
	}
	if err := w.RemoveKEMPreKey(ctx, 310); err != nil {
		t.Fatalf("RemoveKEMPreKey (last resort): %v", err)
	}
	for _, id := range []uint32{300, 310} {
		if hasKEMPreKey(t, d.st, id) {
			t.Fatalf("RemoveKEMPreKey(%d): the KEM prekey still loads", id)
		}
	}
	d.count(t, 2, 2, "after removing one of each")

	spk, err := x3dh.GenerateSignedPreKey(d.id, signedPreKeyID+1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddSignedPreKey(ctx, spk); err != nil {
		t.Fatalf("AddSignedPreKey: %v", err)
	}
	if err := w.RemoveSignedPreKey(ctx, signedPreKeyID+1); err != nil {
		t.Fatalf("RemoveSignedPreKey: %v", err)
	}
	if _, err := d.st.SignedPreKeys.LoadSignedPreKey(ctx, signedPreKeyID+1); found(t, "SignedPreKey", signedPreKeyID+1, err) {
		t.Fatal("RemoveSignedPreKey: the signed prekey still loads")
	}
	if _, err := d.st.SignedPreKeys.LoadSignedPreKey(ctx, signedPreKeyID); err != nil {
		t.Fatalf("RemoveSignedPreKey removed another signed prekey: %v", err)
	}
	if !hasKEMPreKey(t, d.st, lastResortKEMID) {
		t.Fatal("RemoveKEMPreKey removed another last-resort KEM prekey")
	}

	// Removing what is not stored is no error.
	for _, f := range []struct {
		name string
		rm   func(context.Context, uint32) error
	}{{"RemovePreKey", w.RemovePreKey}, {"RemoveSignedPreKey", w.RemoveSignedPreKey}, {"RemoveKEMPreKey", w.RemoveKEMPreKey}} {
		if err := f.rm(ctx, 999); err != nil {
			t.Fatalf("%s of a key that is not stored: %v", f.name, err)
		}
	}
	d.count(t, 2, 2, "after removing keys that are not stored")

	// A consumed key is no longer counted.
	rec := records(t, src, d, 1)[0]
	base, err := curve.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	c := session.Consumed{HasPreKey: true, PreKeyID: 201, HasKEMPreKey: true, KEMPreKeyID: 301,
		SignedPreKeyID: signedPreKeyID, BaseKey: base.Public}
	if err := d.st.Sessions.StoreSession(ctx, session.Address{Name: "peer", DeviceID: 1}, rec, c); err != nil {
		t.Fatalf("StoreSession consuming prekeys 201 and KEM 301: %v", err)
	}
	d.count(t, 1, 1, "after StoreSession consumed one of each")

	d.restart(t)
	d.count(t, 1, 1, "after a restart")
	for id, want := range map[uint32]bool{200: false, 201: false, 202: true} {
		if hasPreKey(t, d.st, id) != want {
			t.Fatalf("after a restart: one-time prekey %d present = %v, want %v", id, !want, want)
		}
	}
	for id, want := range map[uint32]bool{300: false, 301: false, 302: true, 310: false, lastResortKEMID: true} {
		if hasKEMPreKey(t, d.st, id) != want {
			t.Fatalf("after a restart: KEM prekey %d present = %v, want %v", id, !want, want)
		}
	}
}

func (s *suite) testDeviceStoreIdentity(t *testing.T) {
	ctx := context.Background()
	d := s.device(t, "self")
	peer := session.Address{Name: "peer", DeviceID: 1}
	sibling := session.Address{Name: "peer", DeviceID: 2}
	stranger := session.Address{Name: "stranger", DeviceID: 1}
	k1, _ := curve.GenerateKeyPair()
	k2, _ := curve.GenerateKeyPair()
	k3, _ := curve.GenerateKeyPair()

	identity := func(addr session.Address, want *curve.PublicKey, when string) {
		t.Helper()
		got, ok, err := d.dev.Writer.Identity(ctx, addr)
		if err != nil {
			t.Fatalf("Identity(%v) %s: %v", addr, when, err)
		}
		switch {
		case want == nil && ok:
			t.Fatalf("Identity(%v) %s returned a key, want none", addr, when)
		case want != nil && !ok:
			t.Fatalf("Identity(%v) %s returned none, want a key", addr, when)
		case want != nil && !got.Equal(*want):
			t.Fatalf("Identity(%v) %s is not the stored key", addr, when)
		}
	}
	trusted := func(addr session.Address, k curve.PublicKey, want bool, why string) {
		t.Helper()
		for _, dir := range directions {
			ok, err := d.st.Identity.IsTrustedIdentity(ctx, addr, k, dir)
			if err != nil {
				t.Fatalf("IsTrustedIdentity(%v, %v): %v", addr, dir, err)
			}
			if ok != want {
				t.Fatalf("IsTrustedIdentity(%v, %v) = %v: %s", addr, dir, ok, why)
			}
		}
	}

	identity(peer, nil, "before any")
	if err := d.st.Identity.SaveIdentity(ctx, peer, k1.Public); err != nil {
		t.Fatalf("SaveIdentity: %v", err)
	}
	identity(peer, &k1.Public, "after SaveIdentity")
	identity(sibling, nil, "of another device id of the same name")

	if err := d.dev.Writer.Trust(ctx, peer, k2.Public); err != nil {
		t.Fatalf("Trust: %v", err)
	}
	identity(peer, &k2.Public, "after Trust")
	trusted(peer, k2.Public, true, "the key given to Trust must be trusted")
	trusted(peer, k1.Public, false, "the key that Trust replaced must no longer be trusted")

	if err := d.dev.Writer.Trust(ctx, stranger, k3.Public); err != nil {
		t.Fatalf("Trust of an address without a key: %v", err)
	}
	identity(stranger, &k3.Public, "after Trust of an address without a key")
	trusted(stranger, k1.Public, false, "after Trust, only that key is trusted")

	d.restart(t)
	identity(peer, &k2.Public, "after a restart")
	identity(stranger, &k3.Public, "after a restart")
	identity(sibling, nil, "of another device id, after a restart")
}
