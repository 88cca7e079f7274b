package session

import (
	"context"
	"errors"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh"
)

// Direction says which way a message goes when the identity store is asked to
// trust a peer's identity key.
type Direction uint8

const (
	// Sending: we are about to encrypt to the peer.
	Sending Direction = 1
	// Receiving: we have received (and are decrypting) a message from the peer.
	Receiving Direction = 2
)

// String returns "sending" or "receiving".
func (d Direction) String() string {
	switch d {
	case Sending:
		return "sending"
	case Receiving:
		return "receiving"
	}
	return "Direction(invalid)"
}

// ErrNotFound is what stores return (possibly wrapped) for a prekey that they
// do not hold.
var ErrNotFound = errors.New("session: not found in store")

// IdentityStore holds our own identity and decides which peer identity keys
// to trust. Trust is the app's decision: the reference policy (package
// memstore) trusts on first use and then only the stored key.
type IdentityStore interface {
	// IdentityKeyPair returns our identity key pair.
	IdentityKeyPair(ctx context.Context) (*curve.IdentityKeyPair, error)
	// LocalRegistrationID returns our registration id.
	LocalRegistrationID(ctx context.Context) (uint32, error)
	// IsTrustedIdentity reports whether identity may be used for addr in
	// direction dir.
	IsTrustedIdentity(ctx context.Context, addr Address, identity curve.PublicKey, dir Direction) (bool, error)
	// SaveIdentity records identity as addr's identity key.
	SaveIdentity(ctx context.Context, addr Address, identity curve.PublicKey) error
}

// PreKeyStore holds our one-time prekeys. Consumed keys are removed through
// SessionStore.StoreSession, in the same write as the session that used them.
type PreKeyStore interface {
	// LoadPreKey returns the one-time prekey id, or an error wrapping
	// ErrNotFound.
	LoadPreKey(ctx context.Context, id uint32) (*x3dh.OneTimePreKey, error)
}

// SignedPreKeyStore holds our signed prekeys.
type SignedPreKeyStore interface {
	// LoadSignedPreKey returns the signed prekey id, or an error wrapping
	// ErrNotFound.
	LoadSignedPreKey(ctx context.Context, id uint32) (*x3dh.SignedPreKey, error)
}

// KEMPreKeyStore holds our KEM (Kyber) prekeys, one-time or last-resort.
type KEMPreKeyStore interface {
	// LoadKEMPreKey returns the KEM prekey id, or an error wrapping
	// ErrNotFound.
	LoadKEMPreKey(ctx context.Context, id uint32) (*x3dh.KEMPreKey, error)
}

// Consumed lists the prekeys that a decrypt used up. The session store
// applies it in the same write as the new session record.
type Consumed struct {
	// PreKeyID is a one-time prekey to remove, if HasPreKey.
	HasPreKey bool
	PreKeyID  uint32
	// KEMPreKeyID is the KEM prekey that was used, if HasKEMPreKey. A store
	// removes it if it is a one-time key, and records (KEMPreKeyID,
	// SignedPreKeyID, BaseKey) for a last-resort key to refuse replays.
	HasKEMPreKey   bool
	KEMPreKeyID    uint32
	SignedPreKeyID uint32
	BaseKey        curve.PublicKey
}

// IsZero reports whether nothing was consumed.
func (c Consumed) IsZero() bool { return !c.HasPreKey && !c.HasKEMPreKey }

// SessionStore holds one session record per address.
//
// All writes of one operation go through one StoreSession call: the new
// record and the prekeys it consumed. A database-backed store applies them in
// one transaction, so a crash can neither lose a session nor let a one-time
// prekey be used twice.
type SessionStore interface {
	// LoadSession returns the record of addr, or (nil, nil) if there is
	// none. The returned record belongs to the caller, who may modify it:
	// stores must not hand out a record they keep.
	LoadSession(ctx context.Context, addr Address) (*Record, error)
	// StoreSession replaces the record of addr by rec and removes the
	// consumed prekeys, all or nothing. It fails, writing nothing, if a
	// consumed one-time prekey (or one-time KEM prekey) is no longer
	// stored, or if consumed repeats a recorded use of a last-resort KEM
	// prekey. A store must not keep rec itself (the caller may go on
	// modifying it): copy or encode it.
	StoreSession(ctx context.Context, addr Address, rec *Record, consumed Consumed) error
	// DeleteSession removes the record of addr, if any.
	DeleteSession(ctx context.Context, addr Address) error
}

// Stores are the stores a Manager uses. An app usually passes one value that
// implements all of them (such as *memstore.Store).
type Stores struct {
	Identity      IdentityStore
	PreKeys       PreKeyStore
	SignedPreKeys SignedPreKeyStore
	KEMPreKeys    KEMPreKeyStore
	Sessions      SessionStore
}

// AllStores is implemented by a value that is every store at once.
type AllStores interface {
	IdentityStore
	PreKeyStore
	SignedPreKeyStore
	KEMPreKeyStore
	SessionStore
}

// StoresOf returns the Stores that are all s.
func StoresOf(s AllStores) Stores {
	return Stores{Identity: s, PreKeys: s, SignedPreKeys: s, KEMPreKeys: s, Sessions: s}
}

// Snapshotter is an optional interface of a Locker whose lock is costly to
// hold while a decrypt does its cryptography, such as SQLite's
// database-wide write lock. With such a store, a Manager decrypts
// optimistically: it reads the record with LoadSessionSnapshot without
// taking LockAddress (it keeps its own in-process lock of the address),
// decrypts, and only then takes LockAddress and writes, if SessionChanged
// reports that the record is still the one it read. If it changed (another
// process wrote it in between), the Manager starts again, at most
// MaxSnapshotRetries times, and then decrypts under the lock. A decrypt that
// fails therefore never takes the lock at all.
type Snapshotter interface {
	Locker
	// OptimisticDecrypt reports whether the Manager should decrypt this
	// way. A store that is a Snapshotter in some configurations only (such
	// as sqlstore, whose PostgreSQL lock is a row lock, cheap to hold)
	// returns false in the others, and is then decrypted under its lock.
	OptimisticDecrypt() bool
	// LoadSessionSnapshot returns the record of addr (nil if there is
	// none) and a token naming this version of it, without waiting for
	// any lock. The token is opaque to the Manager.
	LoadSessionSnapshot(ctx context.Context, addr Address) (*Record, []byte, error)
	// SessionChanged reports whether the record of addr is no longer the
	// version that token names (it was written, created or deleted since).
	// The Manager calls it with the context LockAddress returned before it
	// commits, and without the lock after a failed decrypt, to tell a
	// verdict on an out-of-date snapshot (decrypted again) from a final one.
	SessionChanged(ctx context.Context, addr Address, token []byte) (bool, error)
}
