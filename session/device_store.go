package session

import (
	"context"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh"
)

// DeviceStore is the side of a device's store that the app itself calls,
// beside the interfaces of Stores that a Manager calls: it writes the
// device's own prekeys (the ones the app publishes), counts the one-time
// keys left (to refill them in time), and records its user's trust
// decisions. memstore.Store and sqlstore.Store implement it with the same
// signatures and meaning, so an app moves from one to the other without a
// change; package storetest checks a store's implementation. Its prekey
// methods are those of prekey.Writer, so prekey.Store writes a generated
// set into any DeviceStore.
//
// Every method takes a context and may fail. A store that is a Locker may
// run a call made with a context from LockAddress in that transaction
// (sqlstore does).
type DeviceStore interface {
	// AddPreKey stores a one-time prekey, replacing one with the same id.
	// The StoreSession that consumes it removes it.
	AddPreKey(ctx context.Context, k *x3dh.OneTimePreKey) error
	// RemovePreKey removes the one-time prekey id, if it is stored.
	RemovePreKey(ctx context.Context, id uint32) error
	// AddSignedPreKey stores a signed prekey, replacing one with the same
	// id.
	AddSignedPreKey(ctx context.Context, k *x3dh.SignedPreKey) error
	// RemoveSignedPreKey removes the signed prekey id, if it is stored:
	// after a rotation, once no PreKey message can still name it
	// (prekey.Policy.Expired says when).
	RemoveSignedPreKey(ctx context.Context, id uint32) error
	// AddKEMPreKey stores a one-time KEM prekey, replacing a KEM prekey
	// with the same id. The StoreSession that consumes it removes it.
	AddKEMPreKey(ctx context.Context, k *x3dh.KEMPreKey) error
	// AddLastResortKEMPreKey stores a last-resort KEM prekey, replacing a
	// KEM prekey with the same id (and the uses recorded for it). It stays
	// after use; each use (KEM prekey id, signed prekey id, base key) is
	// recorded, and a second one refused.
	AddLastResortKEMPreKey(ctx context.Context, k *x3dh.KEMPreKey) error
	// RemoveKEMPreKey removes the KEM prekey id, one-time or last-resort,
	// and the uses recorded for it, if it is stored: for a last-resort key
	// after a rotation, once no PreKey message can still name it.
	RemoveKEMPreKey(ctx context.Context, id uint32) error
	// PreKeyCount returns how many one-time prekeys and one-time KEM
	// prekeys are stored (last-resort KEM prekeys are not counted).
	PreKeyCount(ctx context.Context) (oneTime, kemOneTime int, err error)
	// Identity returns the identity key stored for addr, and whether there
	// is one.
	Identity(ctx context.Context, addr Address) (curve.PublicKey, bool, error)
	// Trust stores id as addr's identity key, replacing the one stored:
	// what the app does once its user has accepted a peer's new identity
	// key (see UntrustedIdentityError).
	Trust(ctx context.Context, addr Address, id curve.PublicKey) error
}
