package session

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh"
)

// Manager encrypts and decrypts for one local device, with sessions to any
// number of addresses. It is safe for concurrent use: calls for the same
// address are serialized inside, calls for different addresses run in
// parallel.
type Manager struct {
	stores     Stores
	now        func() time.Time
	minVersion x3dh.Version
	mu         sync.Mutex // guards locks
	locks      map[Address]*addrLock
}

// Option configures a Manager.
type Option func(*Manager)

// WithClock makes the Manager read the time from now (for tests of session
// expiry).
func WithClock(now func() time.Time) Option { return func(m *Manager) { m.now = now } }

// WithMinimumVersion makes the Manager refuse sessions of a version below v,
// both ways: ProcessBundle fails with ErrMinimumVersion for a bundle without
// a KEM prekey (which gives a v3 session) when v is x3dh.V4, and a PreKey
// message of a lower version is refused with ErrMinimumVersion before any
// key is used.
//
// The default is x3dh.V3, so that the v3 profile's peers (libsignal-protocol-c,
// python-axolotl, go.mau.fi/libsignal, npm libsignal) can still start
// sessions. An app that talks only to the official libsignal should pass
// x3dh.V4: otherwise a server that strips the Kyber prekey from a bundle
// silently downgrades the session to one without post-quantum protection.
// Sessions that already exist are not affected; archive or delete them to
// move them up.
func WithMinimumVersion(v x3dh.Version) Option { return func(m *Manager) { m.minVersion = v } }

// NewManager returns a Manager over the stores s. Every store must be set:
// NewManager panics if one of them is nil (a programming error, like a nil
// map). Any number of Managers may share stores if the session store is a
// Locker (as memstore's and sqlstore's are); without a Locker, use one
// Manager per store.
func NewManager(s Stores, opts ...Option) *Manager {
	if s.Identity == nil || s.PreKeys == nil || s.SignedPreKeys == nil || s.KEMPreKeys == nil || s.Sessions == nil {
		panic("session: NewManager needs every store")
	}
	m := &Manager{stores: s, now: time.Now, minVersion: x3dh.V3}
	for _, o := range opts {
		o(m)
	}
	return m
}

// addrLock serializes the operations on one address. It lives in
// Manager.locks only while some call holds or waits for it, so the map does
// not grow with every address ever seen.
type addrLock struct {
	mu   sync.Mutex
	refs int // calls holding or waiting; guarded by Manager.mu
}

func (m *Manager) lock(addr Address) func() {
	m.mu.Lock()
	if m.locks == nil {
		m.locks = make(map[Address]*addrLock)
	}
	l := m.locks[addr]
	if l == nil {
		l = new(addrLock)
		m.locks[addr] = l
	}
	l.refs++
	m.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		m.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(m.locks, addr)
		}
		m.mu.Unlock()
	}
}

// Locker is an optional interface of a SessionStore that is shared by
// several processes (such as a database). The Manager serializes the calls
// for one address inside one process; a SessionStore that also implements
// Locker extends that across processes: around each operation on addr, the
// Manager calls LockAddress, makes every store call of the operation with
// the returned context, and ends with unlock(true) after a successful
// operation (which must commit every write made with that context, and
// report a failed commit) or unlock(false) after a failed one (which must
// undo them). An operation whose unlock(true) fails fails too: Decrypt and
// DecryptWith then return the error and no plaintext.
//
// A Locker also serializes Managers that share one store in one process:
// the Manager's own lock covers only its own calls. Without a Locker, use
// one Manager per store, and know that a successful decrypt makes two
// writes, the peer's identity (SaveIdentity) and then the record with the
// prekeys it consumed (StoreSession): a crash between them leaves the
// identity saved and the message undecrypted, which is harmless (the next
// decrypt saves the same identity again) but not atomic. With a Locker
// both writes commit together.
type Locker interface {
	LockAddress(ctx context.Context, addr Address) (context.Context, func(commit bool) error, error)
}

// begin takes the in-process lock of addr and, if the session store is a
// Locker, its lock. end releases both: it commits if *errp is nil, undoes
// otherwise, and stores a failed commit in *errp.
func (m *Manager) begin(ctx context.Context, addr Address) (context.Context, func(errp *error), error) {
	release := m.lock(addr)
	ctx, unlock, err := m.storeLock(ctx, addr)
	if err != nil {
		release()
		return ctx, nil, err
	}
	return ctx, func(errp *error) {
		defer release()
		unlock(errp)
	}, nil
}

// storeLock takes the session store's lock of addr if it is a Locker (the
// caller holds the in-process lock). unlock commits if *errp is nil, undoes
// otherwise, and stores a failed commit in *errp.
func (m *Manager) storeLock(ctx context.Context, addr Address) (context.Context, func(errp *error), error) {
	l, ok := m.stores.Sessions.(Locker)
	if !ok {
		return ctx, func(*error) {}, nil
	}
	lctx, unlock, err := l.LockAddress(ctx, addr)
	if err != nil {
		return ctx, nil, fmt.Errorf("session: session store: lock: %w", err)
	}
	return lctx, func(errp *error) {
		if uerr := unlock(*errp == nil); uerr != nil && *errp == nil {
			*errp = fmt.Errorf("session: session store: commit: %w", uerr)
		}
	}, nil
}

func (m *Manager) untrusted(ctx context.Context, addr Address, id curve.PublicKey, dir Direction) error {
	ok, err := m.stores.Identity.IsTrustedIdentity(ctx, addr, id, dir)
	if err != nil {
		return fmt.Errorf("session: identity store: %w", err)
	}
	if !ok {
		return &UntrustedIdentityError{Address: addr, Identity: id}
	}
	return nil
}

// HasSession reports whether there is a session with addr that can encrypt:
// a current state with a sending chain that is not an unacknowledged
// session older than MaxUnacknowledgedSessionAge.
func (m *Manager) HasSession(ctx context.Context, addr Address) (_ bool, err error) {
	ctx, end, err := m.begin(ctx, addr)
	if err != nil {
		return false, err
	}
	defer end(&err)
	rec, err := m.stores.Sessions.LoadSession(ctx, addr)
	if err != nil {
		return false, fmt.Errorf("session: session store: %w", err)
	}
	return rec.HasCurrentState() && m.usable(rec.current) == nil, nil
}

func (m *Manager) usable(s *state) error {
	if s.ratchet.RatchetKey().IsZero() {
		return ErrNoSession
	}
	if p := s.pending; p != nil {
		created := time.Unix(int64(p.created), 0)
		if m.now().Sub(created) > MaxUnacknowledgedSessionAge {
			return ErrStaleSession
		}
	}
	return nil
}

// ArchiveSession archives the current session with addr, so that the next
// message needs a new bundle (or a PreKey message from the peer).
func (m *Manager) ArchiveSession(ctx context.Context, addr Address) (err error) {
	ctx, end, err := m.begin(ctx, addr)
	if err != nil {
		return err
	}
	defer end(&err)
	rec, err := m.stores.Sessions.LoadSession(ctx, addr)
	if err != nil || rec == nil || !rec.HasCurrentState() {
		return err
	}
	if err := rec.ArchiveCurrentState(); err != nil {
		return err
	}
	return m.stores.Sessions.StoreSession(ctx, addr, rec, Consumed{})
}

// DeleteSession removes every session state with addr.
func (m *Manager) DeleteSession(ctx context.Context, addr Address) (err error) {
	ctx, end, err := m.begin(ctx, addr)
	if err != nil {
		return err
	}
	defer end(&err)
	return m.stores.Sessions.DeleteSession(ctx, addr)
}
