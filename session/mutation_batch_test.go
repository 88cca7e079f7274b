package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// Tests of DecryptBatch added for mutants that survived the suite
// (docs/mutation.md): runs split at another identity, the snapshot path,
// the clearing of uncommitted plaintexts, one load and one store per run.

var errBatchStore = errors.New("injected store failure")

// batchStore is a memstore (a Locker) that counts session loads, stores
// and transactions, and can trust every identity, fail its commits, or
// lose the record after some loads.
type batchStore struct {
	*memstore.Store
	loads, stores, locks int
	trustAll             bool
	failCommit           bool
	vanishAfter          int // LoadSession finds no record after this many loads (0: never)
}

func (s *batchStore) LoadSession(ctx context.Context, a session.Address) (*session.Record, error) {
	s.loads++
	if s.vanishAfter > 0 && s.loads > s.vanishAfter {
		return nil, nil
	}
	return s.Store.LoadSession(ctx, a)
}

func (s *batchStore) StoreSession(ctx context.Context, a session.Address, r *session.Record, c session.Consumed) error {
	s.stores++
	return s.Store.StoreSession(ctx, a, r, c)
}

func (s *batchStore) LockAddress(ctx context.Context, a session.Address) (context.Context, func(bool) error, error) {
	s.locks++
	lctx, unlock, err := s.Store.LockAddress(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	return lctx, func(commit bool) error {
		if commit && s.failCommit {
			return errors.Join(unlock(false), errBatchStore)
		}
		return unlock(commit)
	}, nil
}

func (s *batchStore) IsTrustedIdentity(ctx context.Context, a session.Address, id curve.PublicKey, dir session.Direction) (bool, error) {
	if s.trustAll {
		return true, nil
	}
	return s.Store.IsTrustedIdentity(ctx, a, id, dir)
}

// batchSnapStore is a memstore seen through session.Snapshotter (as
// sqlstore on SQLite), counting transactions, whose snapshots can be stale
// or fail.
type batchSnapStore struct {
	*memstore.Store
	locks      int
	staleOnce  bool  // the next SessionChanged reports a change
	emptyOnce  bool  // the next snapshot is from before the record existed
	snapErr    error // LoadSessionSnapshot fails
	changedErr error // SessionChanged fails
}

func (s *batchSnapStore) LockAddress(ctx context.Context, a session.Address) (context.Context, func(bool) error, error) {
	s.locks++
	return s.Store.LockAddress(ctx, a)
}

func (s *batchSnapStore) OptimisticDecrypt() bool { return true }

func (s *batchSnapStore) LoadSessionSnapshot(ctx context.Context, a session.Address) (*session.Record, []byte, error) {
	if s.snapErr != nil {
		return nil, nil, s.snapErr
	}
	if s.emptyOnce {
		s.emptyOnce = false
		return nil, nil, nil
	}
	rec, err := s.LoadSession(ctx, a)
	return rec, s.SessionBytes(a), err
}

func (s *batchSnapStore) SessionChanged(_ context.Context, a session.Address, token []byte) (bool, error) {
	if s.changedErr != nil {
		return false, s.changedErr
	}
	if s.staleOnce {
		s.staleOnce = false
		return true, nil
	}
	return !bytes.Equal(token, s.SessionBytes(a)), nil
}

// batchLog is a DecryptBatch handler that records "index:plaintext".
type batchLog []string

func (l *batchLog) handle(i int, pt []byte) error {
	*l = append(*l, fmt.Sprintf("%d:%s", i, pt))
	return nil
}

// signalMessages starts a session from alice to bob (one message each way)
// and returns n SignalMessages alice then sends, with texts prefix0...
func signalMessages(t *testing.T, alice, bob *device, prefix string, n int) []session.Message {
	t.Helper()
	if err := alice.m.ProcessBundle(context.Background(), bob.addr(), bob.bundle(t, true, true)); err != nil {
		t.Fatal(err)
	}
	recv(t, bob, alice, send(t, alice, bob, "hello"), "hello")
	recv(t, alice, bob, send(t, bob, alice, "reply"), "reply")
	msgs := make([]session.Message, n)
	for i := range msgs {
		msgs[i] = send(t, alice, bob, fmt.Sprint(prefix, i))
	}
	return msgs
}

// identitySwitch: alice's address first has identity A (alice1), then,
// after a reinstall that bob has accepted (bob's identity store now holds
// B), identity B (alice2). It returns bob and the batch [b1, a1, b2]: a1 is
// a message of the archived session with identity A, b1 and b2 of the
// current one with identity B.
func identitySwitch(t *testing.T) (alice1, alice2, bob *device, batch []session.Message) {
	t.Helper()
	ctx := context.Background()
	alice1, alice2, bob = newDevice(t, "alice"), newDevice(t, "alice"), newDevice(t, "bob")
	a := signalMessages(t, alice1, bob, "a", 1)
	if err := bob.store.Trust(ctx, alice1.addr(), alice2.id.PublicKey()); err != nil {
		t.Fatal(err)
	}
	b := signalMessages(t, alice2, bob, "b", 2)
	if info, err := bob.m.Info(ctx, alice1.addr()); err != nil || info.ArchivedStates != 1 {
		t.Fatalf("bob's record: %+v, %v; want 1 archived state", info, err)
	}
	return alice1, alice2, bob, []session.Message{b[0], a[0], b[1]}
}

// TestDecryptBatchIdentitySwitch: a message that decrypts on a state with
// another identity key starts a new run, whose identity is checked on its
// own: with the stored identity B trusted only, the batch [b, a, b] commits
// the first message and stops at the second with *UntrustedIdentityError
// for A; with every identity trusted, it commits all three in three
// transactions, each handler seeing its own message.
func TestDecryptBatchIdentitySwitch(t *testing.T) {
	ctx := context.Background()
	t.Run("trust-stored", func(t *testing.T) {
		alice1, _, bob, batch := identitySwitch(t)
		st := &batchStore{Store: bob.store}
		m := session.NewManager(session.StoresOf(st))
		var got batchLog
		n, err := m.DecryptBatch(ctx, alice1.addr(), batch, got.handle)
		var ue *session.UntrustedIdentityError
		if n != 1 || !errors.As(err, &ue) || !ue.Identity.Equal(alice1.id.PublicKey()) {
			t.Fatalf("DecryptBatch: %d, %v; want 1 and *UntrustedIdentityError for identity A", n, err)
		}
		if !slices.Equal(got, batchLog{"0:b0"}) {
			t.Fatalf("handlers ran for %q", got)
		}
		if n, err := m.DecryptBatch(ctx, alice1.addr(), batch[2:], got.handle); n != 1 || err != nil {
			t.Fatalf("the rest after dropping a: %d, %v", n, err)
		}
	})
	t.Run("trust-all", func(t *testing.T) {
		alice1, _, bob, batch := identitySwitch(t)
		st := &batchStore{Store: bob.store, trustAll: true}
		m := session.NewManager(session.StoresOf(st))
		var got batchLog
		if n, err := m.DecryptBatch(ctx, alice1.addr(), batch, got.handle); n != 3 || err != nil {
			t.Fatalf("DecryptBatch: %d, %v", n, err)
		}
		if !slices.Equal(got, batchLog{"0:b0", "1:a0", "2:b1"}) {
			t.Fatalf("handlers ran for %q", got)
		}
		if st.locks != 3 || st.stores != 3 {
			t.Fatalf("%d transactions, %d stores; want 3 runs (b | a | b)", st.locks, st.stores)
		}
		for i, msg := range batch {
			if _, err := m.Decrypt(ctx, alice1.addr(), msg); !errors.Is(err, session.ErrDuplicateMessage) {
				t.Fatalf("message %d again: %v", i, err)
			}
		}
	})
}

// TestDecryptBatchNoSession: a SignalMessage without a record is
// ErrNoSession; with a record whose only state is archived it decrypts on
// that state.
func TestDecryptBatchNoSession(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	msgs := signalMessages(t, alice, bob, "m", 1)
	other := newDevice(t, "bob")
	var got batchLog
	if n, err := other.m.DecryptBatch(ctx, alice.addr(), msgs, got.handle); n != 0 || !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("without a record: %d, %v; want ErrNoSession", n, err)
	}
	if err := bob.m.ArchiveSession(ctx, alice.addr()); err != nil {
		t.Fatal(err)
	}
	if n, err := bob.m.DecryptBatch(ctx, alice.addr(), msgs, got.handle); n != 1 || err != nil || !slices.Equal(got, batchLog{"0:m0"}) {
		t.Fatalf("on an archived-only record: %d, %v, handlers %q", n, err, got)
	}
}

