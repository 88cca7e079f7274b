package session_test

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// snapStore is a memstore seen through session.Snapshotter, counting locks
// and able to make a snapshot go stale once.
type snapStore struct {
	*memstore.Store
	locks     atomic.Int32
	staleOnce atomic.Bool // the next SessionChanged reports a change
	emptyOnce atomic.Bool // the next snapshot is from before the record existed
}

func (s *snapStore) LockAddress(ctx context.Context, addr session.Address) (context.Context, func(bool) error, error) {
	s.locks.Add(1)
	return ctx, func(bool) error { return nil }, nil
}

func (s *snapStore) OptimisticDecrypt() bool { return true }

func (s *snapStore) LoadSessionSnapshot(ctx context.Context, addr session.Address) (*session.Record, []byte, error) {
	if s.emptyOnce.Swap(false) {
		return nil, nil, nil
	}
	rec, err := s.LoadSession(ctx, addr)
	return rec, s.SessionBytes(addr), err
}

func (s *snapStore) SessionChanged(ctx context.Context, addr session.Address, token []byte) (bool, error) {
	if s.staleOnce.Swap(false) {
		return true, nil
	}
	return !bytes.Equal(token, s.SessionBytes(addr)), nil
}

// TestSnapshotDecrypt: over a Snapshotter, a failed decrypt never takes the
// store's lock, a successful one takes it once, and a snapshot that went
// stale is decrypted again from the new record.
func TestSnapshotDecrypt(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	snap := &snapStore{Store: bob.store}
	bob.m = session.NewManager(session.StoresOf(snap))
	var _ session.Snapshotter = snap
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
		t.Fatal(err)
	}
	recv(t, bob, alice, send(t, alice, bob, "hi"), "hi")
	if n := snap.locks.Load(); n != 1 {
		t.Fatalf("a PreKey decrypt took the store's lock %d times", n)
	}
	recv(t, alice, bob, send(t, bob, alice, "yo"), "yo") // encrypting takes the lock too
	msg := send(t, alice, bob, "two")
	bad := session.Message{Type: msg.Type, Body: bytes.Clone(msg.Body)}
	bad.Body[len(bad.Body)-1] ^= 1
	if _, err := bob.m.Decrypt(ctx, alice.addr(), bad); !errors.Is(err, session.ErrInvalidMessage) {
		t.Fatalf("tampered message: %v", err)
	}
	if n := snap.locks.Load(); n != 2 {
		t.Fatalf("a failed decrypt took the store's lock (%d locks)", n)
	}
	snap.staleOnce.Store(true)
	var handled int
	if err := bob.m.DecryptWith(ctx, alice.addr(), msg, func(pt []byte) error {
		handled++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := snap.locks.Load(); n != 4 || handled != 1 {
		t.Fatalf("stale snapshot: %d locks (want 2 more: stale, then commit), handler ran %d times", n, handled)
	}
	if _, err := bob.m.Decrypt(ctx, alice.addr(), msg); !errors.Is(err, session.ErrDuplicateMessage) {
		t.Fatalf("replay after commit: %v", err)
	}
}

// TestSnapshotStaleVerdict: a decrypt that fails on a snapshot which another
// process has since replaced is decrypted again from the new record. Here
// the snapshot predates the session that a PreKey message started (another
// process stored it and consumed its one-time prekey): on the snapshot the
// prekey is gone (ErrInvalidPreKeyID); on the current record the message
// is a duplicate, which is the verdict the lock would have given.
func TestSnapshotStaleVerdict(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	snap := &snapStore{Store: bob.store}
	m := session.NewManager(session.StoresOf(snap))
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
		t.Fatal(err)
	}
	msg := send(t, alice, bob, "hi")
	recv(t, bob, alice, msg, "hi") // the other process
	snap.emptyOnce.Store(true)
	if _, err := m.Decrypt(ctx, alice.addr(), msg); !errors.Is(err, session.ErrDuplicateMessage) {
		t.Fatalf("decrypt on a stale snapshot: %v, want ErrDuplicateMessage", err)
	}
}
