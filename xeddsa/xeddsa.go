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
// # Randomness
//
// Signing draws its 64 bytes of randomness Z from crypto/rand. Deterministic
// signing for known-answer tests lives in package xeddsatest.
//
// # Constant time
//
// Signing runs in constant time with respect to the private key. Verification
// works on public data only and uses variable-time arithmetic.
package xeddsa

import (
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"errors"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// Sizes of keys, signatures and inputs, in bytes.
const (
	// PrivateKeySize is the size of an X25519 private scalar.
	PrivateKeySize = 32
	// PublicKeySize is the size of an X25519 public key (a Montgomery u-coordinate).
	PublicKeySize = 32
	// SignatureSize is the size of an XEdDSA signature (R || s).
	SignatureSize = 64
	// RandomSize is the size of the random input Z of XEdDSA signing.
	RandomSize = 64
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

func (c Convention) check() {
	if c != SignBit && c != Spec {
		panic("xeddsa: invalid Convention")
	}
}

// ErrInvalidPrivateKey is returned for a private key of the wrong length.
var ErrInvalidPrivateKey = errors.New("xeddsa: invalid private key")

// PrivateKey is an X25519 private key prepared for signing: it caches the
// Edwards scalar and public key of both conventions.
type PrivateKey struct {
	k [PrivateKeySize]byte // clamped Montgomery scalar

	// Edwards forms. a is the clamped scalar, A = aB with its own sign
	// bit (SignBit convention). aSpec and ASpec are the Spec convention's:
	// aSpec = ±a so that ASpec has sign bit 0.
	a, aSpec   edwards25519.Scalar
	A, ASpec   [32]byte
	aSpecBytes [32]byte
	u          [PublicKeySize]byte
	signBitOfA byte
}

// NewPrivateKey returns the signing form of an X25519 private scalar. The
// scalar is clamped as X25519 clamps it. It returns an error if k is not
// [PrivateKeySize] bytes long.
func NewPrivateKey(k []byte) (*PrivateKey, error) {
	if len(k) != PrivateKeySize {
		return nil, ErrInvalidPrivateKey
	}
	priv := new(PrivateKey)
	copy(priv.k[:], k)
	clamp(&priv.k)
	if _, err := priv.a.SetBytesWithClamping(priv.k[:]); err != nil {
		return nil, ErrInvalidPrivateKey // unreachable: length checked above
	}
	E := new(edwards25519.Point).ScalarBaseMult(&priv.a)
	copy(priv.A[:], E.Bytes())
	copy(priv.u[:], E.BytesMontgomery())
	priv.signBitOfA = priv.A[31] >> 7
	priv.ASpec = priv.A
	priv.ASpec[31] &= 0x7f
	priv.aSpec = priv.a
	priv.aSpecBytes = priv.k
	if priv.signBitOfA == 1 {
		priv.aSpec.Negate(&priv.a)
		copy(priv.aSpecBytes[:], priv.aSpec.Bytes())
	}
	return priv, nil
}

func clamp(k *[32]byte) {
	k[0] &= 248
	k[31] &= 127
	k[31] |= 64
}

// PublicKey returns the X25519 public key (Montgomery u-coordinate) of k.
func (k *PrivateKey) PublicKey() []byte {
	u := k.u
	return u[:]
}

// String redacts the key.
func (k *PrivateKey) String() string { return "xeddsa.PrivateKey(REDACTED)" }

// GoString redacts the key.
func (k *PrivateKey) GoString() string { return k.String() }

// Sign returns an XEdDSA signature of message under k in convention c, with
// fresh randomness from crypto/rand.
func (k *PrivateKey) Sign(message []byte, c Convention) []byte {
	var z [RandomSize]byte
	rand.Read(z[:])
	sig := make([]byte, SignatureSize)
	k.sign(sig, message, z[:], c)
	return sig
}

// hashPrefix returns the 32-byte little-endian encoding of 2^256 - 1 - i,
// the domain separator of the specification's hash_i.
func hashPrefix(i byte) [32]byte {
	var p [32]byte
	for j := range p {
		p[j] = 0xff
	}
	p[0] = 0xff - i
	return p
}

var hash1Prefix = hashPrefix(1)

// sign writes the signature of message into sig (64 bytes), using the random
// bytes z. It is the deterministic core of Sign.
func (k *PrivateKey) sign(sig, message, z []byte, c Convention) {
	c.check()
	a, A, aBytes := &k.a, &k.A, k.k[:]
	if c == Spec {
		a, A, aBytes = &k.aSpec, &k.ASpec, k.aSpecBytes[:]
	}

	// r = hash1(a || M || Z) mod q, where a is hashed in the encoding
	// libsignal uses: the clamped scalar itself, or its negation mod q when
	// the Spec convention negates it.
	h := sha512.New()
	h.Write(hash1Prefix[:])
	h.Write(aBytes)
	h.Write(message)
	h.Write(z)
	var digest [64]byte
	r, _ := new(edwards25519.Scalar).SetUniformBytes(h.Sum(digest[:0]))

	// R = rB
	R := new(edwards25519.Point).ScalarBaseMult(r)
	copy(sig[:32], R.Bytes())

	// h = hash(R || A || M) mod q; s = r + h*a mod q
	h.Reset()
	h.Write(sig[:32])
	h.Write(A[:])
	h.Write(message)
	hs, _ := new(edwards25519.Scalar).SetUniformBytes(h.Sum(digest[:0]))
	s := new(edwards25519.Scalar).MultiplyAdd(hs, a, r)
	copy(sig[32:], s.Bytes())
	if c == SignBit {
		sig[63] |= k.signBitOfA << 7
	}
}

// Verify reports whether sig is a valid XEdDSA signature of message under the
// X25519 public key publicKey (32 bytes), in convention c.
//
// It returns false, never panics, for inputs of the wrong length, a public key
// that is not a canonical u-coordinate or is of low order, a scalar s that is
// not canonical, and any non-canonical encoding of R.
func Verify(publicKey, message, sig []byte, c Convention) bool {
	c.check()
	if len(publicKey) != PublicKeySize || len(sig) != SignatureSize {
		return false
	}
	var s [32]byte
	copy(s[:], sig[32:])
	var sign byte
	if c == SignBit {
		sign = s[31] >> 7
		s[31] &= 0x7f
	}
	if s[31]&0xe0 != 0 { // s >= 2^253
		return false
	}
	A, ok := edwardsFromMontgomery(publicKey, sign)
	if !ok {
		return false
	}
	return verifyEdwards(A, message, sig[:32], s[:])
}

// edwardsFromMontgomery converts a Montgomery u-coordinate to the Edwards
// point with y = (u-1)/(u+1) and the given sign bit, returning its encoding
// and false if u is not canonical, not on the curve, or of low order.
func edwardsFromMontgomery(u []byte, sign byte) ([]byte, bool) {
	if u[31]&0x80 != 0 {
		return nil, false
	}
	fu, err := new(field.Element).SetBytes(u)
	if err != nil || subtle.ConstantTimeCompare(fu.Bytes(), u) != 1 {
		return nil, false // u >= p
	}
	one := new(field.Element).One()
	den := new(field.Element).Add(fu, one)
	if den.Equal(new(field.Element).Zero()) == 1 {
		return nil, false // u = -1 has no Edwards image
	}
	y := new(field.Element).Subtract(fu, one)
	y.Multiply(y, den.Invert(den))
	A := y.Bytes()
	A[31] |= sign << 7
	return A, true
}

// verifyEdwards checks an Ed25519-style signature (R, s) of message under the
// encoded Edwards point A, rejecting points of small order and non-canonical s.
func verifyEdwards(A, message, R, s []byte) bool {
	P, err := new(edwards25519.Point).SetBytes(A)
	if err != nil {
		return false
	}
	if new(edwards25519.Point).MultByCofactor(P).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return false // low order
	}
	S, err := new(edwards25519.Scalar).SetCanonicalBytes(s)
	if err != nil {
		return false
	}
	h := sha512.New()
	h.Write(R)
	h.Write(A)
	h.Write(message)
	var digest [64]byte
	k, _ := new(edwards25519.Scalar).SetUniformBytes(h.Sum(digest[:0]))

	minusA := new(edwards25519.Point).Negate(P)
	Rcheck := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(k, minusA, S)
	return subtle.ConstantTimeCompare(Rcheck.Bytes(), R) == 1
}