// TestDecryptBatchPreKeyOfArchivedSession: in a batch, a PreKey message of
// the newest archived session decrypts on it and makes it current again,
// so that the same message is then a duplicate.
func TestDecryptBatchPreKeyOfArchivedSession(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
		t.Fatal(err)
	}
	p1a, p1b := send(t, alice, bob, "1a"), send(t, alice, bob, "1b")
	recv(t, bob, alice, p1a, "1a")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
		t.Fatal(err)
	}
	recv(t, bob, alice, send(t, alice, bob, "2"), "2")
	keys := func() [][]byte {
		rec, err := bob.store.LoadSession(ctx, alice.addr())
		if err != nil {
			t.Fatal(err)
		}
		k, err := session.RecordBaseKeys(rec)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	before := keys()
	var got batchLog
	if n, err := bob.m.DecryptBatch(ctx, alice.addr(), []session.Message{p1b}, got.handle); n != 1 || err != nil || !slices.Equal(got, batchLog{"0:1b"}) {
		t.Fatalf("PreKey message of the archived session: %d, %v, handlers %q", n, err, got)
	}
	after := keys()
	if len(after) != 2 || !bytes.Equal(after[0], before[1]) || !bytes.Equal(after[1], before[0]) {
		t.Fatal("the archived session was not made current")
	}
	if n, err := bob.m.DecryptBatch(ctx, alice.addr(), []session.Message{p1b}, got.handle); n != 0 || !errors.Is(err, session.ErrDuplicateMessage) {
		t.Fatalf("the same PreKey message again: %d, %v; want ErrDuplicateMessage", n, err)
	}
}

