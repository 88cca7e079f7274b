package omemo

import (
	"context"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
)

var errInjected = errors.New("injected store failure")

// failingIdentity is a MemStore whose SaveIdentity fails while fail is set.
type failingIdentity struct {
	*MemStore
	fail bool
}

func (s *failingIdentity) SaveIdentity(ctx context.Context, addr session.Address, id curve.PublicKey) error {
	if s.fail {
		return errInjected
	}
	return s.MemStore.SaveIdentity(ctx, addr, id)
}

// TestKeyExchangeIdentitySaveAtomic (review finding 6): a key exchange
// whose identity save fails must store nothing (no session, the one-time
// prekey kept), so that the same message decrypts once the store works
// again; before, the session was stored and the prekey consumed first,
// and the message was lost. Either Decrypt succeeds with the identity
// saved, or it fails and Bob's state is as before.
func TestKeyExchangeIdentitySaveAtomic(t *testing.T) {
	ctx := context.Background()
	alice := newTestDevice(t, V2, "alice@example.org", 1, 3)
	bob := newTestDevice(t, V2, "bob@example.org", 2, 3)
	fs := &failingIdentity{MemStore: bob.store, fail: true}
	m, err := NewManager(V2, fs, bob.jid, bob.id)
	if err != nil {
		t.Fatal(err)
	}
	connect(t, alice, bob)
	e := send(t, alice, []byte("hello"), bob)
	before := snapshot(bob, alice.addr())
	got, err := m.Decrypt(ctx, alice.jid, clone(e))
	if err != nil {
		if snapshot(bob, alice.addr()) != before {
			t.Fatalf("Decrypt failed (%v) but stored a session, consumed a prekey or saved an identity", err)
		}
		fs.fail = false
		if got, err = m.Decrypt(ctx, alice.jid, clone(e)); err != nil {
			t.Fatalf("the same key exchange once the store works: %v", err)
		}
	}
	if string(got) != "hello" {
		t.Fatalf("got %q", got)
	}
	want, _ := MontgomeryPublicKey(alice.bundle.IdentityKeyEd25519[:])
	if id, ok, _ := bob.store.Identity(ctx, alice.addr()); !ok || id != want {
		t.Fatalf("identity not saved with the session: %v %v", id, ok)
	}
}

// failingStoreV2 is a MemStore whose StoreSessionV2 fails while fail is
// set and an identity is to be saved with the session.
type failingStoreV2 struct {
	*MemStore
	fail bool
}

func (s *failingStoreV2) StoreSessionV2(ctx context.Context, addr session.Address, rec []byte, consumed *uint32, identity *curve.PublicKey) error {
	if s.fail && identity != nil {
		return errInjected
	}
	return s.MemStore.StoreSessionV2(ctx, addr, rec, consumed, identity)
}

// TestNewSessionStoredWithIdentity: ProcessBundle and a received key
// exchange store the new session together with the peer's identity, in
// one StoreSessionV2 call; when it fails, nothing is stored and the error
// is the store's.
func TestNewSessionStoredWithIdentity(t *testing.T) {
	ctx := context.Background()
	alice := newTestDevice(t, V2, "alice@example.org", 1, 3)
	bob := newTestDevice(t, V2, "bob@example.org", 2, 3)
	fa := &failingStoreV2{MemStore: alice.store, fail: true}
	ma, err := NewManager(V2, fa, alice.jid, alice.id)
	if err != nil {
		t.Fatal(err)
	}
	empty := snapshot(alice, bob.addr())
	if err := ma.ProcessBundle(ctx, bob.jid, bob.bundle); !errors.Is(err, errInjected) {
		t.Fatalf("ProcessBundle with a failing store: %v", err)
	}
	if snapshot(alice, bob.addr()) != empty {
		t.Fatal("a failed ProcessBundle stored something")
	}
	fa.fail = false
	if err := ma.ProcessBundle(ctx, bob.jid, bob.bundle); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := alice.store.Identity(ctx, bob.addr()); !ok {
		t.Fatal("ProcessBundle did not save the identity")
	}
	e, err := ma.Encrypt(ctx, []byte("hi"), []session.Address{bob.addr()})
	if err != nil {
		t.Fatal(err)
	}
	fb := &failingStoreV2{MemStore: bob.store, fail: true}
	mb, err := NewManager(V2, fb, bob.jid, bob.id)
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot(bob, alice.addr())
	if _, err := mb.Decrypt(ctx, alice.jid, clone(e)); !errors.Is(err, errInjected) {
		t.Fatalf("key exchange with a failing store: %v", err)
	}
	if snapshot(bob, alice.addr()) != before {
		t.Fatal("a failed key exchange stored something")
	}
	fb.fail = false
	if got, err := mb.Decrypt(ctx, alice.jid, clone(e)); err != nil || string(got) != "hi" {
		t.Fatalf("the same key exchange once the store works: %q, %v", got, err)
	}
}
