// Package core is the deterministic core of XEdDSA and VXEdDSA. Package
// xeddsa wraps it with fresh randomness and a small public API; package
// xeddsatest exposes its deterministic entry points for known-answer tests.
//
// Reviewer notes:
//
//   - Names follow "The XEdDSA and VXEdDSA Signature Schemes" (Perrin, 2016),
//     https://signal.org/docs/specifications/xeddsa/: a, A for the Edwards
//     private scalar and public key, Z for the signer's randomness, r the
//     nonce, h the challenge, s the response; Bv, Kv, Rv for VXEdDSA.
//   - XEdDSA comes in two conventions (see package xeddsa): signBit (libsignal)
//     keeps the clamped scalar and carries the sign of A in signature bit 511;
//     the spec convention negates the scalar so that A has sign bit 0.
//   - VXEdDSA follows the byte layout of libsignal-protocol-c's "generalized"
//     VEdDSA (protocol name "VEdDSA_25519_SHA512_Elligator2", empty
//     customization label), which is what every VXEdDSA known answer uses.
//     The layout is documented at vrfLabel and in vrf.go.
//   - Signing is constant time with respect to the private scalar and the
//     nonce. Verification and hash-to-point touch public data only and use
//     variable-time arithmetic.
package core

import (
	"crypto/sha512"
	"crypto/subtle"
	"errors"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// Sizes in bytes.
const (
	ScalarSize       = 32 // X25519 private scalar
	PointSize        = 32 // u-coordinate or Edwards point encoding
	SignatureSize    = 64 // XEdDSA: R || s
	RandomSize       = 64 // XEdDSA randomness Z
	VRFSignatureSize = 96 // VXEdDSA: Kv || h || s
	VRFOutputSize    = 32 // VXEdDSA output v
	VRFRandomSize    = 32 // VXEdDSA randomness Z (libsignal's generalized layout)
)

// ErrKeySize is returned by NewKey for an input that is not ScalarSize bytes.
var ErrKeySize = errors.New("xeddsa: private key must be 32 bytes")

// Key is an X25519 private key with the Edwards forms that signing needs.
type Key struct {
	k [ScalarSize]byte // clamped Montgomery scalar, as stored by libsignal

	// a is the clamped scalar and A = aB with its own sign bit (signBit
	// convention). aSpec = ±a so that ASpec = aSpec·B has sign bit 0 (spec
	// convention and VXEdDSA). aSpecBytes is the encoding of aSpec that the
	// nonce hashes: k itself when no negation was needed (libsignal hashes
	// the raw clamped bytes, not a reduced scalar), else -a mod q.
	a, aSpec   edwards25519.Scalar
	A, ASpec   [PointSize]byte
	aSpecBytes [ScalarSize]byte
	u          [PointSize]byte
	signOfA    byte
}

// NewKey returns the signing form of the X25519 private scalar b, which is
// clamped as X25519 clamps it.
func NewKey(b []byte) (*Key, error) {
	if len(b) != ScalarSize {
		return nil, ErrKeySize
	}
	k := new(Key)
	copy(k.k[:], b)
	k.k[0] &= 248
	k.k[31] &= 127
	k.k[31] |= 64
	if _, err := k.a.SetBytesWithClamping(k.k[:]); err != nil {
		return nil, ErrKeySize // unreachable: length checked above
	}
	E := new(edwards25519.Point).ScalarBaseMult(&k.a)
	copy(k.A[:], E.Bytes())
	copy(k.u[:], E.BytesMontgomery())
	k.signOfA = k.A[31] >> 7
	k.ASpec = k.A
	k.ASpec[31] &= 0x7f
	// The sign of A is public (SignBit signatures carry it), so branching
	// on it leaks nothing.
	k.aSpec.Set(&k.a)
	k.aSpecBytes = k.k
	if k.signOfA == 1 {
		k.aSpec.Negate(&k.a)
		copy(k.aSpecBytes[:], k.aSpec.Bytes())
	}
	return k, nil
}

// PublicKey returns the X25519 public key (u-coordinate) of k.
func (k *Key) PublicKey() [PointSize]byte { return k.u }

// Clear overwrites the key material (best effort: copies made by the Go
// runtime are out of reach).
func (k *Key) Clear() { *k = Key{} }

// prefix1 is the domain separator of the specification's hash_1: the 32-byte
// little-endian encoding of 2^256 - 1 - 1.
var prefix1 = [32]byte{
	0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
}

// Sign writes the XEdDSA signature of message into sig, using the 64 random
// bytes z. With signBit set it follows libsignal (sign of A in bit 511),
// otherwise the specification's calculate_key_pair.
func (k *Key) Sign(sig *[SignatureSize]byte, message, z []byte, signBit bool) {
	if len(z) != RandomSize {
		panic("xeddsa: internal error: random input must be 64 bytes")
	}
	a, A, aBytes := &k.aSpec, &k.ASpec, k.aSpecBytes[:]
	if signBit {
		a, A, aBytes = &k.a, &k.A, k.k[:]
	}

	// r = hash_1(a || M || Z) mod q
	h := sha512.New()
	h.Write(prefix1[:])
	h.Write(aBytes)
	h.Write(message)
	h.Write(z)
	var digest [64]byte
	r, _ := new(edwards25519.Scalar).SetUniformBytes(h.Sum(digest[:0]))

	// R = rB
	R := new(edwards25519.Point).ScalarBaseMult(r)
	copy(sig[:32], R.Bytes())

	// h = hash(R || A || M) mod q; s = r + h·a mod q
	h.Reset()
	h.Write(sig[:32])
	h.Write(A[:])
	h.Write(message)
	c, _ := new(edwards25519.Scalar).SetUniformBytes(h.Sum(digest[:0]))
	s := new(edwards25519.Scalar).MultiplyAdd(c, a, r)
	copy(sig[32:], s.Bytes())
	if signBit {
		sig[63] |= k.signOfA << 7
	}
	r.Set(edwards25519.NewScalar())
	clear(digest[:])
}

// Verify reports whether sig is a valid XEdDSA signature of message under the
// X25519 public key u, in libsignal's convention (signBit) or the spec's.
// It returns false for any input of the wrong length.
func Verify(u, message, sig []byte, signBit bool) bool {
	if len(u) != PointSize || len(sig) != SignatureSize {
		return false
	}
	var s [32]byte
	copy(s[:], sig[32:])
	var sign byte
	if signBit {
		sign = s[31] >> 7
		s[31] &= 0x7f
	}
	var A [32]byte
	var P edwards25519.Point
	if !montgomeryToEdwards(&P, &A, u, sign) {
		return false
	}
	return verify(&P, A[:], message, sig[:32], s[:])
}

// VerifyEdwards reports whether sig (R || s) is a valid Ed25519-style
// signature of message under the encoded Edwards point A: pure Ed25519
// verification (cofactorless, s < q, R compared as bytes) that also rejects
// public keys of small order. It is the check XEdDSA reduces to once the
// Montgomery key is mapped to Edwards form.
func VerifyEdwards(A, message, sig []byte) bool {
	if len(A) != PointSize || len(sig) != SignatureSize {
		return false
	}
	P, err := new(edwards25519.Point).SetBytes(A)
	if err != nil || isSmallOrder(P) {
		return false
	}
	return verify(P, A, message, sig[:32], sig[32:])
}

// verify checks R == s·B - hash(R || A || M)·A for a decoded, not small-order
// A whose encoding is Abytes.
func verify(A *edwards25519.Point, Abytes, message, R, s []byte) bool {
	S, err := new(edwards25519.Scalar).SetCanonicalBytes(s)
	if err != nil {
		return false // s >= q
	}
	h := sha512.New()
	h.Write(R)
	h.Write(Abytes)
	h.Write(message)
	var digest [64]byte
	c, _ := new(edwards25519.Scalar).SetUniformBytes(h.Sum(digest[:0]))

	minusA := new(edwards25519.Point).Negate(A)
	check := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(c, minusA, S)
	var enc [32]byte
	copy(enc[:], check.Bytes())
	return subtle.ConstantTimeCompare(enc[:], R) == 1
}

func isSmallOrder(P *edwards25519.Point) bool {
	return new(edwards25519.Point).MultByCofactor(P).Equal(edwards25519.NewIdentityPoint()) == 1
}

var (
	feOne = new(field.Element).One()
	// feD is the Edwards curve constant d = -121665/121666.
	feD, _ = new(field.Element).SetBytes([]byte{
		0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41, 0x41, 0x4d, 0x0a, 0x70, 0x00,
		0x98, 0xe8, 0x79, 0x77, 0x79, 0x40, 0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52,
	})
)

// montgomeryToEdwards sets P to the Edwards point with y = (u-1)/(u+1) and
// the given sign bit, and writes its encoding to enc. It reports false if u is not canonical (u >= p or bit 255 set),
// u = -1, u is not on the curve (it is on the twist), or the point has small
// order.
//
// It costs one field exponentiation instead of two (an inversion for y and a
// square root for x): with y = N/D, N = u-1, D = u+1, the curve equation
// gives x² = (N² - D²)/(dN² + D²) =: n/m, and a single inverse square root
// I = 1/√(n·m·D²) yields both x = n·D·I and 1/D = n·m·D·I².
func montgomeryToEdwards(P *edwards25519.Point, enc *[32]byte, u []byte, sign byte) bool {
	if u[31]&0x80 != 0 {
		return false
	}
	fu, err := new(field.Element).SetBytes(u)
	if err != nil {
		return false
	}
	if subtle.ConstantTimeCompare(fu.Bytes(), u) != 1 {
		return false // u >= p
	}
	var N, D, N2, D2, n, m, w, I, x, invD, y, t field.Element
	N.Subtract(fu, feOne)
	D.Add(fu, feOne)
	N2.Square(&N)
	D2.Square(&D)
	n.Subtract(&N2, &D2)
	m.Multiply(feD, &N2)
	m.Add(&m, &D2)
	// w = n·m·D²; I = 1/√w via SqrtRatio(1, w).
	w.Multiply(&n, &m)
	w.Multiply(&w, &D2)
	if w.Equal(new(field.Element).Zero()) == 1 {
		// D = 0 (u = -1, no Edwards image) or n = 0 (x = 0: the points
		// of order 1 and 2, u = 0). Both are rejected.
		return false
	}
	if _, wasSquare := I.SqrtRatio(feOne, &w); wasSquare != 1 {
		return false // x² is not a square: u is on the twist
	}
	// x = n·D·I (a square root of n/m), 1/D = n·m·D·I², y = N/D.
	x.Multiply(&n, &D)
	x.Multiply(&x, &I)
	t.Square(&I)
	invD.Multiply(&n, &m)
	invD.Multiply(&invD, &D)
	invD.Multiply(&invD, &t)
	y.Multiply(&N, &invD)

	// Choose the root whose sign matches the sign bit.
	x.Absolute(&x)
	if sign == 1 {
		x.Negate(&x)
	}
	t.Multiply(&x, &y)
	if _, err := P.SetExtendedCoordinates(&x, &y, feOne, &t); err != nil || isSmallOrder(P) {
		return false
	}
	copy(enc[:], y.Bytes())
	enc[31] |= sign << 7
	return true
}
