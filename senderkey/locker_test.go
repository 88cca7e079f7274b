package senderkey

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/forwardsecret/signal/internal/wire"
)

// lockingStore is a Store and a Locker, in the manner of a database shared
// by processes: LockSender takes a lock of (sender, id) that excludes every
// other holder (as another process would be), LoadSenderKey and
// StoreSenderKey must be called with the context it returned (a call
// without it is recorded as a violation and fails), writes stay pending
// until unlock(true) commits them, and unlock(false) drops them. If lenient, a call outside the lock
// is still recorded as a violation but goes to the committed records.
type lockingStore struct {
	mem     MemoryStore
	lenient bool

	mu         sync.Mutex
	keys       map[storeKey]*sync.Mutex
	events     []string
	violations []string

	failLock   error // returned by LockSender
	failCommit error // returned by unlock(true), which then drops the writes
	failStore  error // returned by Store
}

var (
	_ Store  = (*lockingStore)(nil)
	_ Locker = (*lockingStore)(nil)
)

type lockTxKey struct{}

// lockTx is one holder of the lock of key.
type lockTx struct {
	key     storeKey
	done    bool
	pending *Record // nil: nothing written
	wrote   bool
}

func (s *lockingStore) event(format string, args ...any) {
	s.mu.Lock()
	s.events = append(s.events, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

// takeEvents returns the events so far and forgets them.
func (s *lockingStore) takeEvents() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.events
	s.events = nil
	return e
}

func (s *lockingStore) LockSender(ctx context.Context, sender Sender, id DistributionID) (context.Context, func(commit bool) error, error) {
	if s.failLock != nil {
		s.event("lock failed")
		return nil, nil, s.failLock
	}
	k := storeKey{sender, id}
	s.mu.Lock()
	if s.keys == nil {
		s.keys = map[storeKey]*sync.Mutex{}
	}
	m := s.keys[k]
	if m == nil {
		m = new(sync.Mutex)
		s.keys[k] = m
	}
	s.mu.Unlock()
	m.Lock()
	s.event("lock")
	tx := &lockTx{key: k}
	return context.WithValue(ctx, lockTxKey{}, tx), func(commit bool) error {
		defer m.Unlock()
		if tx.done {
			s.violation("unlock called twice")
			return nil
		}
		tx.done = true
		if commit && s.failCommit != nil {
			s.event("commit failed")
			return s.failCommit
		}
		if !commit {
			s.event("rollback")
			return nil
		}
		if tx.wrote {
			if err := s.mem.StoreSenderKey(context.Background(), sender, id, tx.pending); err != nil {
				return err
			}
		}
		s.event("commit")
		return nil
	}, nil
}

func (s *lockingStore) violation(v string) {
	s.mu.Lock()
	s.violations = append(s.violations, v)
	s.mu.Unlock()
}

// txFor returns ctx's holder of the lock of (sender, id), or nil (and
// records a violation).
func (s *lockingStore) txFor(ctx context.Context, op string, sender Sender, id DistributionID) *lockTx {
	tx, _ := ctx.Value(lockTxKey{}).(*lockTx)
	if tx == nil || tx.done || tx.key != (storeKey{sender, id}) {
		s.violation(op + " outside the lock")
		return nil
	}
	return tx
}

var errOutsideLock = errors.New("store call outside the lock")

func (s *lockingStore) LoadSenderKey(ctx context.Context, sender Sender, id DistributionID) (*Record, error) {
	tx := s.txFor(ctx, "load", sender, id)
	if tx == nil {
		if s.lenient {
			return s.mem.LoadSenderKey(ctx, sender, id)
		}
		return nil, errOutsideLock
	}
	s.event("load")
	if tx.wrote {
		return tx.pending.Clone(), nil
	}
	return s.mem.LoadSenderKey(ctx, sender, id)
}

func (s *lockingStore) StoreSenderKey(ctx context.Context, sender Sender, id DistributionID, record *Record) error {
	tx := s.txFor(ctx, "store", sender, id)
	if tx == nil {
		if s.lenient {
			return s.mem.StoreSenderKey(ctx, sender, id, record)
		}
		return errOutsideLock
	}
	if s.failStore != nil {
		s.event("store failed")
		return s.failStore
	}
	s.event("store")
	tx.pending, tx.wrote = record.Clone(), true
	return nil
}

// committed returns the committed record of sender in testDist.
func (s *lockingStore) committed(t *testing.T, sender Sender) []byte {
	t.Helper()
	r, err := s.mem.LoadSenderKey(context.Background(), sender, testDist)
	if err != nil {
		t.Fatal(err)
	}
	if r == nil {
		return nil
	}
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (s *lockingStore) checkNoViolations(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.violations) > 0 {
		t.Fatalf("store misuse: %v", s.violations)
	}
}

func wantEvents(t *testing.T, s *lockingStore, what string, want ...string) {
	t.Helper()
	if got := s.takeEvents(); !slices.Equal(got, want) {
		t.Fatalf("%s: store calls %v, want %v", what, got, want)
	}
}

// TestLockerAroundEveryOperation: with a store that is a Locker, every
// operation takes its lock, makes its LoadSenderKey and StoreSenderKey
// with the lock's context, and commits on success.
func TestLockerAroundEveryOperation(t *testing.T) {
	ctx := context.Background()
	as, bs := new(lockingStore), new(lockingStore)
	alice := &member{addr: Sender{"alice", 1}, c: NewCipher(as)}
	bob := &member{addr: Sender{"bob", 1}, c: NewCipher(bs)}

	dm, err := alice.c.CreateDistributionMessage(ctx, alice.addr, testDist)
	if err != nil {
		t.Fatal(err)
	}
	wantEvents(t, as, "CreateDistributionMessage (new chain)", "lock", "load", "store", "commit")
	if _, err := alice.c.CreateDistributionMessage(ctx, alice.addr, testDist); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, as, "CreateDistributionMessage (existing chain)", "lock", "load", "commit")

	if err := bob.c.ProcessDistributionMessage(ctx, alice.addr, dm); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, bs, "ProcessDistributionMessage", "lock", "load", "store", "commit")

	ct, err := alice.c.Encrypt(ctx, alice.addr, testDist, []byte("hi"))
	if err != nil {
		t.Fatal(err)
	}
	wantEvents(t, as, "Encrypt", "lock", "load", "store", "commit")
	legacy, err := alice.c.EncryptLegacy(ctx, alice.addr, testDist, []byte("old"))
	if err != nil {
		t.Fatal(err)
	}
	wantEvents(t, as, "EncryptLegacy", "lock", "load", "store", "commit")

	if pt, err := bob.c.Decrypt(ctx, alice.addr, ct); err != nil || string(pt) != "hi" {
		t.Fatalf("Decrypt = %q, %v", pt, err)
	}
	wantEvents(t, bs, "Decrypt", "lock", "load", "store", "commit")
	if pt, err := bob.c.DecryptLegacy(ctx, alice.addr, testDist, legacy); err != nil || string(pt) != "old" {
		t.Fatalf("DecryptLegacy = %q, %v", pt, err)
	}
	wantEvents(t, bs, "DecryptLegacy", "lock", "load", "store", "commit")
	as.checkNoViolations(t)
	bs.checkNoViolations(t)
}