// TestDecryptBatchSnapshot: over a Snapshotter, a batch decrypts on a
// snapshot and takes the store's lock once, to commit; a snapshot that went
// stale before the commit is decrypted again (handlers run once); a
// verdict on a stale snapshot is not final; a batch that fails takes no
// lock; the snapshot's errors are returned.
func TestDecryptBatchSnapshot(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T, n int) (alice, bob *device, st *batchSnapStore, m *session.Manager, msgs []session.Message) {
		alice, bob = newDevice(t, "alice"), newDevice(t, "bob")
		msgs = signalMessages(t, alice, bob, "m", n)
		st = &batchSnapStore{Store: bob.store}
		return alice, bob, st, session.NewManager(session.StoresOf(st)), msgs
	}
	t.Run("commit", func(t *testing.T) {
		alice, _, st, m, msgs := setup(t, 2)
		var got batchLog
		if n, err := m.DecryptBatch(ctx, alice.addr(), msgs, got.handle); n != 2 || err != nil || !slices.Equal(got, batchLog{"0:m0", "1:m1"}) {
			t.Fatalf("DecryptBatch: %d, %v, handlers %q", n, err, got)
		}
		if st.locks != 1 {
			t.Fatalf("%d transactions, want 1", st.locks)
		}
	})
	t.Run("stale-at-commit", func(t *testing.T) {
		alice, _, st, m, msgs := setup(t, 2)
		st.staleOnce = true
		var got batchLog
		if n, err := m.DecryptBatch(ctx, alice.addr(), msgs, got.handle); n != 2 || err != nil || !slices.Equal(got, batchLog{"0:m0", "1:m1"}) {
			t.Fatalf("DecryptBatch: %d, %v, handlers %q", n, err, got)
		}
		if st.locks != 2 {
			t.Fatalf("%d transactions, want 2 (stale, then commit)", st.locks)
		}
	})
	t.Run("stale-verdict", func(t *testing.T) {
		// As TestSnapshotStaleVerdict: another process received the
		// PreKey message (consuming its one-time prekey) after the
		// snapshot was taken.
		alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
		st := &batchSnapStore{Store: bob.store}
		m := session.NewManager(session.StoresOf(st))
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
			t.Fatal(err)
		}
		msg := send(t, alice, bob, "hi")
		recv(t, bob, alice, msg, "hi")
		st.emptyOnce = true
		var got batchLog
		if n, err := m.DecryptBatch(ctx, alice.addr(), []session.Message{msg}, got.handle); n != 0 || !errors.Is(err, session.ErrDuplicateMessage) || len(got) != 0 {
			t.Fatalf("on a stale snapshot: %d, %v, handlers %q; want ErrDuplicateMessage", n, err, got)
		}
		if st.locks != 0 {
			t.Fatalf("a failed batch took the store's lock %d times", st.locks)
		}
	})
	t.Run("failed", func(t *testing.T) {
		alice, _, st, m, msgs := setup(t, 1)
		bad := session.Message{Type: msgs[0].Type, Body: bytes.Clone(msgs[0].Body)}
		bad.Body[len(bad.Body)-1] ^= 1
		var got batchLog
		if n, err := m.DecryptBatch(ctx, alice.addr(), []session.Message{bad}, got.handle); n != 0 || !errors.Is(err, session.ErrInvalidMessage) {
			t.Fatalf("tampered message: %d, %v", n, err)
		}
		if st.locks != 0 {
			t.Fatalf("a failed batch took the store's lock %d times", st.locks)
		}
	})
	t.Run("snapshot-error", func(t *testing.T) {
		alice, _, st, m, msgs := setup(t, 1)
		st.snapErr = errBatchStore
		var got batchLog
		if n, err := m.DecryptBatch(ctx, alice.addr(), msgs, got.handle); n != 0 || !errors.Is(err, errBatchStore) || len(got) != 0 {
			t.Fatalf("failing snapshot: %d, %v, handlers %q", n, err, got)
		}
	})
	t.Run("changed-error", func(t *testing.T) {
		alice, bob, st, m, msgs := setup(t, 1)
		st.changedErr = errBatchStore
		before := bob.store.SessionBytes(alice.addr())
		var got batchLog
		if n, err := m.DecryptBatch(ctx, alice.addr(), msgs, got.handle); n != 0 || !errors.Is(err, errBatchStore) || len(got) != 0 {
			t.Fatalf("failing SessionChanged: %d, %v, handlers %q", n, err, got)
		}
		if !bytes.Equal(before, bob.store.SessionBytes(alice.addr())) {
			t.Fatal("the record changed")
		}
	})
}

