package session_test

import (
	"context"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/session"
)

// TestInfo: both sides of a session see the peer's identity key and
// registration id and the session's version, from the bundle on one side
// and from the PreKey message on the other.
func TestInfo(t *testing.T) {
	ctx := context.Background()
	for _, pq := range []bool{false, true} {
		alice, bob := newDevice(t, "alice"), newDevice(t, "bob-device")
		if _, err := alice.m.Info(ctx, bob.addr()); !errors.Is(err, session.ErrNoSession) {
			t.Fatalf("Info without a session = %v, want ErrNoSession", err)
		}
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, pq)); err != nil {
			t.Fatal(err)
		}
		recv(t, bob, alice, send(t, alice, bob, "hi"), "hi")
		want := 3
		if pq {
			want = 4
		}
		for _, tc := range []struct{ self, peer *device }{{alice, bob}, {bob, alice}} {
			info, err := tc.self.m.Info(ctx, tc.peer.addr())
			if err != nil {
				t.Fatal(err)
			}
			peerReg, _ := tc.peer.store.LocalRegistrationID(ctx)
			if info.Version != want || !info.RemoteIdentity.Equal(tc.peer.id.PublicKey()) || info.RemoteRegistrationID != peerReg {
				t.Errorf("%s's Info of %s = version %d, identity %v, registration id %d; want %d, %v, %d",
					tc.self.name, tc.peer.name, info.Version, info.RemoteIdentity, info.RemoteRegistrationID, want, tc.peer.id.PublicKey(), peerReg)
			}
		}
	}
}
