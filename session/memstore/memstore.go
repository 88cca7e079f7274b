// Package memstore is an in-memory implementation of every store of package
// session, safe for concurrent use. Its trust policy is libsignal's reference
// one: trust a peer's identity key on first use, then only that key.
//
// Records are kept encoded (as a database would keep them), so a record
// handed out by LoadSession is always the caller's own copy.
//
// NewDevice makes the store of a new device (its identity key pair and
// registration id) in one call. Besides the stores a session.Manager uses,
// a *Store is a session.DeviceStore, with the same methods as sqlstore's:
// the app adds and removes prekeys through it (prekey.Store writes a
// generated set), counts the one-time ones left, and trusts a peer's new
// identity key.
//
// # Locks and transactions
//
// A *Store is a session.Locker, so any number of session.Managers may share
// one Store (as parts of an app that each make their own Manager do): the
// Store holds a lock per address, and every operation of a Manager on an
// address runs under it, so two Managers never interleave the load, change
// and store of one session (which would use a message key twice). The
// writes of an operation (the new record, the peer's identity, the prekeys
// it consumed) are staged in the lock's transaction and applied together
// when the operation succeeds, or not at all.
//
// A one-time prekey (EC or KEM) can be consumed once: a write that consumes
// a key that is already gone, or that another open transaction consumes,
// fails with ErrPreKeyConsumed and applies nothing. A last-resort KEM
// prekey stays, and each use is recorded as (KEM prekey id, signed prekey
// id, base key): a second use with the same triple (a replayed PreKey
// message whose session was deleted, or that arrives under another
// address, also at the same time) fails with ErrKEMPreKeyReplay.
package memstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/prekey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

var (
	// ErrPreKeyConsumed is returned (wrapped) by StoreSession when a
	// one-time prekey or one-time KEM prekey that it consumes is no longer
	// stored, or is consumed by another open transaction: another
	// operation used it first. Nothing of the write is applied.
	ErrPreKeyConsumed = errors.New("memstore: one-time prekey already consumed")
	// ErrKEMPreKeyReplay is returned (wrapped) by StoreSession when a
	// last-resort KEM prekey was already used with the same signed prekey
	// and base key (or is, by another open transaction): the PreKey
	// message is a replay. Nothing of the write is applied.
	ErrKEMPreKeyReplay = errors.New("memstore: last-resort KEM prekey already used with this base key")
)

// Store holds one device's identity, prekeys and sessions in memory. It is
// safe for concurrent use, also by several session.Managers at once (see
// LockAddress).
type Store struct {
	identity *curve.IdentityKeyPair
	regID    uint32

	mu            sync.Mutex
	identities    map[session.Address]curve.PublicKey
	preKeys       map[uint32]*x3dh.OneTimePreKey
	signedPreKeys map[uint32]*x3dh.SignedPreKey
	kemPreKeys    map[uint32]*kemEntry
	sessions      map[session.Address][]byte
	locks         map[session.Address]*addrLock // held or awaited address locks
	claims        map[claim]*txn                // consumptions staged by open transactions
}

type kemEntry struct {
	key        *x3dh.KEMPreKey
	lastResort bool
	uses       map[kemUse]struct{} // of a last-resort key
}

// kemUse is one use of a last-resort KEM prekey.
type kemUse struct {
	signedPreKeyID uint32
	baseKey        curve.PublicKey
}

// claim is one thing that a Consumed takes: a one-time prekey or one-time
// KEM prekey (by id), or one use of a last-resort KEM prekey (id and use).
// An open transaction claims what it has staged, so that no other write
// takes it before the transaction ends.
type claim struct {
	kind claimKind
	id   uint32
	use  kemUse
}

type claimKind uint8

const (
	claimPreKey claimKind = 1 + iota
	claimKEMPreKey
	claimKEMUse
)

var (
	_ session.AllStores   = (*Store)(nil)
	_ session.DeviceStore = (*Store)(nil)
	_ session.Locker      = (*Store)(nil)
)

