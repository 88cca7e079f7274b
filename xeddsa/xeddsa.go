// Package xeddsa implements XEdDSA and VXEdDSA, the signature schemes that
// Signal uses to sign with Curve25519 (X25519) keys.
//
// The specification is "The XEdDSA and VXEdDSA Signature Schemes" (Trevor
// Perrin, 2016), https://signal.org/docs/specifications/xeddsa/.
//
// # Conventions
//
// A Montgomery public key u does not say which of the two Edwards points with
// that u-coordinate is the signer's key. Two conventions resolve this, and a
// caller must choose one explicitly:
//
//   - [SignBit]: what libsignal and every Signal-protocol peer emit and
//     accept. The signer uses its clamped scalar unchanged and stores the
//     sign bit of its Edwards public key in the top bit of signature byte 63;
//     the verifier takes the sign from there.
//   - [Spec]: the specification's calculate_key_pair. The signer negates its
//     scalar when needed so that its Edwards public key has sign bit 0; the
//     top bit of byte 63 is always 0.
//
// A verifier that follows the specification strictly rejects about half of
// all libsignal signatures, so protocol code wants [SignBit].
//
// # VXEdDSA
//
// [PrivateKey.VRFSign] and [VRFVerify] implement VXEdDSA, a signature whose
// 32-byte output is a verifiable random function of the key and the message.
// The byte layout (labelled SHA-512 hashes under the protocol name
// "VEdDSA_25519_SHA512_Elligator2", 32 bytes of randomness, signature
// V || h || s) is that of libsignal's implementation, which is what the
// published known answers use; it follows the specification's structure with
// the spec's sign-bit-0 key (there is no SignBit variant).
//
// # Randomness
//
// Signing draws its randomness Z from crypto/rand. Deterministic signing for
// known-answer tests lives in package xeddsatest.
//
// # Constant time
//
// Signing runs in constant time with respect to the private key. Verification
// works on public data only and uses variable-time arithmetic.
package xeddsa

import (
	"crypto/rand"
	"errors"

	"github.com/forwardsecret/signal/xeddsa/internal/core"
)

// Sizes of keys, signatures and inputs, in bytes.
const (
	// PrivateKeySize is the size of an X25519 private scalar.
	PrivateKeySize = core.ScalarSize
	// PublicKeySize is the size of an X25519 public key (a Montgomery u-coordinate).
	PublicKeySize = core.PointSize
	// SignatureSize is the size of an XEdDSA signature (R || s).
	SignatureSize = core.SignatureSize
	// RandomSize is the size of the random input Z of XEdDSA signing.
	RandomSize = core.RandomSize
	// VRFSignatureSize is the size of a VXEdDSA signature (V || h || s).
	VRFSignatureSize = core.VRFSignatureSize
	// VRFOutputSize is the size of the VXEdDSA output.
	VRFOutputSize = core.VRFOutputSize
	// VRFRandomSize is the size of the random input Z of VXEdDSA signing, as
	// libsignal's implementation uses it.
	VRFRandomSize = core.VRFRandomSize
)

// Convention selects how the Edwards sign bit of the signer's key is handled.
// The zero value is invalid; using it panics.
type Convention uint8

const (
	// SignBit is libsignal's convention: the Edwards sign bit of the signer's
	// public key is carried in the top bit of signature byte 63.
	SignBit Convention = 1
	// Spec is the XEdDSA specification's convention: the signer's Edwards key
	// always has sign bit 0 and the top bit of byte 63 is 0.
	Spec Convention = 2
)

// String returns the name of the convention.
func (c Convention) String() string {
	switch c {
	case SignBit:
		return "SignBit"
	case Spec:
		return "Spec"
	}
	return "Convention(invalid)"
}

// signBit reports whether c is SignBit, and panics if c is not a valid
// convention (a caller bug, never peer input).
func (c Convention) signBit() bool {
	if c != SignBit && c != Spec {
		panic("xeddsa: invalid Convention")
	}
	return c == SignBit
}

