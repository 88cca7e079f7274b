// Package core is the deterministic core of X3DH and PQXDH: the key
// schedule both sides share and the initiator's key agreement with its
// base key and KEM randomness as inputs. Package x3dh wraps it with its
// public types and fresh randomness; package x3dhtest calls the same
// functions with caller-chosen randomness. Both reach it through ordinary
// typed calls, so a change of signature breaks the build of both.
//
// Reviewer notes:
//
//   - Names follow the X3DH and PQXDH specifications
//     (signal.org/docs/specifications/x3dh and .../pqxdh): IK, SPK, OPK and
//     EK for the identity, signed prekey, one-time prekey and ephemeral
//     (base) key, A for the initiator (Alice) and B for the responder (Bob).
//   - The inputs are checked by the callers: Initiate takes a bundle whose
//     signatures have been verified (x3dh.Bundle.Verify).
//   - Message and SessionKeys have the fields of x3dh.Message and
//     x3dh.SessionKeys, in the same order, so that x3dh converts them
//     directly; a field added to one and not the other breaks the build.
package core

import (
	"crypto"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/kem"
)

// Errors of the core, which package x3dh exports under the same names.
var (
	// ErrMissingKey: a required private key was not supplied.
	ErrMissingKey = errors.New("x3dh: missing key")
	// ErrMissingKEMPreKey: a PQXDH handshake lacks its KEM part.
	ErrMissingKEMPreKey = errors.New("x3dh: KEM prekey missing")
	// ErrInvalidGeneric: a generic configuration names an unsupported hash
	// or an info string that is too short.
	ErrInvalidGeneric = errors.New("x3dh: invalid generic configuration")
	// ErrRandomLength: derandomized KEM input of the wrong length.
	ErrRandomLength = errors.New("x3dh: wrong KEM randomness length")
)

// KeySize is the size of each derived key.
const KeySize = 32

// MinGenericInfoSize is the minimum length of a generic suite's info.
const MinGenericInfoSize = 8

// Labels of Signal's two profiles; package x3dh exports them as InfoV3 and
// InfoV4.
const (
	infoV3 = "WhisperText"
	infoV4 = "WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024"
)

// Suite is everything that distinguishes the handshakes: Signal's V3 and
// V4 and the specifications' generic form.
type Suite struct {
	// Hash is HKDF's hash.
	Hash func() hash.Hash
	// Info is HKDF's info.
	Info string
	// Size is the length of HKDF's output.
	Size int
	// PQ includes a KEM shared secret (PQXDH).
	PQ bool
}

var (
	// V3 is X3DH as Signal runs it: root key and chain key.
	V3 = Suite{Hash: sha256.New, Info: infoV3, Size: 2 * KeySize}
	// V4 is PQXDH as Signal runs it: root key, chain key and SPQR
	// authentication key.
	V4 = Suite{Hash: sha256.New, Info: infoV4, Size: 3 * KeySize, PQ: true}
)

// Generic returns the specifications' general form with hash h (SHA-256 or
// SHA-512) and info, whose output is the 32-byte SK. Errors wrap
// ErrInvalidGeneric.
func Generic(h crypto.Hash, info string, pq bool) (Suite, error) {
	var f func() hash.Hash
	switch h {
	case crypto.SHA256:
		f = sha256.New
	case crypto.SHA512:
		f = sha512.New
	default:
		return Suite{}, fmt.Errorf("%w: hash %v", ErrInvalidGeneric, h)
	}
	if len(info) < MinGenericInfoSize {
		return Suite{}, fmt.Errorf("%w: info shorter than %d bytes", ErrInvalidGeneric, MinGenericInfoSize)
	}
	return Suite{Hash: f, Info: info, Size: KeySize, PQ: pq}, nil
}

// Peer is what the initiator uses of the responder's verified bundle.
type Peer struct {
	IdentityKey    curve.PublicKey
	SignedPreKeyID uint32
	SignedPreKey   curve.PublicKey
	// OneTimePreKey is nil when the bundle has none.
	OneTimePreKey *OneTimePreKey
	// KEMPreKey is nil when the bundle has none.
	KEMPreKey   *kem.PublicKey
	KEMPreKeyID uint32
}

// OneTimePreKey is a one-time prekey of a Peer.
type OneTimePreKey struct {
	ID        uint32
	PublicKey curve.PublicKey
}

// Message is x3dh.Message: what the initiator sends.
type Message struct {
	IdentityKey      curve.PublicKey
	BaseKey          curve.PublicKey
	SignedPreKeyID   uint32
	HasOneTimePreKey bool
	OneTimePreKeyID  uint32
	KEMPreKeyID      uint32
	KEMCiphertext    []byte
}

// SessionKeys is x3dh.SessionKeys: the keys of a V3 or V4 handshake.
type SessionKeys struct {
	RootKey  [KeySize]byte
	ChainKey [KeySize]byte
	AuthKey  [KeySize]byte
}

// Split returns the session keys in okm (64 bytes for V3, 96 for V4) and
// clears okm.
func Split(okm []byte) SessionKeys {
	var k SessionKeys
	copy(k.RootKey[:], okm)
	copy(k.ChainKey[:], okm[min(KeySize, len(okm)):])
	copy(k.AuthKey[:], okm[min(2*KeySize, len(okm)):])
	clear(okm)
	return k
}