// TestLockerRollsBackFailures: a failed operation ends with unlock(false),
// and the committed record is unchanged.
func TestLockerRollsBackFailures(t *testing.T) {
	ctx := context.Background()
	as, bs := new(lockingStore), new(lockingStore)
	alice := &member{addr: Sender{"alice", 1}, c: NewCipher(as)}
	bob := &member{addr: Sender{"bob", 1}, c: NewCipher(bs)}

	if _, err := alice.c.Encrypt(ctx, alice.addr, testDist, []byte("x")); !errors.Is(err, ErrNoSenderKey) {
		t.Fatalf("Encrypt without a sender key: %v", err)
	}
	wantEvents(t, as, "Encrypt without a sender key", "lock", "load", "rollback")

	dm, err := alice.c.CreateDistributionMessage(ctx, alice.addr, testDist)
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.c.ProcessDistributionMessage(ctx, alice.addr, dm); err != nil {
		t.Fatal(err)
	}
	as.takeEvents()
	bs.takeEvents()

	ct, err := alice.c.Encrypt(ctx, alice.addr, testDist, []byte("hi"))
	if err != nil {
		t.Fatal(err)
	}
	as.takeEvents()
	before := bs.committed(t, alice.addr)
	bad := slices.Clone(ct)
	bad[len(bad)-1] ^= 1
	if _, err := bob.c.Decrypt(ctx, alice.addr, bad); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("tampered message: %v", err)
	}
	wantEvents(t, bs, "Decrypt of a tampered message", "lock", "load", "rollback")

	bs.failStore = errors.New("disk full")
	if pt, err := bob.c.Decrypt(ctx, alice.addr, ct); !errors.Is(err, bs.failStore) || pt != nil {
		t.Fatalf("Decrypt with a failing Store = %q, %v", pt, err)
	}
	wantEvents(t, bs, "Decrypt with a failing Store", "lock", "load", "store failed", "rollback")
	bs.failStore = nil

	bs.failCommit = errors.New("commit failed")
	if pt, err := bob.c.Decrypt(ctx, alice.addr, ct); !errors.Is(err, bs.failCommit) || pt != nil {
		t.Fatalf("Decrypt with a failing commit = %q, %v", pt, err)
	}
	wantEvents(t, bs, "Decrypt with a failing commit", "lock", "load", "store", "commit failed")
	bs.failCommit = nil
	if after := bs.committed(t, alice.addr); string(after) != string(before) {
		t.Fatal("a failed Decrypt changed the committed record")
	}
	// Nothing was lost: the message decrypts once the store works.
	if pt, err := bob.c.Decrypt(ctx, alice.addr, ct); err != nil || string(pt) != "hi" {
		t.Fatalf("Decrypt after the failures = %q, %v", pt, err)
	}
	bs.takeEvents()

	// An Encrypt whose commit fails returns no message, and the chain
	// does not move: the next message gets the same iteration (the failed
	// one never left the device).
	before = as.committed(t, alice.addr)
	as.failCommit = errors.New("commit failed")
	if out, err := alice.c.Encrypt(ctx, alice.addr, testDist, []byte("lost")); !errors.Is(err, as.failCommit) || out != nil {
		t.Fatalf("Encrypt with a failing commit = %x, %v", out, err)
	}
	wantEvents(t, as, "Encrypt with a failing commit", "lock", "load", "store", "commit failed")
	as.failCommit = nil
	if after := as.committed(t, alice.addr); string(after) != string(before) {
		t.Fatal("an Encrypt whose commit failed changed the committed record")
	}

	as.failLock = errors.New("database down")
	if _, err := alice.c.Encrypt(ctx, alice.addr, testDist, []byte("x")); !errors.Is(err, as.failLock) || !strings.Contains(err.Error(), "lock") {
		t.Fatalf("Encrypt with a failing lock: %v", err)
	}
	wantEvents(t, as, "Encrypt with a failing lock", "lock failed")
	as.failLock = nil
	as.checkNoViolations(t)
	bs.checkNoViolations(t)
}

// TestLockerSerializesCiphers: two Ciphers (as two processes would have)
// share one store that is a Locker and encrypt as the same sender at once.
// No iteration may be used twice: without the store's lock, each Cipher's
// in-process lock alone would let both load the same record.
func TestLockerSerializesCiphers(t *testing.T) {
	ctx := context.Background()
	st := &lockingStore{lenient: true}
	self := Sender{"alice", 1}
	ciphers := []*Cipher{NewCipher(st), NewCipher(st)}
	if _, err := ciphers[0].CreateDistributionMessage(ctx, self, testDist); err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 50
	msgs := make([][]byte, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := ciphers[w%2]
			for i := range each {
				ct, err := c.Encrypt(ctx, self, testDist, []byte("x"))
				if err != nil {
					t.Error(err)
					return
				}
				msgs[w*each+i] = ct
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	seen := map[uint32]bool{}
	for _, m := range msgs {
		p, err := wire.ParseSenderKeyMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		if seen[p.Iteration] {
			t.Fatalf("iteration %d used twice", p.Iteration)
		}
		seen[p.Iteration] = true
	}
	st.checkNoViolations(t)
}