var (
	// ErrInvalidPrivateKey is returned for a private key of the wrong length.
	ErrInvalidPrivateKey = errors.New("xeddsa: invalid private key")
	// ErrInvalidSignature is returned by VRFVerify for any signature that
	// does not verify, including inputs of the wrong length and keys or
	// points that are not canonical or of small order.
	ErrInvalidSignature = errors.New("xeddsa: invalid signature")
	// ErrVRFHashToIdentity is returned by VRFSign in the negligible case
	// (probability about 2^-250) that the message hashes to the identity
	// point, which VXEdDSA cannot sign.
	ErrVRFHashToIdentity = errors.New("xeddsa: message hashes to the identity point")
)

// PrivateKey is an X25519 private key prepared for signing: it caches the
// Edwards scalar and public key of both conventions.
type PrivateKey struct {
	k core.Key
}

// NewPrivateKey returns the signing form of an X25519 private scalar. The
// scalar is clamped as X25519 clamps it. It returns an error if k is not
// [PrivateKeySize] bytes long.
func NewPrivateKey(k []byte) (*PrivateKey, error) {
	ck, err := core.NewKey(k)
	if err != nil {
		return nil, ErrInvalidPrivateKey
	}
	return &PrivateKey{k: *ck}, nil
}

// PublicKey returns the X25519 public key (Montgomery u-coordinate) of k.
func (k *PrivateKey) PublicKey() []byte {
	u := k.k.PublicKey()
	return u[:]
}

// String redacts the key.
func (k *PrivateKey) String() string { return "xeddsa.PrivateKey(REDACTED)" }

// GoString redacts the key.
func (k *PrivateKey) GoString() string { return k.String() }

// Sign returns an XEdDSA signature of message under k in convention c, with
// fresh randomness from crypto/rand.
func (k *PrivateKey) Sign(message []byte, c Convention) []byte {
	signBit := c.signBit()
	var z [RandomSize]byte
	rand.Read(z[:])
	var sig [SignatureSize]byte
	k.k.Sign(&sig, message, z[:], signBit)
	return sig[:]
}

// Verify reports whether sig is a valid XEdDSA signature of message under the
// X25519 public key publicKey (32 bytes), in convention c.
//
// It returns false, never panics, for inputs of the wrong length, a public key
// that is not a canonical u-coordinate or is of low order, a scalar s that is
// not canonical, and any non-canonical encoding of R.
func Verify(publicKey, message, sig []byte, c Convention) bool {
	return core.Verify(publicKey, message, sig, c.signBit())
}

// VRFSign returns a VXEdDSA signature of message under k and its VRF output,
// with fresh randomness from crypto/rand. The output depends only on k and
// message, never on the randomness; the signature proves it.
//
// VXEdDSA has one convention: the signer's Edwards key has sign bit 0. The
// layout is that of libsignal's implementation (see the package
// documentation), which refuses to sign or verify messages over 1 MiB; this
// package sets no limit.
func (k *PrivateKey) VRFSign(message []byte) (signature, vrfOutput []byte, err error) {
	var z [VRFRandomSize]byte
	rand.Read(z[:])
	var sig [VRFSignatureSize]byte
	var out [VRFOutputSize]byte
	if !k.k.VRFSign(&sig, &out, message, z[:]) {
		return nil, nil, ErrVRFHashToIdentity
	}
	return sig[:], out[:], nil
}

// VRFVerify checks the VXEdDSA signature sig of message under the X25519
// public key publicKey and returns the VRF output it proves. Every failure,
// including wrong lengths and non-canonical or small-order points, returns
// ErrInvalidSignature.
func VRFVerify(publicKey, message, sig []byte) (output []byte, err error) {
	var out [VRFOutputSize]byte
	if !core.VRFVerify(&out, publicKey, message, sig) {
		return nil, ErrInvalidSignature
	}
	return out[:], nil
}