// New returns an empty store for the device with identity key pair identity
// and registration id regID.
func New(identity *curve.IdentityKeyPair, regID uint32) *Store {
	return &Store{
		identity:      identity,
		regID:         regID,
		identities:    make(map[session.Address]curve.PublicKey),
		preKeys:       make(map[uint32]*x3dh.OneTimePreKey),
		signedPreKeys: make(map[uint32]*x3dh.SignedPreKey),
		kemPreKeys:    make(map[uint32]*kemEntry),
		sessions:      make(map[session.Address][]byte),
	}
}

// NewDevice returns an empty store for a new device, with an identity key
// pair (curve.GenerateIdentityKeyPair) and a registration id
// (prekey.NewRegistrationID) made for it: the first start of a device, in
// one call. The store lives in memory; an app that keeps the device across
// restarts saves MarshalBinary's snapshot and opens it with Unmarshal.
func NewDevice() (*Store, error) {
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		return nil, fmt.Errorf("memstore: new identity: %w", err)
	}
	return New(id, prekey.NewRegistrationID()), nil
}

// IdentityKeyPair implements session.IdentityStore.
func (s *Store) IdentityKeyPair(context.Context) (*curve.IdentityKeyPair, error) {
	return s.identity, nil
}

// LocalRegistrationID implements session.IdentityStore.
func (s *Store) LocalRegistrationID(context.Context) (uint32, error) { return s.regID, nil }

// IsTrustedIdentity implements session.IdentityStore: a key is trusted if
// none is stored for addr yet, or if it is the stored one.
func (s *Store) IsTrustedIdentity(ctx context.Context, addr session.Address, id curve.PublicKey, _ session.Direction) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	known, ok := s.identities[addr]
	if t := s.txOf(ctx); t != nil {
		if k, staged := t.w.identities[addr]; staged {
			known, ok = k, true
		}
	}
	return !ok || known.Equal(id), nil
}

// SaveIdentity implements session.IdentityStore.
func (s *Store) SaveIdentity(ctx context.Context, addr session.Address, id curve.PublicKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.txOf(ctx); t != nil {
		if t.w.identities == nil {
			t.w.identities = make(map[session.Address]curve.PublicKey)
		}
		t.w.identities[addr] = id
		return nil
	}
	s.identities[addr] = id
	return nil
}

// Identity implements session.DeviceStore: it returns the identity key
// stored for addr, and whether there is one. With the context of
// LockAddress, it sees what the transaction has staged.
func (s *Store) Identity(ctx context.Context, addr session.Address) (curve.PublicKey, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.txOf(ctx); t != nil {
		if k, staged := t.w.identities[addr]; staged {
			return k, true, nil
		}
	}
	id, ok := s.identities[addr]
	return id, ok, nil
}

// Trust implements session.DeviceStore: it replaces the stored identity of
// addr by id, what an app does once its user has accepted a peer's new
// identity key. With the context of LockAddress, it is staged in the
// transaction, as SaveIdentity is.
func (s *Store) Trust(ctx context.Context, addr session.Address, id curve.PublicKey) error {
	return s.SaveIdentity(ctx, addr, id)
}

// AddPreKey implements session.DeviceStore: it stores a one-time prekey,
// replacing one with the same id. Prekey writes apply at once, also with
// the context of LockAddress.
func (s *Store) AddPreKey(_ context.Context, k *x3dh.OneTimePreKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.preKeys[k.ID] = k
	return nil
}

// RemovePreKey implements session.DeviceStore: it removes the one-time
// prekey id, if it is stored.
func (s *Store) RemovePreKey(_ context.Context, id uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.preKeys, id)
	return nil
}

// AddSignedPreKey implements session.DeviceStore: it stores a signed
// prekey, replacing one with the same id.
func (s *Store) AddSignedPreKey(_ context.Context, k *x3dh.SignedPreKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signedPreKeys[k.ID] = k
	return nil
}

// RemoveSignedPreKey implements session.DeviceStore: it removes the signed
// prekey id, if it is stored.
func (s *Store) RemoveSignedPreKey(_ context.Context, id uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.signedPreKeys, id)
	return nil
}

