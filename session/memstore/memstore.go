// Package memstore is an in-memory implementation of every store of package
// session, safe for concurrent use. Its trust policy is libsignal's reference
// one: trust a peer's identity key on first use, then only that key.
//
// Records are kept encoded (as a database would keep them), so a record
// handed out by LoadSession is always the caller's own copy.
package memstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// Store holds one device's identity, prekeys and sessions in memory.
type Store struct {
	identity *curve.IdentityKeyPair
	regID    uint32

	mu            sync.Mutex
	identities    map[session.Address]curve.PublicKey
	preKeys       map[uint32]*x3dh.OneTimePreKey
	signedPreKeys map[uint32]*x3dh.SignedPreKey
	kemPreKeys    map[uint32]kemEntry
	sessions      map[session.Address][]byte
}

type kemEntry struct {
	key        *x3dh.KEMPreKey
	lastResort bool
}

var _ session.AllStores = (*Store)(nil)

// New returns an empty store for the device with identity key pair identity
// and registration id regID.
func New(identity *curve.IdentityKeyPair, regID uint32) *Store {
	return &Store{
		identity:      identity,
		regID:         regID,
		identities:    make(map[session.Address]curve.PublicKey),
		preKeys:       make(map[uint32]*x3dh.OneTimePreKey),
		signedPreKeys: make(map[uint32]*x3dh.SignedPreKey),
		kemPreKeys:    make(map[uint32]kemEntry),
		sessions:      make(map[session.Address][]byte),
	}
}

// IdentityKeyPair implements session.IdentityStore.
func (s *Store) IdentityKeyPair(context.Context) (*curve.IdentityKeyPair, error) {
	return s.identity, nil
}

// LocalRegistrationID implements session.IdentityStore.
func (s *Store) LocalRegistrationID(context.Context) (uint32, error) { return s.regID, nil }

// IsTrustedIdentity implements session.IdentityStore: a key is trusted if
// none is stored for addr yet, or if it is the stored one.
func (s *Store) IsTrustedIdentity(_ context.Context, addr session.Address, id curve.PublicKey, _ session.Direction) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	known, ok := s.identities[addr]
	return !ok || known.Equal(id), nil
}

// SaveIdentity implements session.IdentityStore.
func (s *Store) SaveIdentity(_ context.Context, addr session.Address, id curve.PublicKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.identities[addr] = id
	return nil
}

// Identity returns the stored identity key of addr.
func (s *Store) Identity(addr session.Address) (curve.PublicKey, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.identities[addr]
	return id, ok
}

// Trust replaces the stored identity of addr by id: what an app does once
// its user has accepted a peer's new identity key.
func (s *Store) Trust(addr session.Address, id curve.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.identities[addr] = id
}

// AddPreKey stores a one-time prekey.
func (s *Store) AddPreKey(k *x3dh.OneTimePreKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.preKeys[k.ID] = k
}

// AddSignedPreKey stores a signed prekey.
func (s *Store) AddSignedPreKey(k *x3dh.SignedPreKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signedPreKeys[k.ID] = k
}

// AddKEMPreKey stores a KEM prekey. A last-resort key stays after use; a
// one-time key is removed when a session that used it is stored.
func (s *Store) AddKEMPreKey(k *x3dh.KEMPreKey, lastResort bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kemPreKeys[k.ID] = kemEntry{key: k, lastResort: lastResort}
}

// LoadPreKey implements session.PreKeyStore.
func (s *Store) LoadPreKey(_ context.Context, id uint32) (*x3dh.OneTimePreKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.preKeys[id]; ok {
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

// LoadKEMPreKey implements session.KEMPreKeyStore.
func (s *Store) LoadKEMPreKey(_ context.Context, id uint32) (*x3dh.KEMPreKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.kemPreKeys[id]; ok {
		return e.key, nil
	}
	return nil, fmt.Errorf("KEM prekey %d: %w", id, session.ErrNotFound)
}

// LoadSession implements session.SessionStore.
func (s *Store) LoadSession(_ context.Context, addr session.Address) (*session.Record, error) {
	s.mu.Lock()
	b, ok := s.sessions[addr]
	s.mu.Unlock()
	if !ok {
		return nil, nil
	}
	return session.ParseRecord(b)
}

// StoreSession implements session.SessionStore: the record and the prekeys
// it consumed change together, under one lock.
func (s *Store) StoreSession(_ context.Context, addr session.Address, rec *session.Record, c session.Consumed) error {
	b, err := rec.MarshalBinary()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[addr] = b
	if c.HasPreKey {
		delete(s.preKeys, c.PreKeyID)
	}
	if c.HasKEMPreKey {
		if e, ok := s.kemPreKeys[c.KEMPreKeyID]; ok && !e.lastResort {
			delete(s.kemPreKeys, c.KEMPreKeyID)
		}
	}
	return nil
}

// DeleteSession implements session.SessionStore.
func (s *Store) DeleteSession(_ context.Context, addr session.Address) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, addr)
	return nil
}

// SessionBytes returns the encoded record of addr (nil if none), for tests
// that compare stored state before and after an operation.
func (s *Store) SessionBytes(addr session.Address) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.sessions[addr]...)
}

// PreKeyCount returns the number of one-time prekeys and of KEM prekeys
// stored.
func (s *Store) PreKeyCount() (oneTime, kem int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.preKeys), len(s.kemPreKeys)
}
