package x3dh

import (
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh/internal/core"
)

// Version is the handshake of one of Signal's two wire profiles. It is also
// the session (message) version that the profile sends.
type Version uint8

const (
	// V3 is X3DH: three or four Diffie-Hellman outputs, HKDF-SHA256 with info
	// InfoV3, 64 bytes of output (root key, chain key). Spoken by
	// libsignal-protocol-c/-java, python-axolotl, go.mau.fi/libsignal and
	// npm libsignal; refused by current official libsignal.
	V3 Version = 3
	// V4 is PQXDH: X3DH plus a KEM shared secret, HKDF-SHA256 with info
	// InfoV4, 96 bytes of output (root key, chain key, SPQR auth key).
	// Current official libsignal speaks it with Kyber1024 prekeys.
	//
	// V4 accepts KEM prekeys of both types, so PQXDH with ML-KEM-1024 is V4
	// with a MLKEM1024 prekey. The HKDF info is InfoV4 for both types: the
	// PQXDH specification leaves the string that names pqkem to the
	// implementer, and libsignal (rust/protocol/src/pqxdh.rs) derives every
	// PQXDH session with the one label whatever the KEM prekey's type, so
	// using it for ML-KEM-1024 too keeps such sessions compatible with
	// libsignal builds that enable the type. The KEM type is still bound to
	// the session: the type byte is part of the signed prekey encoding and of
	// the ciphertext. Applications that want the specification's
	// "info_curve_hash_pqkem" naming (for example
	// "MyApp_CURVE25519_SHA-256_ML-KEM-1024") can use Generic.
	V4 Version = 4
)

// HKDF info strings of the two profiles.
const (
	// InfoV3 is the HKDF info of V3 (X3DH).
	InfoV3 = "WhisperText"
	// InfoV4 is the HKDF info of V4 (PQXDH), for both KEM types.
	InfoV4 = "WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024"
)

// KeySize is the size of each derived key.
const KeySize = 32

// String returns "v3 (X3DH)", "v4 (PQXDH)" or "Version(N)".
func (v Version) String() string {
	switch v {
	case V3:
		return "v3 (X3DH)"
	case V4:
		return "v4 (PQXDH)"
	}
	return fmt.Sprintf("Version(%d)", uint8(v))
}

// suite returns the core suite of v.
func (v Version) suite() (*core.Suite, error) {
	switch v {
	case V3:
		return &core.V3, nil
	case V4:
		return &core.V4, nil
	}
	return nil, fmt.Errorf("%w: %d", ErrUnsupportedVersion, uint8(v))
}

// SessionKeys are the keys a Signal handshake (V3 or V4) derives. Its String
// and Format methods never print them.
type SessionKeys struct {
	// RootKey is the first root key of the Double Ratchet.
	RootKey [KeySize]byte
	// ChainKey is Bob's first sending chain key and Alice's first receiving
	// chain key (for Bob's signed prekey as his first ratchet key).
	ChainKey [KeySize]byte
	// AuthKey is the SPQR authentication key (V4 only; zero for V3).
	AuthKey [KeySize]byte
}

// String returns a redacted placeholder.
func (k SessionKeys) String() string { return "x3dh.SessionKeys(REDACTED)" }

// Format prints String for every verb.
func (k SessionKeys) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// Message is the handshake data the initiator sends in her first (PreKey)
// message, and what the responder reads from it.
//
// Its fields are those of the internal core's Message, which it is
// converted from.
type Message struct {
	// IdentityKey is the initiator's identity key.
	IdentityKey curve.PublicKey
	// BaseKey is the initiator's ephemeral key EK_A.
	BaseKey curve.PublicKey
	// SignedPreKeyID names the responder's signed prekey that was used.
	SignedPreKeyID uint32
	// HasOneTimePreKey reports whether a one-time prekey was used, and
	// OneTimePreKeyID names it.
	HasOneTimePreKey bool
	OneTimePreKeyID  uint32
	// KEMPreKeyID names the KEM prekey and KEMCiphertext is the encapsulation
	// to it (type byte included, KEMCiphertextSize bytes). Both are unset in V3.
	KEMPreKeyID   uint32
	KEMCiphertext []byte
}

// Initiation is the initiator's result: the derived keys and the message that
// lets the responder derive them too.
type Initiation struct {
	// Version is the handshake that was run.
	Version Version
	// Keys are the derived keys.
	Keys SessionKeys
	// Message is what the initiator must send.
	Message Message
}

// Initiate runs the initiator's (Alice's) side of handshake v with our
// identity key and the responder's bundle. It verifies the bundle first
// (Bundle.Verify), makes a fresh base key and, for V4, encapsulates to the
// bundle's KEM prekey (ErrMissingKEMPreKey if there is none).
//
// The base key's private half is not returned: the session's first ratchet
// key is a separate key. The caller still needs the bundle's identity key and
// signed prekey (its first view of the responder's ratchet key).
func Initiate(v Version, identity *curve.IdentityKeyPair, bundle *Bundle) (*Initiation, error) {
	s, err := v.suite()
	if err != nil {
		return nil, err
	}
	okm, msg, err := initiate(s, identity, bundle, nil)
	if err != nil {
		return nil, err
	}
	return &Initiation{Version: v, Keys: SessionKeys(core.Split(okm)), Message: *msg}, nil
}