// AddKEMPreKey implements session.DeviceStore: it stores a one-time KEM
// prekey, replacing a KEM prekey with the same id. The StoreSession that
// consumes it removes it.
func (s *Store) AddKEMPreKey(_ context.Context, k *x3dh.KEMPreKey) error {
	s.addKEMPreKey(k, false)
	return nil
}

// AddLastResortKEMPreKey implements session.DeviceStore: it stores a
// last-resort KEM prekey, replacing a KEM prekey with the same id (and the
// uses recorded for it). It stays after use.
func (s *Store) AddLastResortKEMPreKey(_ context.Context, k *x3dh.KEMPreKey) error {
	s.addKEMPreKey(k, true)
	return nil
}

func (s *Store) addKEMPreKey(k *x3dh.KEMPreKey, lastResort bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kemPreKeys[k.ID] = &kemEntry{key: k, lastResort: lastResort}
}

// RemoveKEMPreKey implements session.DeviceStore: it removes the KEM
// prekey id, one-time or last-resort, and the uses recorded for it.
func (s *Store) RemoveKEMPreKey(_ context.Context, id uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.kemPreKeys, id)
	return nil
}

// LoadPreKey implements session.PreKeyStore. With the context of
// LockAddress, a key that the transaction has consumed is not found.
func (s *Store) LoadPreKey(ctx context.Context, id uint32) (*x3dh.OneTimePreKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.preKeys[id]; ok && !s.txOf(ctx).consumesPreKey(id) {
		return k, nil
	}
	return nil, fmt.Errorf("prekey %d: %w", id, session.ErrNotFound)
}

// HasPreKey reports whether the one-time prekey id is still stored.
func (s *Store) HasPreKey(id uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.preKeys[id]
	return ok
}

// LoadSignedPreKey implements session.SignedPreKeyStore.
func (s *Store) LoadSignedPreKey(_ context.Context, id uint32) (*x3dh.SignedPreKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.signedPreKeys[id]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("signed prekey %d: %w", id, session.ErrNotFound)
}

// LoadKEMPreKey implements session.KEMPreKeyStore. With the context of
// LockAddress, a one-time key that the transaction has consumed is not
// found.
func (s *Store) LoadKEMPreKey(ctx context.Context, id uint32) (*x3dh.KEMPreKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.kemPreKeys[id]; ok && (e.lastResort || !s.txOf(ctx).consumesKEMPreKey(id)) {
		return e.key, nil
	}
	return nil, fmt.Errorf("KEM prekey %d: %w", id, session.ErrNotFound)
}

// LoadSession implements session.SessionStore. With the context of
// LockAddress, it returns what the transaction has stored.
func (s *Store) LoadSession(ctx context.Context, addr session.Address) (*session.Record, error) {
	s.mu.Lock()
	b, ok := s.sessions[addr]
	if t := s.txOf(ctx); t != nil {
		if r, staged := t.w.sessions[addr]; staged {
			b, ok = r.enc, !r.deleted
		}
	}
	s.mu.Unlock()
	if !ok {
		return nil, nil
	}
	return session.ParseRecordOwned(b) // stored encodings are replaced, never changed in place
}

// StoreSession implements session.SessionStore: the record and the prekeys
// it consumed change together. It fails with an error wrapping
// ErrPreKeyConsumed if a consumed one-time prekey or one-time KEM prekey is
// no longer stored, and with one wrapping ErrKEMPreKeyReplay if the use of
// a last-resort KEM prekey (with this signed prekey and base key) is
// already recorded, and with the same errors if another open transaction
// consumes the same; then nothing changes. With the context of
// LockAddress, the change is staged in the transaction (which claims the
// prekeys it consumes until it ends) and checked again when it commits.
func (s *Store) StoreSession(ctx context.Context, addr session.Address, rec *session.Record, c session.Consumed) error {
	b, err := rec.MarshalBinary()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.txOf(ctx)
	if t != nil && !c.IsZero() {
		if err := s.check(append(slices.Clip(t.w.consumed), c)); err != nil {
			return err
		}
	} else if err := s.check([]session.Consumed{c}); err != nil {
		return err
	}
	claims := s.claimsOf(c)
	for _, cl := range claims {
		if owner := s.claims[cl]; owner != nil && owner != t {
			return cl.err()
		}
	}
	if t == nil {
		s.sessions[addr] = b
		s.consume(c)
		return nil
	}
	if !c.IsZero() {
		if s.claims == nil {
			s.claims = make(map[claim]*txn)
		}
		for _, cl := range claims {
			s.claims[cl] = t
		}
		t.w.consumed = append(t.w.consumed, c)
		t.w.claims = append(t.w.claims, claims...)
	}
	t.w.stage(addr, stagedRecord{enc: b})
	return nil
}

