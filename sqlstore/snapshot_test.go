package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/forwardsecret/signal/session"
)

// snapshot calls LoadSessionSnapshot and checks that it returns the stored
// record.
func snapshot(t *testing.T, ctx context.Context, s *Store, addr session.Address) []byte {
	t.Helper()
	rec, token, err := s.LoadSessionSnapshot(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := s.SessionBytes(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if (rec == nil) != (stored == nil) {
		t.Fatalf("snapshot record %v, stored %d bytes", rec != nil, len(stored))
	}
	if rec != nil {
		b, err := rec.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(stored) {
			t.Fatal("the snapshot's record is not the stored one")
		}
	}
	return token
}

// changed calls SessionChanged inside LockAddress, as a Manager does.
func changed(t *testing.T, s *Store, addr session.Address, token []byte) bool {
	t.Helper()
	lctx, unlock, err := s.LockAddress(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock(false)
	c, err := s.SessionChanged(lctx, addr, token)
	if err != nil {
		t.Fatal(err)
	}
	// Outside the lock it reads the committed record: the same answer.
	if c2, err := s.SessionChanged(context.Background(), addr, token); err != nil || c2 != c {
		t.Fatalf("SessionChanged outside the lock: %v, %v; inside: %v", c2, err, c)
	}
	return c
}

// TestSessionSnapshot: SessionChanged is false right after a snapshot, and
// true after StoreSession (other content), DeleteSession, creation from
// none, and a write by another handle on the same database.
func TestSessionSnapshot(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		a, b := newDevice(t, be, "alice"), newDevice(t, be, "bob")
		s, addr := a.store, b.addr()

		none := snapshot(t, ctx, s, addr)
		if changed(t, s, addr, none) {
			t.Fatal("no record: changed right after the snapshot")
		}
		if err := a.m.ProcessBundle(ctx, addr, b.bundle(t, true, true)); err != nil {
			t.Fatal(err)
		}
		if !changed(t, s, addr, none) {
			t.Fatal("a record created from none: unchanged")
		}

		tok := snapshot(t, ctx, s, addr)
		if changed(t, s, addr, tok) {
			t.Fatal("changed right after the snapshot")
		}
		old, err := s.LoadSession(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		send(t, a, b, "one") // StoreSession through the Manager
		if !changed(t, s, addr, tok) {
			t.Fatal("unchanged after the Manager's StoreSession")
		}
		tok = snapshot(t, ctx, s, addr)
		if err := s.StoreSession(ctx, addr, old, session.Consumed{}); err != nil {
			t.Fatal(err)
		}
		if !changed(t, s, addr, tok) {
			t.Fatal("unchanged after StoreSession of other content")
		}
		// Rewriting the same bytes leaves the state, and the token, as
		// they were.
		tok = snapshot(t, ctx, s, addr)
		if err := s.StoreSession(ctx, addr, old, session.Consumed{}); err != nil {
			t.Fatal(err)
		}
		if changed(t, s, addr, tok) {
			t.Fatal("changed after rewriting the same record")
		}

		other := a.reopen(t) // another handle, as another process has
		tok = snapshot(t, ctx, s, addr)
		send(t, other, b, "two")
		if !changed(t, s, addr, tok) {
			t.Fatal("unchanged after a write by another handle")
		}

		tok = snapshot(t, ctx, s, addr)
		if err := s.DeleteSession(ctx, addr); err != nil {
			t.Fatal(err)
		}
		if !changed(t, s, addr, tok) {
			t.Fatal("unchanged after DeleteSession")
		}
		none = snapshot(t, ctx, s, addr)
		if changed(t, s, addr, none) {
			t.Fatal("deleted record: changed right after the snapshot")
		}
		if err := other.store.StoreSession(ctx, addr, old, session.Consumed{}); err != nil {
			t.Fatal(err)
		}
		if !changed(t, s, addr, none) {
			t.Fatal("a record re-created by another handle: unchanged")
		}

		// Inside a transaction the snapshot sees the transaction's writes.
		lctx, unlock, err := s.LockAddress(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSession(lctx, addr); err != nil {
			t.Fatal(err)
		}
		tok = snapshot(t, lctx, s, addr)
		if c, err := s.SessionChanged(lctx, addr, tok); err != nil || c {
			t.Fatalf("in a transaction: SessionChanged = %v, %v right after the snapshot", c, err)
		}
		if err := unlock(false); err != nil {
			t.Fatal(err)
		}

		for _, bad := range [][]byte{nil, {}, {2}, {1, 2, 3}, append([]byte{0}, make([]byte, 32)...)} {
			if _, err := s.SessionChanged(ctx, addr, bad); err == nil {
				t.Errorf("SessionChanged accepted the token %x", bad)
			}
		}
	})
}

// TestSessionSnapshotDoesNotWait: LoadSessionSnapshot returns the committed
// record at once while another handle holds the address's lock (on SQLite
// the database's write lock) with an uncommitted write, and while the same
// Store has a transaction open (on SQLite its one transaction slot). After
// the other handle commits, the token is changed.
func TestSessionSnapshotDoesNotWait(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		a, b := newDevice(t, be, "alice"), newDevice(t, be, "bob")
		addr := b.addr()
		if err := a.m.ProcessBundle(ctx, addr, b.bundle(t, true, true)); err != nil {
			t.Fatal(err)
		}
		committed := a.sessionBytes(t, addr)
		other := a.reopen(t)

		// A read that waited would wait until the holder commits, which
		// is after within returns: a hang, however generous the bound.
		within := func(what string, f func()) {
			t.Helper()
			done := make(chan struct{})
			go func() { defer close(done); f() }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("%s: LoadSessionSnapshot waited", what)
			}
		}
		read := func(ctx context.Context) (*session.Record, []byte, error) {
			return a.store.LoadSessionSnapshot(ctx, addr)
		}

		// Another handle holds the lock and has written.
		octx, ounlock, err := other.store.LockAddress(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := other.store.DeleteSession(octx, addr); err != nil {
			t.Fatal(err)
		}
		var tok []byte
		within("another handle's write transaction", func() {
			rec, token, err := read(ctx)
			if err != nil || rec == nil {
				t.Errorf("snapshot: %v, %v; want the committed record", rec, err)
				return
			}
			if b, _ := rec.MarshalBinary(); string(b) != string(committed) {
				t.Error("the snapshot is not the committed record")
			}
			tok = token
		})
		if err := ounlock(true); err != nil {
			t.Fatal(err)
		}
		if tok == nil {
			t.FailNow()
		}
		if !changed(t, a.store, addr, tok) {
			t.Fatal("unchanged after the other handle's committed delete")
		}

		// The same Store has a transaction open (another address).
		lctx, unlock, err := a.store.LockAddress(ctx, session.Address{Name: "carol", DeviceID: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.store.SaveIdentity(lctx, session.Address{Name: "carol", DeviceID: 1}, b.id.PublicKey()); err != nil {
			t.Fatal(err)
		}
		within("the same Store's transaction", func() {
			if rec, _, err := read(ctx); err != nil || rec != nil {
				t.Errorf("snapshot: %v, %v; want no record", rec, err)
			}
		})
		if err := unlock(true); err != nil {
			t.Fatal(err)
		}
	})
}