// initiate checks identity and bundle and runs the core initiator of suite
// s with fresh randomness. x3dhtest's initiate is its twin with fixed
// randomness.
// initiate runs the initiator's side. verifySPK, when not nil, replaces the
// XEdDSA check of the signed prekey's signature (Generic.VerifySignedPreKey).
func initiate(s *core.Suite, identity *curve.IdentityKeyPair, b *Bundle, verifySPK func(*Bundle) error) ([]byte, *Message, error) {
	if identity == nil {
		return nil, nil, fmt.Errorf("%w: nil identity", ErrMissingKey)
	}
	if b == nil {
		return nil, nil, fmt.Errorf("%w: nil bundle", ErrInvalidBundle)
	}
	if err := b.verify(verifySPK); err != nil {
		return nil, nil, err
	}
	p := core.Peer{
		IdentityKey:    b.IdentityKey,
		SignedPreKeyID: b.SignedPreKey.ID,
		SignedPreKey:   b.SignedPreKey.PublicKey,
	}
	if o := b.OneTimePreKey; o != nil {
		p.OneTimePreKey = &core.OneTimePreKey{ID: o.ID, PublicKey: o.PublicKey}
	}
	if k := b.KEMPreKey; k != nil {
		p.KEMPreKey, p.KEMPreKeyID = k.PublicKey.k, k.ID
	}
	okm, msg, err := s.Initiate(identity, &p, nil, nil)
	return okm, (*Message)(msg), err
}

// ResponderKeys are the responder's (Bob's) own keys for one handshake: his
// identity and the prekeys that the initiator's message names, as the caller
// has looked them up by id.
type ResponderKeys struct {
	// Identity is the responder's identity key pair.
	Identity *curve.IdentityKeyPair
	// SignedPreKey is the signed prekey the message names.
	SignedPreKey curve.KeyPair
	// OneTimePreKey must be set exactly when the message names one.
	OneTimePreKey *curve.KeyPair
	// KEMPreKey is required for V4 and not used by V3.
	KEMPreKey *KEMKeyPair
}

// Respond runs the responder's (Bob's) side of handshake v: keys are his,
// msg is what the initiator sent. It rejects, each with its own error:
// a base key that is not canonical or has torsion (ErrInvalidBaseKey),
// an all-zero Diffie-Hellman output (curve.ErrZeroSharedSecret),
// in V4 a missing KEM part (ErrMissingKEMPreKey) or a KEM ciphertext of the
// wrong length (ErrKEMCiphertextLength), of another KEM's type
// (ErrKEMCiphertextType) or of an unknown type (ErrUnknownKEMType), and in V3
// a KEM ciphertext at all (ErrUnexpectedKEM).
//
// A well-formed but forged KEM ciphertext is not detected here (KEM implicit
// rejection): it yields keys the initiator does not have, so the first
// message's MAC fails.
func Respond(v Version, keys *ResponderKeys, msg *Message) (SessionKeys, error) {
	s, err := v.suite()
	if err != nil {
		return SessionKeys{}, err
	}
	okm, err := respond(s, keys, msg)
	if err != nil {
		return SessionKeys{}, err
	}
	return SessionKeys(core.Split(okm)), nil
}

// respond computes the responder's HKDF output.
func respond(s *core.Suite, k *ResponderKeys, m *Message) ([]byte, error) {
	if k == nil || k.Identity == nil || k.SignedPreKey.Private == nil {
		return nil, fmt.Errorf("%w: responder identity or signed prekey", ErrMissingKey)
	}
	if m == nil {
		return nil, fmt.Errorf("%w: nil message", ErrMissingKey)
	}
	if err := m.BaseKey.CheckCanonicalTorsionFree(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidBaseKey, err)
	}
	if m.HasOneTimePreKey != (k.OneTimePreKey != nil) {
		return nil, fmt.Errorf("%w (message: %v, keys: %v)", ErrOneTimePreKeyMismatch, m.HasOneTimePreKey, k.OneTimePreKey != nil)
	}
	if k.OneTimePreKey != nil && k.OneTimePreKey.Private == nil {
		return nil, fmt.Errorf("%w: one-time prekey without its private key", ErrMissingKey)
	}
	if s.PQ {
		if len(m.KEMCiphertext) == 0 {
			return nil, fmt.Errorf("%w: message has no KEM ciphertext", ErrMissingKEMPreKey)
		}
		if k.KEMPreKey == nil || k.KEMPreKey.Private == nil {
			return nil, fmt.Errorf("%w: no KEM prekey given", ErrMissingKEMPreKey)
		}
	} else if len(m.KEMCiphertext) != 0 {
		return nil, ErrUnexpectedKEM
	}

	var buf [core.MaxSecretSize]byte
	secret := core.StartSecret(&buf)
	defer clear(buf[:])
	var err error
	if secret, err = core.AppendDH(secret, k.SignedPreKey.Private, m.IdentityKey, "DH(SPK_B, IK_A)"); err != nil {
		return nil, err
	}
	if secret, err = core.AppendDH(secret, k.Identity.PrivateKey(), m.BaseKey, "DH(IK_B, EK_A)"); err != nil {
		return nil, err
	}
	if secret, err = core.AppendDH(secret, k.SignedPreKey.Private, m.BaseKey, "DH(SPK_B, EK_A)"); err != nil {
		return nil, err
	}
	if k.OneTimePreKey != nil {
		if secret, err = core.AppendDH(secret, k.OneTimePreKey.Private, m.BaseKey, "DH(OPK_B, EK_A)"); err != nil {
			return nil, err
		}
	}
	if s.PQ {
		ss, err := k.KEMPreKey.Private.k.Decapsulate(m.KEMCiphertext)
		if err != nil {
			return nil, kemError(err)
		}
		secret = append(secret, ss...)
		clear(ss)
	}
	okm, err := s.Derive(secret)
	if err != nil {
		return nil, err // unreachable
	}
	return okm, nil
}
