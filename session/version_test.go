package session_test

import (
	"context"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// TestMinimumVersion is the regression test of finding 7 (silent
// downgrade): with WithMinimumVersion(x3dh.V4), a bundle whose KEM prekey
// was stripped is refused instead of giving a v3 session, and a v3 PreKey
// message is refused before any prekey is used; the default still speaks
// v3 to the v3 profile's peers.
func TestMinimumVersion(t *testing.T) {
	ctx := context.Background()
	alice := newDevice(t, "alice", session.WithMinimumVersion(x3dh.V4))
	bob := newDevice(t, "bob", session.WithMinimumVersion(x3dh.V4))
	stripped := bob.bundle(t, true, false) // no KEM prekey
	if err := alice.m.ProcessBundle(ctx, bob.addr(), stripped); !errors.Is(err, session.ErrMinimumVersion) {
		t.Fatalf("stripped bundle: %v, want ErrMinimumVersion", err)
	}
	if ok, _ := alice.m.HasSession(ctx, bob.addr()); ok {
		t.Fatal("a refused bundle made a session")
	}

	// A v3 initiator (default options) to a v4-minimum responder.
	carol := newDevice(t, "carol")
	if err := carol.m.ProcessBundle(ctx, bob.addr(), stripped); err != nil {
		t.Fatal(err)
	}
	msg := send(t, carol, bob, "hi")
	before := bob.store.SessionBytes(carol.addr())
	if _, err := bob.m.Decrypt(ctx, carol.addr(), msg); !errors.Is(err, session.ErrMinimumVersion) {
		t.Fatalf("v3 PreKey message: %v, want ErrMinimumVersion", err)
	}
	if before != nil || bob.store.SessionBytes(carol.addr()) != nil {
		t.Fatal("the refused PreKey message stored a session")
	}
	if !bob.store.HasPreKey(bob.next) {
		t.Fatal("the refused PreKey message consumed its one-time prekey")
	}

	// v4 works under the minimum, and v3 under the default.
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
		t.Fatal(err)
	}
	recv(t, bob, alice, send(t, alice, bob, "pq"), "pq")
	dave, erin := newDevice(t, "dave"), newDevice(t, "erin")
	if err := dave.m.ProcessBundle(ctx, erin.addr(), erin.bundle(t, true, false)); err != nil {
		t.Fatal(err)
	}
	recv(t, erin, dave, send(t, dave, erin, "v3"), "v3")
}

// TestProcessBundleNil (finding 9): a nil bundle is an error, not a panic.
func TestProcessBundleNil(t *testing.T) {
	alice := newDevice(t, "alice")
	err := alice.m.ProcessBundle(context.Background(), session.Address{Name: "bob", DeviceID: 1}, nil)
	if !errors.Is(err, x3dh.ErrInvalidBundle) {
		t.Fatalf("ProcessBundle(nil) = %v, want x3dh.ErrInvalidBundle", err)
	}
}

// TestNewManagerPanicsWithoutStores documents NewManager's contract.
func TestNewManagerPanicsWithoutStores(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewManager(Stores{}) did not panic")
		}
	}()
	session.NewManager(session.Stores{})
}
