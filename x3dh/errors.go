package x3dh

import (
	"errors"

	"github.com/forwardsecret/signal/x3dh/internal/core"
)

// Errors. Each rejection wraps exactly one of these sentinels, so callers can
// tell them apart with errors.Is. Errors caused by the primitives underneath
// also wrap the primitive's own sentinel (for example curve.ErrTorsion or
// curve.ErrZeroSharedSecret).
var (
	// ErrUnsupportedVersion: the version is neither V3 nor V4.
	ErrUnsupportedVersion = errors.New("x3dh: unsupported version")

	// ErrInvalidBundle: a bundle lacks a required key (identity or signed
	// prekey), or one of its keys is the zero value.
	ErrInvalidBundle = errors.New("x3dh: invalid bundle")
	// ErrBundleEncoding: bytes given to ParseBundle are not a canonical
	// bundle encoding (truncated, unknown or repeated field, fields out of
	// order, a key of the wrong length, or longer than MaxBundleSize).
	ErrBundleEncoding = errors.New("x3dh: malformed bundle encoding")
	// ErrBadSignedPreKeySignature: the signed prekey's signature does not
	// verify under the bundle's identity key.
	ErrBadSignedPreKeySignature = errors.New("x3dh: bad signed prekey signature")
	// ErrBadKEMSignature: the KEM prekey's signature does not verify under the
	// bundle's identity key.
	ErrBadKEMSignature = errors.New("x3dh: bad KEM prekey signature")

	// ErrInvalidBaseKey: the initiator's base key is not canonical or has a
	// torsion component. It also wraps curve.ErrNotCanonical or
	// curve.ErrTorsion.
	ErrInvalidBaseKey = errors.New("x3dh: invalid base key")
	// ErrMissingKEMPreKey: a PQXDH (V4) handshake lacks its KEM part: the
	// bundle has no KEM prekey, the message has no KEM ciphertext, or the
	// responder was given no KEM prekey.
	ErrMissingKEMPreKey = core.ErrMissingKEMPreKey
	// ErrUnexpectedKEM: an X3DH (V3) message carries a KEM ciphertext.
	ErrUnexpectedKEM = errors.New("x3dh: KEM ciphertext in an X3DH (v3) handshake")
	// ErrKEMCiphertextLength: the KEM ciphertext is not KEMCiphertextSize
	// bytes long.
	ErrKEMCiphertextLength = errors.New("x3dh: KEM ciphertext has the wrong length")
	// ErrKEMCiphertextType: the KEM ciphertext's type byte names a known KEM
	// other than the type of the KEM prekey it is for.
	ErrKEMCiphertextType = errors.New("x3dh: KEM ciphertext type does not match the KEM prekey")
	// ErrUnknownKEMType: a KEM type byte (of a key or a ciphertext) names no
	// supported KEM.
	ErrUnknownKEMType = errors.New("x3dh: unknown KEM type")
	// ErrInvalidKEMKey: a KEM public or private key encoding is malformed
	// (wrong length, or a public key that fails the FIPS 203 modulus check).
	ErrInvalidKEMKey = errors.New("x3dh: invalid KEM key")
	// ErrOneTimePreKeyMismatch: the message names a one-time prekey but the
	// responder was given none, or the other way round.
	ErrOneTimePreKeyMismatch = errors.New("x3dh: one-time prekey presence does not match the message")
	// ErrMissingKey: a required key of our own was not supplied (a nil
	// identity or private key).
	ErrMissingKey = core.ErrMissingKey

	// ErrInvalidGeneric: a Generic configuration names an unsupported hash or
	// an info string that is too short.
	ErrInvalidGeneric = core.ErrInvalidGeneric
	// ErrRandomLength: derandomized KEM input of the wrong length (x3dhtest).
	ErrRandomLength = core.ErrRandomLength
)