// TestDecryptBatchClearsUncommitted: DecryptBatch clears the plaintexts of
// the messages it did not commit (a handler must copy what it keeps), and
// leaves those it committed.
func TestDecryptBatchClearsUncommitted(t *testing.T) {
	ctx := context.Background()
	errStop := errors.New("handler stops")
	zero := func(b []byte) bool { return !slices.ContainsFunc(b, func(c byte) bool { return c != 0 }) }
	t.Run("commit-fails", func(t *testing.T) {
		alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
		msgs := signalMessages(t, alice, bob, "message ", 2)
		st := &batchStore{Store: bob.store, failCommit: true}
		m := session.NewManager(session.StoresOf(st))
		var kept [][]byte
		n, err := m.DecryptBatch(ctx, alice.addr(), msgs, func(_ int, pt []byte) error {
			kept = append(kept, pt)
			return nil
		})
		if n != 0 || !errors.Is(err, errBatchStore) || len(kept) != 2 {
			t.Fatalf("failed commit: %d, %v, %d handlers", n, err, len(kept))
		}
		for i, pt := range kept {
			if len(pt) == 0 || !zero(pt) {
				t.Fatalf("plaintext %d of an uncommitted message not cleared: %q", i, pt)
			}
		}
		st.failCommit = false
		var got batchLog
		if n, err := m.DecryptBatch(ctx, alice.addr(), msgs, got.handle); n != 2 || err != nil {
			t.Fatalf("delivered again: %d, %v", n, err)
		}
	})
	t.Run("handler-fails", func(t *testing.T) {
		alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
		msgs := signalMessages(t, alice, bob, "message ", 3)
		var kept [][]byte
		n, err := bob.m.DecryptBatch(ctx, alice.addr(), msgs, func(i int, pt []byte) error {
			kept = append(kept, pt)
			if i == 1 {
				return errStop
			}
			return nil
		})
		if n != 1 || !errors.Is(err, errStop) || len(kept) != 2 {
			t.Fatalf("handler failing at 1: %d, %v, %d handlers", n, err, len(kept))
		}
		if string(kept[0]) != "message 0" {
			t.Fatalf("plaintext of the committed message: %q", kept[0])
		}
		if len(kept[1]) == 0 || !zero(kept[1]) {
			t.Fatalf("plaintext of the uncommitted message not cleared: %q", kept[1])
		}
		var got batchLog
		if n, err := bob.m.DecryptBatch(ctx, alice.addr(), msgs[1:], got.handle); n != 2 || err != nil || !slices.Equal(got, batchLog{"0:message 1", "1:message 2"}) {
			t.Fatalf("the rest: %d, %v, handlers %q", n, err, got)
		}
	})
}

