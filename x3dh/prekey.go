package x3dh

import (
	"bytes"
	"fmt"
	"time"

	"github.com/forwardsecret/signal/curve"
)

// SignedPreKey is a medium-term prekey: a Curve25519 key pair whose 33-byte
// public encoding is signed with XEdDSA by the owner's identity key. Bob keeps
// it; its public half (Public) goes into his bundle.
type SignedPreKey struct {
	// ID names the key in bundles and PreKey messages.
	ID uint32
	// KeyPair is the prekey itself.
	KeyPair curve.KeyPair
	// Timestamp is when the key was made; storage formats keep milliseconds.
	// It is not covered by the signature.
	Timestamp time.Time
	// Signature is the XEdDSA signature of KeyPair.Public.Bytes() by the
	// identity key (curve.SignatureSize bytes).
	Signature []byte
}

// GenerateSignedPreKey makes a new signed prekey with the given id, signed by
// identity, timestamped now.
func GenerateSignedPreKey(identity *curve.IdentityKeyPair, id uint32) (*SignedPreKey, error) {
	if identity == nil {
		return nil, fmt.Errorf("%w: nil identity", ErrMissingKey)
	}
	kp, err := curve.GenerateKeyPair()
	if err != nil {
		return nil, err
	}
	sig, err := identity.Sign(kp.Public.Bytes())
	if err != nil {
		return nil, err
	}
	return &SignedPreKey{ID: id, KeyPair: kp, Timestamp: time.Now(), Signature: sig}, nil
}

// Public returns the part of k that goes into a bundle.
func (k *SignedPreKey) Public() SignedPreKeyPublic {
	return SignedPreKeyPublic{ID: k.ID, PublicKey: k.KeyPair.Public, Signature: bytes.Clone(k.Signature)}
}

// SignedPreKeyPublic is a signed prekey as published in a bundle.
type SignedPreKeyPublic struct {
	// ID names the key.
	ID uint32
	// PublicKey is the prekey.
	PublicKey curve.PublicKey
	// Signature is the XEdDSA signature of PublicKey.Bytes() (33 bytes) by
	// the bundle's identity key.
	Signature []byte
}

// Verify checks the signature under identity. It returns an error wrapping
// ErrBadSignedPreKeySignature, or ErrInvalidBundle for a zero key.
func (p *SignedPreKeyPublic) Verify(identity curve.PublicKey) error {
	if p.PublicKey.IsZero() {
		return fmt.Errorf("%w: no signed prekey", ErrInvalidBundle)
	}
	var buf [curve.PublicKeySize]byte
	if !identity.VerifySignature(p.PublicKey.AppendBytes(buf[:0]), p.Signature) {
		return fmt.Errorf("%w (signed prekey %d)", ErrBadSignedPreKeySignature, p.ID)
	}
	return nil
}

// OneTimePreKey is a single-use Curve25519 prekey. Bob deletes it once a
// handshake has used it.
type OneTimePreKey struct {
	// ID names the key in bundles and PreKey messages.
	ID uint32
	// KeyPair is the prekey itself.
	KeyPair curve.KeyPair
}

// GenerateOneTimePreKey makes a new one-time prekey with the given id.
func GenerateOneTimePreKey(id uint32) (*OneTimePreKey, error) {
	kp, err := curve.GenerateKeyPair()
	if err != nil {
		return nil, err
	}
	return &OneTimePreKey{ID: id, KeyPair: kp}, nil
}

// Public returns the part of k that goes into a bundle.
func (k *OneTimePreKey) Public() OneTimePreKeyPublic {
	return OneTimePreKeyPublic{ID: k.ID, PublicKey: k.KeyPair.Public}
}

// OneTimePreKeyPublic is a one-time prekey as published in a bundle.
type OneTimePreKeyPublic struct {
	// ID names the key.
	ID uint32
	// PublicKey is the prekey.
	PublicKey curve.PublicKey
}

// KEMPreKey is a signed post-quantum prekey (libsignal's "Kyber prekey"):
// a KEM key pair whose typed public encoding (type byte || key,
// KEMPublicKeySize bytes) is signed with XEdDSA by the identity key. Bob may
// use one as a last-resort key for many handshakes or as a one-time key; that
// is the caller's policy.
type KEMPreKey struct {
	// ID names the key in bundles and PreKey messages.
	ID uint32
	// KeyPair is the KEM key pair.
	KeyPair KEMKeyPair
	// Timestamp is when the key was made; it is not signed.
	Timestamp time.Time
	// Signature is the XEdDSA signature of KeyPair.Public.Bytes() by the
	// identity key.
	Signature []byte
}

// GenerateKEMPreKey makes a new KEM prekey of type t with the given id,
// signed by identity, timestamped now.
func GenerateKEMPreKey(identity *curve.IdentityKeyPair, id uint32, t KEMType) (*KEMPreKey, error) {
	if identity == nil {
		return nil, fmt.Errorf("%w: nil identity", ErrMissingKey)
	}
	kp, err := GenerateKEMKeyPair(t)
	if err != nil {
		return nil, err
	}
	sig, err := identity.Sign(kp.Public.Bytes())
	if err != nil {
		return nil, err
	}
	return &KEMPreKey{ID: id, KeyPair: kp, Timestamp: time.Now(), Signature: sig}, nil
}

// Public returns the part of k that goes into a bundle.
func (k *KEMPreKey) Public() KEMPreKeyPublic {
	return KEMPreKeyPublic{ID: k.ID, PublicKey: k.KeyPair.Public, Signature: bytes.Clone(k.Signature)}
}

// KEMPreKeyPublic is a KEM prekey as published in a bundle.
type KEMPreKeyPublic struct {
	// ID names the key.
	ID uint32
	// PublicKey is the KEM public key.
	PublicKey KEMPublicKey
	// Signature is the XEdDSA signature of PublicKey.Bytes() by the bundle's
	// identity key.
	Signature []byte
}

// Verify checks the signature under identity. It returns an error wrapping
// ErrBadKEMSignature, or ErrInvalidBundle for a zero key.
func (p *KEMPreKeyPublic) Verify(identity curve.PublicKey) error {
	if p.PublicKey.IsZero() {
		return fmt.Errorf("%w: KEM prekey without a key", ErrInvalidBundle)
	}
	var buf [KEMPublicKeySize]byte
	if !identity.VerifySignature(p.PublicKey.AppendBytes(buf[:0]), p.Signature) {
		return fmt.Errorf("%w (KEM prekey %d)", ErrBadKEMSignature, p.ID)
	}
	return nil
}
