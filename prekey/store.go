package prekey

import (
	"context"
	"fmt"

	"github.com/forwardsecret/signal/x3dh"
)

// Writer is a store that keeps a device's own prekeys, the ones package
// session loads through its PreKeyStore, SignedPreKeyStore and
// KEMPreKeyStore: what Store writes through.
type Writer interface {
	// AddPreKey stores a one-time prekey.
	AddPreKey(ctx context.Context, k *x3dh.OneTimePreKey) error
	// AddSignedPreKey stores a signed prekey.
	AddSignedPreKey(ctx context.Context, k *x3dh.SignedPreKey) error
	// AddKEMPreKey stores a one-time KEM prekey: one that a session removes
	// when it uses it.
	AddKEMPreKey(ctx context.Context, k *x3dh.KEMPreKey) error
	// AddLastResortKEMPreKey stores a last-resort KEM prekey: one that
	// stays after use.
	AddLastResortKEMPreKey(ctx context.Context, k *x3dh.KEMPreKey) error
}

// Store writes every key of set through w: the one-time prekeys, the
// one-time KEM prekeys, the last-resort KEM prekey and then the signed
// prekey. Store the set before uploading it: a peer may use an uploaded key
// at once. If Store fails part of the set may be stored; generate a new set
// (the ids move on) rather than upload this one.
func Store(ctx context.Context, w Writer, set *Set) error {
	for _, k := range set.OneTimePreKeys {
		if err := w.AddPreKey(ctx, k); err != nil {
			return fmt.Errorf("prekey: one-time prekey %d: %w", k.ID, err)
		}
	}
	for _, k := range set.OneTimeKEMPreKeys {
		if err := w.AddKEMPreKey(ctx, k); err != nil {
			return fmt.Errorf("prekey: one-time KEM prekey %d: %w", k.ID, err)
		}
	}
	if k := set.LastResortKEMPreKey; k != nil {
		if err := w.AddLastResortKEMPreKey(ctx, k); err != nil {
			return fmt.Errorf("prekey: last-resort KEM prekey %d: %w", k.ID, err)
		}
	}
	if k := set.SignedPreKey; k != nil {
		if err := w.AddSignedPreKey(ctx, k); err != nil {
			return fmt.Errorf("prekey: signed prekey %d: %w", k.ID, err)
		}
	}
	return nil
}