// TestDecryptBatchOneLoadOneStore: a run loads the record once and stores
// it once, in one transaction, whatever its length.
func TestDecryptBatchOneLoadOneStore(t *testing.T) {
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	msgs := signalMessages(t, alice, bob, "m", 5)
	st := &batchStore{Store: bob.store}
	m := session.NewManager(session.StoresOf(st))
	var got batchLog
	if n, err := m.DecryptBatch(context.Background(), alice.addr(), msgs, got.handle); n != 5 || err != nil {
		t.Fatalf("DecryptBatch: %d, %v", n, err)
	}
	if st.loads != 1 || st.stores != 1 || st.locks != 1 {
		t.Fatalf("%d loads, %d stores, %d transactions; want 1 each", st.loads, st.stores, st.locks)
	}
}

// TestDecryptBatchRecordChangedUnderLock: when a run must derive its record
// again from the stored one (a handler stopped it early) and the store,
// breaking its contract, no longer returns the record the run decrypted
// on, DecryptBatch fails and commits nothing rather than store a record
// that does not hold what it reports committed.
func TestDecryptBatchRecordChangedUnderLock(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	msgs := signalMessages(t, alice, bob, "m", 2)
	st := &batchStore{Store: bob.store, vanishAfter: 1}
	m := session.NewManager(session.StoresOf(st))
	before := bob.store.SessionBytes(alice.addr())
	errStop := errors.New("handler stops")
	var got batchLog
	n, err := m.DecryptBatch(ctx, alice.addr(), msgs, func(i int, pt []byte) error {
		got.handle(i, pt)
		if i == 1 {
			return errStop
		}
		return nil
	})
	if n != 0 || err == nil || errors.Is(err, errStop) {
		t.Fatalf("DecryptBatch: %d, %v; want 0 and the batch's own error", n, err)
	}
	if !slices.Equal(got, batchLog{"0:m0", "1:m1"}) || st.stores != 0 {
		t.Fatalf("handlers %q, %d stores", got, st.stores)
	}
	if !bytes.Equal(before, bob.store.SessionBytes(alice.addr())) {
		t.Fatal("the record changed")
	}
}

// TestSnapshotStaleVerdictTakesNoLock: Decrypt over a Snapshotter, as
// DecryptBatch above: a verdict on a stale snapshot is decrypted again on a
// new snapshot, and when that fails too, the decrypt has taken no lock (the
// Snapshotter contract: a decrypt that fails never takes the lock).
func TestSnapshotStaleVerdictTakesNoLock(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	st := &batchSnapStore{Store: bob.store}
	m := session.NewManager(session.StoresOf(st))
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
		t.Fatal(err)
	}
	msg := send(t, alice, bob, "hi")
	recv(t, bob, alice, msg, "hi") // the other process
	st.emptyOnce = true
	if _, err := m.Decrypt(ctx, alice.addr(), msg); !errors.Is(err, session.ErrDuplicateMessage) {
		t.Fatalf("decrypt on a stale snapshot: %v, want ErrDuplicateMessage", err)
	}
	if st.locks != 0 {
		t.Fatalf("a failed decrypt took the store's lock %d times", st.locks)
	}
}
