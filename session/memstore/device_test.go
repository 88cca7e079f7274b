package memstore_test

import (
	"context"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/prekey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// TestNewDevice: NewDevice makes a device with its own identity and a
// registration id in libsignal's range, which a snapshot keeps.
func TestNewDevice(t *testing.T) {
	ctx := context.Background()
	a, err := memstore.NewDevice()
	if err != nil {
		t.Fatal(err)
	}
	b, err := memstore.NewDevice()
	if err != nil {
		t.Fatal(err)
	}
	ida, _ := a.IdentityKeyPair(ctx)
	idb, _ := b.IdentityKeyPair(ctx)
	if ida == nil || idb == nil || ida.PublicKey().Equal(idb.PublicKey()) {
		t.Fatal("two new devices must have two identities")
	}
	reg, _ := a.LocalRegistrationID(ctx)
	if reg < 1 || reg > prekey.MaxRegistrationID {
		t.Fatalf("registration id %d", reg)
	}
	snap, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	restored, err := memstore.Unmarshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := restored.IdentityKeyPair(ctx)
	if r, _ := restored.LocalRegistrationID(ctx); !id.PublicKey().Equal(ida.PublicKey()) || r != reg {
		t.Fatal("the snapshot of a new device is another device")
	}
}

// TestTrustInTransaction: with the context of LockAddress, Trust is staged
// like SaveIdentity: Identity sees it in the transaction, and it applies on
// unlock(true) only.
func TestTrustInTransaction(t *testing.T) {
	ctx := context.Background()
	st, err := memstore.NewDevice()
	if err != nil {
		t.Fatal(err)
	}
	addr := session.Address{Name: "peer", DeviceID: 1}
	k1, _ := curve.GenerateKeyPair()
	k2, _ := curve.GenerateKeyPair()
	if err := st.Trust(ctx, addr, k1.Public); err != nil {
		t.Fatal(err)
	}
	for _, commit := range []bool{false, true} {
		tctx, unlock, err := st.LockAddress(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Trust(tctx, addr, k2.Public); err != nil {
			t.Fatal(err)
		}
		if k, ok, err := st.Identity(tctx, addr); err != nil || !ok || !k.Equal(k2.Public) {
			t.Fatalf("Identity in the transaction does not see its Trust (%v, %v)", ok, err)
		}
		if k, ok, err := st.Identity(ctx, addr); err != nil || !ok || !k.Equal(k1.Public) {
			t.Fatalf("Identity outside the transaction sees its Trust before the commit (%v, %v)", ok, err)
		}
		if err := unlock(commit); err != nil {
			t.Fatal(err)
		}
		want := k1.Public
		if commit {
			want = k2.Public
		}
		if k, ok, err := st.Identity(ctx, addr); err != nil || !ok || !k.Equal(want) {
			t.Fatalf("after unlock(%v): Identity is not the expected key (%v, %v)", commit, ok, err)
		}
	}
}
