package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/forwardsecret/signal/session"
)

// TestLockWaitCancelled: a LockAddress that waits for another handle's lock
// of the address ends when its context does, with the context's error, and
// leaves the store usable: once the lock is free, the address locks and
// commits as before (on PostgreSQL the wait is in the query that also
// begins the transaction).
func TestLockWaitCancelled(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		driver, dsn := be.newDB(t)
		a, b := openStore(t, driver, dsn), openStore(t, driver, dsn)
		addr := session.Address{Name: "peer 'quoted' \\ name", DeviceID: 7}
		ctx := context.Background()
		_, unlockA, err := a.LockAddress(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, unlockB, err := b.LockAddress(wctx, addr)
		if err == nil {
			unlockB(false)
			t.Fatal("LockAddress got a lock another handle holds")
		}
		if !errors.Is(err, context.DeadlineExceeded) && wctx.Err() == nil {
			t.Fatalf("LockAddress: %v, want the context's error", err)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Fatalf("LockAddress waited %v after its context ended", d)
		}
		if err := unlockA(true); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			lctx, unlock, err := b.LockAddress(ctx, addr)
			if err != nil {
				t.Fatalf("LockAddress after the cancelled wait: %v", err)
			}
			if err := b.DeleteSession(lctx, addr); err != nil {
				t.Fatal(err)
			}
			if err := unlock(true); err != nil {
				t.Fatalf("commit after the cancelled wait: %v", err)
			}
		}
	})
}