// DeleteSession implements session.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, addr session.Address) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.txOf(ctx); t != nil {
		t.w.stage(addr, stagedRecord{deleted: true})
		return nil
	}
	delete(s.sessions, addr)
	return nil
}

// check reports whether the prekeys of cs, in turn, can be consumed from
// what is committed: every one-time key is still there (and not consumed
// twice in cs), and no use of a last-resort KEM prekey is already
// recorded (or repeated in cs). s.mu is held.
func (s *Store) check(cs []session.Consumed) error {
	type use struct {
		id uint32
		u  kemUse
	}
	var (
		preKeys, kemKeys map[uint32]bool
		uses             map[use]bool
	)
	for _, c := range cs {
		if c.HasPreKey {
			if _, ok := s.preKeys[c.PreKeyID]; !ok || preKeys[c.PreKeyID] {
				return fmt.Errorf("prekey %d: %w", c.PreKeyID, ErrPreKeyConsumed)
			}
			if preKeys == nil {
				preKeys = make(map[uint32]bool)
			}
			preKeys[c.PreKeyID] = true
		}
		if !c.HasKEMPreKey {
			continue
		}
		e, ok := s.kemPreKeys[c.KEMPreKeyID]
		switch {
		case !ok || kemKeys[c.KEMPreKeyID]:
			return fmt.Errorf("KEM prekey %d: %w", c.KEMPreKeyID, ErrPreKeyConsumed)
		case e.lastResort:
			u := use{c.KEMPreKeyID, kemUse{c.SignedPreKeyID, c.BaseKey}}
			if _, used := e.uses[u.u]; used || uses[u] {
				return fmt.Errorf("KEM prekey %d, signed prekey %d: %w", c.KEMPreKeyID, c.SignedPreKeyID, ErrKEMPreKeyReplay)
			}
			if uses == nil {
				uses = make(map[use]bool)
			}
			uses[u] = true
		default:
			if kemKeys == nil {
				kemKeys = make(map[uint32]bool)
			}
			kemKeys[c.KEMPreKeyID] = true
		}
	}
	return nil
}

// claimsOf returns what c takes (c has passed check). s.mu is held.
func (s *Store) claimsOf(c session.Consumed) []claim {
	var cs []claim
	if c.HasPreKey {
		cs = append(cs, claim{kind: claimPreKey, id: c.PreKeyID})
	}
	if c.HasKEMPreKey {
		if e := s.kemPreKeys[c.KEMPreKeyID]; e != nil && e.lastResort {
			cs = append(cs, claim{kind: claimKEMUse, id: c.KEMPreKeyID, use: kemUse{c.SignedPreKeyID, c.BaseKey}})
		} else {
			cs = append(cs, claim{kind: claimKEMPreKey, id: c.KEMPreKeyID})
		}
	}
	return cs
}

// err is the error of a write that wants what another transaction has
// claimed.
func (cl claim) err() error {
	switch cl.kind {
	case claimPreKey:
		return fmt.Errorf("prekey %d: %w", cl.id, ErrPreKeyConsumed)
	case claimKEMPreKey:
		return fmt.Errorf("KEM prekey %d: %w", cl.id, ErrPreKeyConsumed)
	}
	return fmt.Errorf("KEM prekey %d, signed prekey %d: %w", cl.id, cl.use.signedPreKeyID, ErrKEMPreKeyReplay)
}

// unclaim drops the claims of t that are not in keep. s.mu is held.
func (s *Store) unclaim(t *txn, keep []claim) {
	for _, cl := range t.w.claims {
		if s.claims[cl] == t && !slices.Contains(keep, cl) {
			delete(s.claims, cl)
		}
	}
}

