package omemo

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// Store is what a Manager needs of a device's storage: package session's
// stores (identity key pair and trust, prekeys, and for OMEMO 0.3 the
// Signal session records), plus SessionStoreV2 for OMEMO 2's records. A
// device that speaks both versions keeps one Store per version (with the
// same identity key pair): the two versions sign their prekeys
// differently.
type Store interface {
	session.AllStores
	SessionStoreV2
}

// SessionStoreV2 holds OMEMO 2 session records (this package's encoding,
// opaque to the store).
type SessionStoreV2 interface {
	// LoadSessionV2 returns the record of addr, or (nil, nil) if there is
	// none. The caller owns the returned slice.
	LoadSessionV2(ctx context.Context, addr session.Address) ([]byte, error)
	// StoreSessionV2 replaces the record of addr by rec (which the store
	// must copy), when consumed is not nil removes the one-time prekey
	// *consumed, and when identity is not nil saves it as addr's identity
	// key (as SaveIdentity does), all or nothing: it fails, writing
	// nothing, if that prekey is no longer stored or any write fails. A
	// new session and the identity it was started with are stored
	// together, so that a failure leaves neither.
	StoreSessionV2(ctx context.Context, addr session.Address, rec []byte, consumed *uint32, identity *curve.PublicKey) error
	// DeleteSessionV2 removes the record of addr, if any.
	DeleteSessionV2(ctx context.Context, addr session.Address) error
}

// ErrPreKeyConsumed is returned by MemStore.StoreSessionV2 when the
// one-time prekey to consume is already gone.
var ErrPreKeyConsumed = errors.New("omemo: one-time prekey already consumed")

// MemStore is an in-memory Store for tests, examples and small tools: a
// memstore.Store (identity, trust on first use, prekeys, OMEMO 0.3
// sessions; also a session.DeviceStore for adding prekeys) plus OMEMO 2
// records. It is safe for concurrent use.
type MemStore struct {
	*memstore.Store

	mu sync.Mutex
	v2 map[session.Address][]byte
}

// NewMemStore returns an empty store for the device with identity.
func NewMemStore(identity *curve.IdentityKeyPair) *MemStore {
	return &MemStore{Store: memstore.New(identity, 1), v2: make(map[session.Address][]byte)}
}

// LoadSessionV2 implements SessionStoreV2.
func (s *MemStore) LoadSessionV2(_ context.Context, addr session.Address) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.v2[addr]), nil
}

// StoreSessionV2 implements SessionStoreV2.
func (s *MemStore) StoreSessionV2(ctx context.Context, addr session.Address, rec []byte, consumed *uint32, identity *curve.PublicKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if consumed != nil && !s.HasPreKey(*consumed) {
		return fmt.Errorf("%w: %d", ErrPreKeyConsumed, *consumed)
	}
	// memstore's SaveIdentity and RemovePreKey do not fail: after the
	// prekey check, nothing below leaves a partial write.
	if identity != nil {
		if err := s.SaveIdentity(ctx, addr, *identity); err != nil {
			return err
		}
	}
	if consumed != nil {
		if err := s.RemovePreKey(ctx, *consumed); err != nil {
			return err
		}
	}
	s.v2[addr] = bytes.Clone(rec)
	return nil
}

// DeleteSessionV2 implements SessionStoreV2.
func (s *MemStore) DeleteSessionV2(_ context.Context, addr session.Address) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.v2, addr)
	return nil
}

// String names no secret.
func (s *MemStore) String() string { return "omemo.MemStore(" + s.Store.String() + ")" }

// Format prints String for every verb.
func (s *MemStore) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// memStoreMagic starts MemStore's encoding.
const memStoreMagic = "omemo.MemStore/1\n"

// MarshalBinary encodes the whole store (the memstore.Store's own encoding
// and the OMEMO 2 records), for tools that keep a device in a file. The
// encoding holds private keys: protect it as such.
func (s *MemStore) MarshalBinary() ([]byte, error) {
	inner, err := s.Store.MarshalBinary()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := append([]byte(memStoreMagic), binary.AppendUvarint(nil, uint64(len(inner)))...)
	b = append(b, inner...)
	b = binary.AppendUvarint(b, uint64(len(s.v2)))
	for a, rec := range s.v2 {
		b = binary.AppendUvarint(b, uint64(len(a.Name)))
		b = append(b, a.Name...)
		b = binary.BigEndian.AppendUint32(b, a.DeviceID)
		b = binary.AppendUvarint(b, uint64(len(rec)))
		b = append(b, rec...)
	}
	return b, nil
}

// ErrInvalidMemStore is returned by UnmarshalMemStore for bytes that are
// not a MemStore encoding.
var ErrInvalidMemStore = errors.New("omemo: invalid MemStore encoding")

// UnmarshalMemStore decodes a MemStore encoded by MarshalBinary.
func UnmarshalMemStore(b []byte) (*MemStore, error) {
	rest, ok := bytes.CutPrefix(b, []byte(memStoreMagic))
	if !ok {
		return nil, ErrInvalidMemStore
	}
	next := func() ([]byte, bool) {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			return nil, false
		}
		v := rest[k : k+int(n)]
		rest = rest[k+int(n):]
		return v, true
	}
	inner, ok := next()
	if !ok {
		return nil, ErrInvalidMemStore
	}
	ms, err := memstore.Unmarshal(inner)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMemStore, err)
	}
	s := &MemStore{Store: ms, v2: make(map[session.Address][]byte)}
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > uint64(len(rest)) {
		return nil, ErrInvalidMemStore
	}
	rest = rest[k:]
	for range n {
		name, ok := next()
		if !ok || len(rest) < 4 {
			return nil, ErrInvalidMemStore
		}
		a := session.Address{Name: string(name), DeviceID: binary.BigEndian.Uint32(rest)}
		rest = rest[4:]
		rec, ok := next()
		if !ok {
			return nil, ErrInvalidMemStore
		}
		if _, dup := s.v2[a]; dup {
			return nil, ErrInvalidMemStore
		}
		s.v2[a] = bytes.Clone(rec)
	}
	if len(rest) != 0 {
		return nil, ErrInvalidMemStore
	}
	return s, nil
}
