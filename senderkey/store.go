package senderkey

import (
	"context"
	"sync"
)

// Store persists sender-key records, one per (sender, distribution id). The
// sender's own chain is stored under the sender's own address.
//
// LoadSenderKey returns a record that the caller owns and may modify (a
// copy, or a freshly decoded value), or nil and a nil error when none is
// stored. StoreSenderKey saves record; the implementation must not keep a
// reference to it that the caller's later changes could reach (copy or
// encode it). Errors are returned to the caller of the Cipher method
// unchanged (wrapped).
//
// A Cipher runs the operations on one (sender, distribution id) one at a
// time within the process. A Store shared by several processes (a database)
// must also implement Locker, or two processes can load the same record,
// and both encrypt with the same iteration of the chain (the same message
// key).
type Store interface {
	// LoadSenderKey returns the record of (sender, id), or nil and a nil
	// error if there is none.
	LoadSenderKey(ctx context.Context, sender Sender, id DistributionID) (*Record, error)
	// StoreSenderKey saves record as the record of (sender, id).
	StoreSenderKey(ctx context.Context, sender Sender, id DistributionID, record *Record) error
}

// Locker is an optional interface of a Store that is shared by several
// processes, such as a database. Around each operation on (sender, id) that
// loads and may store its record, a Cipher takes its in-process lock, then
// calls LockSender, makes every LoadSenderKey and StoreSenderKey of the
// operation with the returned context, and ends with unlock(true) after a
// successful operation (which must commit every write made with that
// context, and report a failed commit) or unlock(false) after a failed one
// (which must undo them). An operation whose unlock(true) fails fails too:
// Encrypt returns no message and Decrypt no plaintext. While the lock is held, no other process may
// run an operation on the same (sender, id).
type Locker interface {
	LockSender(ctx context.Context, sender Sender, id DistributionID) (context.Context, func(commit bool) error, error)
}

// storeKey is the map key of a record.
type storeKey struct {
	sender Sender
	id     DistributionID
}

// MemoryStore is a Store in memory, safe for concurrent use. Its zero value
// is ready to use. It keeps private copies: records passed to StoreSenderKey and
// returned by LoadSenderKey are never shared.
type MemoryStore struct {
	mu      sync.RWMutex
	records map[storeKey]*Record
}

var _ Store = (*MemoryStore)(nil)

// LoadSenderKey returns a copy of the stored record, or nil if there is
// none.
func (m *MemoryStore) LoadSenderKey(ctx context.Context, sender Sender, id DistributionID) (*Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	r := m.records[storeKey{sender, id}]
	m.mu.RUnlock()
	if r == nil {
		return nil, nil
	}
	return r.Clone(), nil // r is never modified after StoreSenderKey, so cloning outside the lock is safe
}

// StoreSenderKey saves a copy of record.
func (m *MemoryStore) StoreSenderKey(ctx context.Context, sender Sender, id DistributionID, record *Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := record.Clone()
	m.mu.Lock()
	if m.records == nil {
		m.records = make(map[storeKey]*Record)
	}
	m.records[storeKey{sender, id}] = c
	m.mu.Unlock()
	return nil
}

// DeleteSenderKey removes the record of sender and id, if any. Apps delete
// their own record to start a fresh sender key (for example after a member
// left the group); the next CreateDistributionMessage then makes a new
// chain.
func (m *MemoryStore) DeleteSenderKey(ctx context.Context, sender Sender, id DistributionID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	delete(m.records, storeKey{sender, id})
	m.mu.Unlock()
	return nil
}

// keyedLocks serializes operations per (sender, distribution id). Entries
// exist only while some caller holds or waits for them.
type keyedLocks struct {
	mu sync.Mutex
	m  map[storeKey]*lockEntry
}

type lockEntry struct {
	sem  chan struct{} // capacity 1: holding the lock = a value in the channel
	refs int
}

// lock acquires the lock of k, or returns ctx.Err() if ctx ends first. On
// success the returned function releases it.
func (l *keyedLocks) lock(ctx context.Context, k storeKey) (func(), error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[storeKey]*lockEntry)
	}
	e := l.m[k]
	if e == nil {
		e = &lockEntry{sem: make(chan struct{}, 1)}
		l.m[k] = e
	}
	e.refs++
	l.mu.Unlock()

	select {
	case e.sem <- struct{}{}:
		return func() { <-e.sem; l.release(k, e) }, nil
	case <-ctx.Done():
		l.release(k, e)
		return nil, ctx.Err()
	}
}

func (l *keyedLocks) release(k storeKey, e *lockEntry) {
	l.mu.Lock()
	e.refs--
	if e.refs == 0 {
		delete(l.m, k)
	}
	l.mu.Unlock()
}
