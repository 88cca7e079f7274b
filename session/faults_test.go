package session_test

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

var errDisk = errors.New("injected store fault")

// faultyStore fails reads or writes whenever fail says so.
type faultyStore struct {
	*memstore.Store
	fail func(op string) bool
}

func (f *faultyStore) LoadSession(ctx context.Context, a session.Address) (*session.Record, error) {
	if f.fail("LoadSession") {
		return nil, errDisk
	}
	return f.Store.LoadSession(ctx, a)
}

func (f *faultyStore) StoreSession(ctx context.Context, a session.Address, r *session.Record, c session.Consumed) error {
	if f.fail("StoreSession") {
		return errDisk
	}
	return f.Store.StoreSession(ctx, a, r, c)
}

func (f *faultyStore) SaveIdentity(ctx context.Context, a session.Address, id curve.PublicKey) error {
	if f.fail("SaveIdentity") {
		return errDisk
	}
	return f.Store.SaveIdentity(ctx, a, id)
}

func (f *faultyStore) LoadPreKey(ctx context.Context, id uint32) (*x3dh.OneTimePreKey, error) {
	if f.fail("LoadPreKey") {
		return nil, errDisk
	}
	return f.Store.LoadPreKey(ctx, id)
}

// TestStoreFaults runs a conversation in which the stores of both sides fail
// at random points. A failed encrypt sends nothing; a failed decrypt returns
// no plaintext and commits nothing, and the same message decrypts once the
// store recovers. Every message is delivered exactly once.
func TestStoreFaults(t *testing.T) {
	for _, pq := range []bool{false, true} {
		t.Run(fmt.Sprint("pq=", pq), func(t *testing.T) {
			ctx := context.Background()
			rng := mrand.New(mrand.NewPCG(3, 4))
			broken := false
			fail := func(string) bool { return broken && rng.IntN(2) == 0 }
			alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
			for _, d := range []*device{alice, bob} {
				d.m = session.NewManager(session.StoresOf(&faultyStore{Store: d.store, fail: fail}))
			}
			if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, pq)); err != nil {
				t.Fatal(err)
			}
			var encFaults, decFaults, delivered int
			for i := range 200 {
				from, to := alice, bob
				if (i/3)%2 == 1 {
					from, to = bob, alice
				}
				text := fmt.Sprint("message ", i)
				var msg session.Message
				for {
					broken = rng.IntN(3) == 0
					m, err := from.m.Encrypt(ctx, to.addr(), []byte(text))
					broken = false
					if err == nil {
						msg = m
						break
					}
					if !errors.Is(err, errDisk) {
						t.Fatalf("encrypt %d: %v", i, err)
					}
					encFaults++
				}
				for {
					before := to.store.SessionBytes(from.addr())
					broken = rng.IntN(3) == 0
					pt, err := to.m.Decrypt(ctx, from.addr(), msg)
					broken = false
					if err == nil {
						if string(pt) != text {
							t.Fatalf("got %q, want %q", pt, text)
						}
						delivered++
						break
					}
					if !errors.Is(err, errDisk) {
						t.Fatalf("decrypt %d: %v", i, err)
					}
					if pt != nil {
						t.Fatal("plaintext released by a decrypt whose state was not saved")
					}
					if string(before) != string(to.store.SessionBytes(from.addr())) {
						t.Fatal("a failed decrypt changed the stored record")
					}
					decFaults++
				}
				// A second delivery is a duplicate, never a second plaintext.
				if _, err := to.m.Decrypt(ctx, from.addr(), msg); err == nil {
					t.Fatalf("message %d decrypted twice", i)
				}
			}
			if delivered != 200 || encFaults == 0 || decFaults == 0 {
				t.Fatalf("delivered %d, encrypt faults %d, decrypt faults %d", delivered, encFaults, decFaults)
			}
			t.Logf("200 messages delivered exactly once through %d encrypt and %d decrypt store faults", encFaults, decFaults)
		})
	}
}
