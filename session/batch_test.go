package session_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/forwardsecret/signal/session"
)

// countingLocker counts the transactions (LockAddress calls) of a
// memstore session store.
type countingLocker struct {
	session.AllStores
	locks int
}

func (c *countingLocker) LockAddress(ctx context.Context, a session.Address) (context.Context, func(bool) error, error) {
	c.locks++
	return c.AllStores.(session.Locker).LockAddress(ctx, a)
}

// TestDecryptBatchLongerThanARun: a batch longer than MaxBatchRun commits
// every MaxBatchRun messages (one transaction each) and delivers them all,
// in order, with their indices in msgs.
func TestDecryptBatchLongerThanARun(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
		t.Fatal(err)
	}
	msgs := make([]session.Message, 2*session.MaxBatchRun+5)
	for i := range msgs {
		msgs[i] = send(t, alice, bob, fmt.Sprint(i))
	}
	cl := &countingLocker{AllStores: bob.store}
	m := session.NewManager(session.StoresOf(cl))
	next := 0
	n, err := m.DecryptBatch(ctx, alice.addr(), msgs, func(i int, pt []byte) error {
		if i != next || string(pt) != fmt.Sprint(i) {
			return fmt.Errorf("handler got message %d (%q), want %d", i, pt, next)
		}
		next++
		return nil
	})
	if n != len(msgs) || err != nil {
		t.Fatalf("DecryptBatch: %d of %d, %v", n, len(msgs), err)
	}
	if cl.locks != 3 {
		t.Fatalf("%d transactions for %d messages, want 3", cl.locks, len(msgs))
	}
	if _, err := bob.m.Decrypt(ctx, alice.addr(), msgs[len(msgs)-1]); !errors.Is(err, session.ErrDuplicateMessage) {
		t.Fatalf("last message again: %v", err)
	}
	if _, err := m.DecryptBatch(ctx, alice.addr(), msgs[:1], nil); err == nil {
		t.Fatal("DecryptBatch without a handler did not fail")
	}
	if n, err := m.DecryptBatch(ctx, alice.addr(), nil, func(int, []byte) error { return nil }); n != 0 || err != nil {
		t.Fatalf("empty batch: %d, %v", n, err)
	}
}
