package core

import (
	"crypto/sha512"
	"crypto/subtle"
	"hash"
	"sync"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// VXEdDSA in the layout of libsignal-protocol-c's generalized VEdDSA, the
// layout of every published VXEdDSA known answer. It instantiates the
// specification's VXEdDSA with labelled hashes instead of hash_i prefixes:
//
//	labelset(n) = 0x03 || 0x1e || "VEdDSA_25519_SHA512_Elligator2" || 0x00 || 0x01 || n
//	(3 labels: the protocol name, an empty customization label, and the
//	one-character label n in '1'..'4')
//
//	K  = the Edwards public key with sign bit 0 (spec calculate_key_pair), k its scalar
//	Bv = hash_to_point(B || labelset('1') || K || M)
//	Kv = k·Bv
//	r  = SHA-512(B || labelset('2') || Z || pad || k || pad || labelset('2') || K || Bv || Kv || M) mod q
//	     (Z is 32 bytes; each pad is zeros up to the next multiple of 128 bytes)
//	R  = r·B, Rv = r·Bv
//	h  = SHA-512(B || labelset('3') || R || labelset('3') || K || Bv || Kv || Rv || M) mod q
//	s  = r + h·k mod q
//	signature = Kv || h || s
//	v  = SHA-512(B || labelset('4') || 8·Kv)[:32]
//
// hash_to_point(X): take SHA-512(X)[:32], move bit 255 out as an Edwards sign
// bit, map the remaining 255-bit integer (mod p) to a Montgomery u with
// Elligator 2, take the Edwards point with y = (u-1)/(u+1) and that sign, and
// multiply it by the cofactor 8.
//
// B is the encoding of the Ed25519 base point.

// hashPool recycles SHA-512 states: passed through interfaces they would
// escape to the heap on every call. putHash resets a state before pooling it.
var hashPool = sync.Pool{New: func() any { return sha512.New() }}

func getHash() hash.Hash { return hashPool.Get().(hash.Hash) }

func putHash(h hash.Hash) {
	h.Reset()
	hashPool.Put(h)
}

const vrfProtocolName = "VEdDSA_25519_SHA512_Elligator2"

// vrfLabelSize is the length of a labelset: count byte, then length-prefixed
// protocol name, empty customization label and one-byte label.
const vrfLabelSize = 1 + 1 + len(vrfProtocolName) + 1 + 1 + 1

// vrfLabel returns labelset(n).
func vrfLabel(n byte) [vrfLabelSize]byte {
	var l [vrfLabelSize]byte
	l[0] = 3
	l[1] = byte(len(vrfProtocolName))
	copy(l[2:], vrfProtocolName)
	l[2+len(vrfProtocolName)] = 0 // customization label: empty
	l[3+len(vrfProtocolName)] = 1
	l[4+len(vrfProtocolName)] = n
	return l
}

var (
	label1, label2, label3, label4 = vrfLabel('1'), vrfLabel('2'), vrfLabel('3'), vrfLabel('4')

	basePointBytes = [32]byte(edwards25519.NewGeneratorPoint().Bytes())
)

// blockSize is SHA-512's block size; the nonce hash pads Z and k to it.
const blockSize = 128

var zeroBlock [blockSize]byte

// writePad writes zeros to h so that written+pad is a multiple of blockSize
// and returns the new count.
func writePad(h hash.Hash, written int) int {
	pad := (blockSize - written%blockSize) % blockSize
	h.Write(zeroBlock[:pad])
	return written + pad
}

// montA is the Montgomery curve constant A = 486662.
var montA = new(field.Element).Mult32(new(field.Element).One(), 486662)

// elligator2 maps the field element r to the u-coordinate of a point on
// Curve25519 (Elligator 2 with non-square 2):
//
//	x = -A / (1 + 2r²)      (with 1/0 = 0)
//	u = x        if x³ + Ax² + x is a square (or zero)
//	u = -x - A   otherwise
func elligator2(u, r *field.Element) *field.Element {
	var den, x, e, t field.Element
	den.Square(r)
	den.Add(&den, &den)
	den.Add(&den, feOne)
	den.Invert(&den)
	x.Multiply(montA, &den)
	x.Negate(&x)

	// e = x·(x² + A·x + 1)
	t.Multiply(montA, &x)
	e.Square(&x)
	e.Add(&e, &t)
	e.Add(&e, feOne)
	e.Multiply(&e, &x)
	_, isSquare := t.SqrtRatio(&e, feOne)

	// u = x, or -x - A
	t.Add(&x, montA)
	t.Negate(&t)
	return u.Select(&x, &t, isSquare)
}

// hashToPoint returns hash_to_point of the hash state h, or false if the
// result is the identity (probability about 2^-250).
func hashToPoint(h hash.Hash) (*edwards25519.Point, bool) {
	var digest [64]byte
	d := h.Sum(digest[:0])
	sign := d[31] >> 7
	d[31] &= 0x7f
	r, _ := new(field.Element).SetBytes(d[:32])
	var u field.Element
	elligator2(&u, r)

	// y = (u-1)/(u+1); u = -1 maps to y = 0 as inversion maps 0 to 0.
	var y, den field.Element
	den.Add(&u, feOne)
	den.Invert(&den)
	y.Subtract(&u, feOne)
	y.Multiply(&y, &den)
	var enc [32]byte
	copy(enc[:], y.Bytes())
	enc[31] |= sign << 7
	P, err := new(edwards25519.Point).SetBytes(enc[:])
	if err != nil {
		return nil, false // not reached: Elligator 2 lands on the curve
	}
	P.MultByCofactor(P)
	if P.Equal(edwards25519.NewIdentityPoint()) == 1 {
		return nil, false
	}
	return P, true
}

// calculateBv returns Bv = hash_to_point(B || labelset('1') || K || M).
func calculateBv(h hash.Hash, K, message []byte) (*edwards25519.Point, bool) {
	h.Reset()
	h.Write(basePointBytes[:])
	h.Write(label1[:])
	h.Write(K)
	h.Write(message)
	return hashToPoint(h)
}

// vrfOutput writes v = SHA-512(B || labelset('4') || 8·Kv)[:32] to out.
func vrfOutput(out *[VRFOutputSize]byte, h hash.Hash, Kv *edwards25519.Point) {
	cKv := new(edwards25519.Point).MultByCofactor(Kv)
	h.Reset()
	h.Write(basePointBytes[:])
	h.Write(label4[:])
	h.Write(cKv.Bytes())
	var digest [64]byte
	copy(out[:], h.Sum(digest[:0]))
}

// challenge returns h = SHA-512(B || L3 || R || L3 || K || Bv || Kv || Rv || M) mod q.
func challenge(h hash.Hash, R, K, Bv, Kv, Rv, message []byte) *edwards25519.Scalar {
	h.Reset()
	h.Write(basePointBytes[:])
	h.Write(label3[:])
	h.Write(R)
	h.Write(label3[:])
	h.Write(K)
	h.Write(Bv)
	h.Write(Kv)
	h.Write(Rv)
	h.Write(message)
	var digest [64]byte
	c, _ := new(edwards25519.Scalar).SetUniformBytes(h.Sum(digest[:0]))
	return c
}

// VRFSign writes the VXEdDSA signature of message to sig and the VRF output
// to out, using the 32 random bytes z. It returns false, leaving sig and out
// zero, in the negligible case that message hashes to the identity.
func (k *Key) VRFSign(sig *[VRFSignatureSize]byte, out *[VRFOutputSize]byte, message, z []byte) bool {
	if len(z) != VRFRandomSize {
		panic("xeddsa: internal error: VRF random input must be 32 bytes")
	}
	*sig = [VRFSignatureSize]byte{}
	*out = [VRFOutputSize]byte{}
	K := k.ASpec[:]
	h := getHash()
	defer putHash(h)

	Bv, ok := calculateBv(h, K, message)
	if !ok {
		return false
	}
	Kv := new(edwards25519.Point).ScalarMult(&k.aSpec, Bv)
	var BvBytes, KvBytes [32]byte
	copy(BvBytes[:], Bv.Bytes())
	copy(KvBytes[:], Kv.Bytes())

	// r = SHA-512(B || L2 || Z || pad || k || pad || L2 || K || Bv || Kv || M) mod q
	h.Reset()
	h.Write(basePointBytes[:])
	h.Write(label2[:])
	h.Write(z)
	n := writePad(h, len(basePointBytes)+len(label2)+len(z))
	h.Write(k.aSpecBytes[:])
	writePad(h, n+ScalarSize)
	h.Write(label2[:])
	h.Write(K)
	h.Write(BvBytes[:])
	h.Write(KvBytes[:])
	h.Write(message)
	var digest [64]byte
	r, _ := new(edwards25519.Scalar).SetUniformBytes(h.Sum(digest[:0]))
	clear(digest[:])

	R := new(edwards25519.Point).ScalarBaseMult(r)
	Rv := new(edwards25519.Point).ScalarMult(r, Bv)
	c := challenge(h, R.Bytes(), K, BvBytes[:], KvBytes[:], Rv.Bytes(), message)
	s := new(edwards25519.Scalar).MultiplyAdd(c, &k.aSpec, r)
	r.Set(edwards25519.NewScalar())

	copy(sig[:32], KvBytes[:])
	copy(sig[32:64], c.Bytes())
	copy(sig[64:], s.Bytes())
	vrfOutput(out, h, Kv)
	return true
}

// VRFVerify checks the VXEdDSA signature sig of message under the X25519
// public key u and, if it is valid, writes the VRF output to out and returns
// true. It returns false for inputs of the wrong length, a non-canonical or
// small-order key, a non-canonical Kv, h or s, and a small-order Kv.
func VRFVerify(out *[VRFOutputSize]byte, u, message, sig []byte) bool {
	*out = [VRFOutputSize]byte{}
	if len(u) != PointSize || len(sig) != VRFSignatureSize {
		return false
	}
	var K [32]byte
	KPoint := new(edwards25519.Point)
	if !montgomeryToEdwards(KPoint, &K, u, 0) {
		return false
	}
	KvBytes, hBytes, sBytes := sig[:32], sig[32:64], sig[64:]
	// Kv must encode a canonical y (the sign bit aside).
	var y [32]byte
	copy(y[:], KvBytes)
	y[31] &= 0x7f
	fy, _ := new(field.Element).SetBytes(y[:])
	if subtle.ConstantTimeCompare(fy.Bytes(), y[:]) != 1 {
		return false
	}
	Kv, err := new(edwards25519.Point).SetBytes(KvBytes)
	if err != nil || isSmallOrder(Kv) {
		return false
	}
	c, err := new(edwards25519.Scalar).SetCanonicalBytes(hBytes)
	if err != nil {
		return false
	}
	s, err := new(edwards25519.Scalar).SetCanonicalBytes(sBytes)
	if err != nil {
		return false
	}

	h := getHash()
	defer putHash(h)
	Bv, ok := calculateBv(h, K[:], message)
	if !ok {
		return false
	}
	// R = s·B - h·K, Rv = s·Bv - h·Kv
	minusK := new(edwards25519.Point).Negate(KPoint)
	R := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(c, minusK, s)
	minusKv := new(edwards25519.Point).Negate(Kv)
	Rv := new(edwards25519.Point).VarTimeMultiScalarMult(
		[]*edwards25519.Scalar{s, c}, []*edwards25519.Point{Bv, minusKv})

	check := challenge(h, R.Bytes(), K[:], Bv.Bytes(), KvBytes, Rv.Bytes(), message)
	if subtle.ConstantTimeCompare(check.Bytes(), hBytes) != 1 {
		return false
	}
	vrfOutput(out, h, Kv)
	return true
}