// consume removes the one-time prekeys of c and records its use of a
// last-resort KEM prekey. check has passed; s.mu is held.
func (s *Store) consume(c session.Consumed) {
	if c.HasPreKey {
		delete(s.preKeys, c.PreKeyID)
	}
	if !c.HasKEMPreKey {
		return
	}
	e := s.kemPreKeys[c.KEMPreKeyID]
	if !e.lastResort {
		delete(s.kemPreKeys, c.KEMPreKeyID)
		return
	}
	if e.uses == nil {
		e.uses = make(map[kemUse]struct{})
	}
	e.uses[kemUse{c.SignedPreKeyID, c.BaseKey}] = struct{}{}
}

// SessionBytes returns the encoded record of addr (nil if none), for tests
// that compare stored state before and after an operation. It is what is
// committed, not what an open transaction has staged.
func (s *Store) SessionBytes(addr session.Address) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.sessions[addr]...)
}

// PreKeyCount implements session.DeviceStore: it returns the number of
// one-time prekeys and of one-time KEM prekeys stored (not counting
// last-resort KEM prekeys).
func (s *Store) PreKeyCount(context.Context) (oneTime, kemOneTime int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.kemPreKeys {
		if !e.lastResort {
			kemOneTime++
		}
	}
	return len(s.preKeys), kemOneTime, nil
}

// LockAddress implements session.Locker. It waits for the lock of addr in
// s (or for ctx to end: then it returns ctx's error) and returns a context
// that carries a transaction. The writes made with that context
// (SaveIdentity, StoreSession, DeleteSession) are staged in the
// transaction, and its reads (LoadSession, IsTrustedIdentity, LoadPreKey,
// LoadKEMPreKey) see them. The prekeys that a staged StoreSession consumes
// are the transaction's until it ends: a write of another that consumes
// one of them fails (see ErrPreKeyConsumed and ErrKEMPreKeyReplay).
// unlock(true) applies the writes all at once (it checks the consumed
// prekeys again, and fails, applying nothing, if one is gone after all);
// unlock(false) discards them. Either releases the lock. Later calls of
// unlock do nothing and return nil. Without such a context, each write
// applies at once.
//
// So any number of session.Managers may use s at once: an operation of one
// on an address waits for any other's on the same address.
//
// If ctx already carries an open transaction of s, LockAddress joins it: it
// takes the lock of addr too (unless the transaction already holds it),
// which stays held until the transaction ends. The unlock it returns then
// does not end the transaction: unlock(false) undoes the writes made since
// this LockAddress, unlock(true) leaves them to the transaction.
//
// A context from LockAddress is for one goroutine at a time, like a
// database transaction. Two goroutines that each hold the lock of one
// address and wait for the other's wait until one of their contexts ends.
func (s *Store) LockAddress(ctx context.Context, addr session.Address) (context.Context, func(commit bool) error, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("memstore: lock %v: %w", addr, err)
	}
	s.mu.Lock()
	outer := s.txOf(ctx)
	if outer != nil && outer.holds(addr) {
		unlock := outer.savepoint()
		s.mu.Unlock()
		return ctx, unlock, nil
	}
	l := s.locks[addr]
	if l == nil {
		if s.locks == nil {
			s.locks = make(map[session.Address]*addrLock)
		}
		l = &addrLock{ch: make(chan struct{}, 1)}
		s.locks[addr] = l
	}
	l.refs++
	s.mu.Unlock()

	select {
	case l.ch <- struct{}{}:
	case <-ctx.Done():
		s.mu.Lock()
		s.release(addr, l, false)
		s.mu.Unlock()
		return nil, nil, fmt.Errorf("memstore: lock %v: %w", addr, ctx.Err())
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if outer != nil && !outer.done {
		outer.held = append(outer.held, heldLock{addr, l})
		return ctx, outer.savepoint(), nil
	}
	t := &txn{s: s, held: []heldLock{{addr, l}}}
	return context.WithValue(ctx, txKey{}, t), t.end, nil
}