// AssociatedData is the generic form's AD: Encode(IK_A) || Encode(IK_B).
func AssociatedData(initiator, responder curve.PublicKey) []byte {
	ad := make([]byte, 0, 2*curve.PublicKeySize)
	return responder.AppendBytes(initiator.AppendBytes(ad))
}

// MaxSecretSize is the size of the largest secret: F (32 bytes of 0xFF),
// four Diffie-Hellman outputs and a KEM shared secret.
const MaxSecretSize = 32 + 4*curve.SharedSecretSize + kem.SharedSecretSize

// StartSecret writes F (32 bytes of 0xFF) to buf and returns it as the
// start of a secret.
func StartSecret(buf *[MaxSecretSize]byte) []byte {
	secret := buf[:32]
	for i := range secret {
		secret[i] = 0xFF
	}
	return secret
}

// AppendDH appends DH(priv, pub) to secret, which has room for it. what
// names the agreement in errors.
func AppendDH(secret []byte, priv *curve.PrivateKey, pub curve.PublicKey, what string) ([]byte, error) {
	if priv == nil {
		return nil, fmt.Errorf("%w: %s: nil private key", ErrMissingKey, what)
	}
	n := len(secret)
	secret = secret[:n+curve.SharedSecretSize]
	if err := priv.ECDHTo((*[curve.SharedSecretSize]byte)(secret[n:]), pub); err != nil {
		return nil, fmt.Errorf("x3dh: %s: %w", what, err)
	}
	return secret, nil
}

// Derive is HKDF(salt = HashLen zero bytes, ikm = secret, info) with the
// suite's hash, info and output size.
func (s *Suite) Derive(secret []byte) ([]byte, error) {
	return hkdf.Key(s.Hash, secret, nil, s.Info, s.Size)
}

// Initiate computes the initiator's HKDF output and message for identity
// and the verified bundle p. base (the ephemeral key EK_A) and kemRandom
// (the KEM encapsulation randomness) fix the randomness when non-nil; nil
// draws them from crypto/rand. A kemRandom of the wrong length yields an
// error wrapping ErrRandomLength.
func (s *Suite) Initiate(identity *curve.IdentityKeyPair, p *Peer, base *curve.PrivateKey, kemRandom []byte) ([]byte, *Message, error) {
	if s.PQ && p.KEMPreKey == nil {
		return nil, nil, fmt.Errorf("%w: bundle has no KEM prekey", ErrMissingKEMPreKey)
	}
	if base == nil {
		var err error
		if base, err = newBaseKey(); err != nil {
			return nil, nil, err
		}
	}
	msg := &Message{
		IdentityKey:    identity.PublicKey(),
		BaseKey:        base.PublicKey(),
		SignedPreKeyID: p.SignedPreKeyID,
	}

	var buf [MaxSecretSize]byte
	secret := StartSecret(&buf)
	defer clear(buf[:])
	var err error
	if secret, err = AppendDH(secret, identity.PrivateKey(), p.SignedPreKey, "DH(IK_A, SPK_B)"); err != nil {
		return nil, nil, err
	}
	if secret, err = AppendDH(secret, base, p.IdentityKey, "DH(EK_A, IK_B)"); err != nil {
		return nil, nil, err
	}
	if secret, err = AppendDH(secret, base, p.SignedPreKey, "DH(EK_A, SPK_B)"); err != nil {
		return nil, nil, err
	}
	if o := p.OneTimePreKey; o != nil {
		if secret, err = AppendDH(secret, base, o.PublicKey, "DH(EK_A, OPK_B)"); err != nil {
			return nil, nil, err
		}
		msg.HasOneTimePreKey = true
		msg.OneTimePreKeyID = o.ID
	}
	if s.PQ {
		var ss, ct []byte
		if kemRandom != nil {
			if ss, ct, err = kem.EncapsulateDerand(p.KEMPreKey, kemRandom); err != nil {
				if errors.Is(err, kem.ErrRandomLength) {
					return nil, nil, fmt.Errorf("%w: %d bytes", ErrRandomLength, len(kemRandom))
				}
				return nil, nil, fmt.Errorf("x3dh: derandomized encapsulation: %w", err)
			}
		} else {
			ss, ct = p.KEMPreKey.Encapsulate()
		}
		secret = append(secret, ss...)
		clear(ss)
		msg.KEMPreKeyID = p.KEMPreKeyID
		msg.KEMCiphertext = ct
	}
	okm, err := s.Derive(secret)
	if err != nil {
		return nil, nil, err // unreachable: sizes are fixed and small
	}
	return okm, msg, nil
}

// newBaseKey returns a fresh ephemeral key from crypto/rand. It loads 32
// random bytes with curve.NewPrivateKey, which costs one base-point
// multiplication (curve.GeneratePrivateKey currently costs two).
func newBaseKey() (*curve.PrivateKey, error) {
	var seed [curve.PrivateKeySize]byte
	defer clear(seed[:])
	rand.Read(seed[:]) // never fails (crypto/rand.Read documentation)
	return curve.NewPrivateKey(seed[:])
}

// String returns a redacted placeholder.
func (k SessionKeys) String() string { return "core.SessionKeys(REDACTED)" }

// Format prints String for every verb.
func (k SessionKeys) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }
