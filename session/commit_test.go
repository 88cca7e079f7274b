package session_test

import (
	"context"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

var errCommit = errors.New("injected commit failure")

// commitFailStore is a memstore whose transactions fail to commit while
// fail is set: unlock(true) undoes the writes and returns errCommit, as a
// database whose COMMIT fails (or a store that finds at commit time that
// another operation consumed the same prekey).
type commitFailStore struct {
	*memstore.Store
	fail bool
}

func (s *commitFailStore) LockAddress(ctx context.Context, addr session.Address) (context.Context, func(bool) error, error) {
	lctx, unlock, err := s.Store.LockAddress(ctx, addr)
	if err != nil {
		return nil, nil, err
	}
	return lctx, func(commit bool) error {
		if commit && s.fail {
			return errors.Join(unlock(false), errCommit)
		}
		return unlock(commit)
	}, nil
}

// TestFailedCommit: an operation whose Locker commit fails fails too, and a
// decrypt then returns no plaintext (the session.Locker contract).
func TestFailedCommit(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{"PreKey", "Signal"} {
		t.Run(kind, func(t *testing.T) {
			alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
			st := &commitFailStore{Store: bob.store}
			m := session.NewManager(session.StoresOf(st))
			if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
				t.Fatal(err)
			}
			msg := send(t, alice, bob, "hello")
			if kind == "Signal" {
				recv(t, bob, alice, msg, "hello")
				recv(t, alice, bob, send(t, bob, alice, "reply"), "reply")
				msg = send(t, alice, bob, "signal")
			}
			before := bob.store.SessionBytes(alice.addr())
			st.fail = true
			pt, err := m.Decrypt(ctx, alice.addr(), msg)
			if !errors.Is(err, errCommit) || pt != nil {
				t.Fatalf("Decrypt whose commit failed: %q, %v; want no plaintext and the commit error", pt, err)
			}
			handled := false
			err = m.DecryptWith(ctx, alice.addr(), msg, func([]byte) error { handled = true; return nil })
			if !errors.Is(err, errCommit) || !handled {
				t.Fatalf("DecryptWith whose commit failed: %v (handler ran: %v); want the commit error", err, handled)
			}
			if _, err := m.Encrypt(ctx, alice.addr(), []byte("x")); kind == "Signal" && !errors.Is(err, errCommit) {
				t.Fatalf("Encrypt whose commit failed: %v; want the commit error", err)
			}
			if string(before) != string(bob.store.SessionBytes(alice.addr())) {
				t.Fatal("an operation whose commit failed changed the stored record")
			}
			st.fail = false
			if pt, err := m.Decrypt(ctx, alice.addr(), msg); err != nil || string(pt) != "hello" && string(pt) != "signal" {
				t.Fatalf("Decrypt once commits work: %q, %v", pt, err)
			}
		})
	}
}