// addrLock is the lock of one address. It is in Store.locks only while
// some transaction holds or waits for it.
type addrLock struct {
	ch   chan struct{} // holds a token while the address is locked
	refs int           // holders and waiters; guarded by Store.mu
}

type heldLock struct {
	addr session.Address
	l    *addrLock
}

// release gives up one reference to l (and the lock itself if held),
// dropping l from s.locks when no one holds or waits for it. s.mu is held.
func (s *Store) release(addr session.Address, l *addrLock, held bool) {
	if held {
		<-l.ch
	}
	if l.refs--; l.refs == 0 {
		delete(s.locks, addr)
	}
}

// txn is the transaction of a LockAddress: the address locks it holds and
// the writes it has staged. Its fields are guarded by Store.mu.
type txn struct {
	s    *Store
	held []heldLock
	w    writes
	done bool
}

type txKey struct{}

// txOf returns the open transaction of s that ctx carries, or nil. s.mu is
// held.
func (s *Store) txOf(ctx context.Context) *txn {
	t, _ := ctx.Value(txKey{}).(*txn)
	if t == nil || t.s != s || t.done {
		return nil
	}
	return t
}

func (t *txn) holds(addr session.Address) bool {
	return slices.ContainsFunc(t.held, func(h heldLock) bool { return h.addr == addr })
}

// consumesPreKey reports whether t (which may be nil) consumes the
// one-time prekey id.
func (t *txn) consumesPreKey(id uint32) bool {
	return t != nil && slices.ContainsFunc(t.w.consumed, func(c session.Consumed) bool { return c.HasPreKey && c.PreKeyID == id })
}

// consumesKEMPreKey reports whether t (which may be nil) consumes the KEM
// prekey id.
func (t *txn) consumesKEMPreKey(id uint32) bool {
	return t != nil && slices.ContainsFunc(t.w.consumed, func(c session.Consumed) bool { return c.HasKEMPreKey && c.KEMPreKeyID == id })
}

// savepoint returns the unlock of a LockAddress that joined t: it keeps
// the writes made since, or undoes them. s.mu is held.
func (t *txn) savepoint() func(commit bool) error {
	saved := t.w.clone()
	used := false
	return func(commit bool) error {
		t.s.mu.Lock()
		defer t.s.mu.Unlock()
		if used || t.done {
			return nil
		}
		used = true
		if !commit {
			t.s.unclaim(t, saved.claims)
			t.w = saved
		}
		return nil
	}
}

// end ends t: it applies its writes if commit (unless a check fails) and
// releases its locks.
func (t *txn) end(commit bool) error {
	s := t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.done {
		return nil
	}
	t.done = true
	var err error
	if commit {
		err = s.apply(&t.w)
	}
	s.unclaim(t, nil)
	t.w = writes{}
	for _, h := range t.held {
		s.release(h.addr, h.l, true)
	}
	t.held = nil
	return err
}

// apply applies w, all of it, or none if a prekey it consumes can no
// longer be consumed. s.mu is held.
func (s *Store) apply(w *writes) error {
	if err := s.check(w.consumed); err != nil {
		return err
	}
	for addr, r := range w.sessions {
		if r.deleted {
			delete(s.sessions, addr)
		} else {
			s.sessions[addr] = r.enc
		}
	}
	maps.Copy(s.identities, w.identities)
	for _, c := range w.consumed {
		s.consume(c)
	}
	return nil
}

// writes are the staged writes of a transaction.
type writes struct {
	sessions   map[session.Address]stagedRecord
	identities map[session.Address]curve.PublicKey
	consumed   []session.Consumed
	claims     []claim // of consumed, in s.claims
}

type stagedRecord struct {
	enc     []byte
	deleted bool
}

func (w *writes) stage(addr session.Address, r stagedRecord) {
	if w.sessions == nil {
		w.sessions = make(map[session.Address]stagedRecord)
	}
	w.sessions[addr] = r
}

func (w *writes) clone() writes {
	return writes{
		sessions:   maps.Clone(w.sessions),
		identities: maps.Clone(w.identities),
		consumed:   slices.Clone(w.consumed),
		claims:     slices.Clone(w.claims),
	}
}
