// Package xed is the vector generators' own XEdDSA and VXEdDSA, written from
// the specification (signal.org/docs/specifications/xeddsa) and the facts in
// PROTOCOL.md and vectors/README.md about libsignal's conventions. It is
// deliberately independent of package xeddsa (which the vectors check): field
// arithmetic for the Montgomery-to-Edwards map and for Elligator 2 is done
// with math/big, and only point and scalar arithmetic comes from
// filippo.io/edwards25519.
//
// It is for generating vectors only: it is variable time throughout.
package xed

import (
	"crypto/sha512"
	"math/big"

	"filippo.io/edwards25519"
)

var (
	p     = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	one   = big.NewInt(1)
	twoB  = big.NewInt(2)
	montA = big.NewInt(486662)
)

// le32 encodes x (0 <= x < 2^256) as 32 little-endian bytes.
func le32(x *big.Int) []byte {
	b := x.FillBytes(make([]byte, 32))
	for i, j := 0, 31; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return b
}

// fromLE decodes little-endian bytes.
func fromLE(b []byte) *big.Int {
	r := make([]byte, len(b))
	for i := range b {
		r[len(b)-1-i] = b[i]
	}
	return new(big.Int).SetBytes(r)
}

// Clamp applies RFC 7748 clamping to a copy of k.
func Clamp(k []byte) []byte {
	c := append([]byte(nil), k...)
	c[0] &= 248
	c[31] &= 127
	c[31] |= 64
	return c
}

// isSquare reports whether x is a square mod p (0 counts as a square).
func isSquare(x *big.Int) bool {
	e := new(big.Int).Rsh(new(big.Int).Sub(p, one), 1)
	l := new(big.Int).Exp(x, e, p)
	return l.Sign() == 0 || l.Cmp(one) == 0
}

// EdwardsY returns the encoding of the Edwards y = (u-1)/(u+1) for the
// Montgomery u (taken mod p), with the given sign bit. ok is false when
// u = -1.
func EdwardsY(u *big.Int, sign byte) (enc []byte, ok bool) {
	den := new(big.Int).Add(u, one)
	den.Mod(den, p)
	if den.Sign() == 0 {
		return nil, false
	}
	y := new(big.Int).Sub(u, one)
	y.Mul(y, new(big.Int).ModInverse(den, p))
	y.Mod(y, p)
	enc = le32(y)
	enc[31] |= sign << 7
	return enc, true
}

// PublicKey returns the X25519 public key (u, 32 bytes) of the raw private
// key k (clamped here), and the Edwards key pair: the scalar a = clamp(k)
// mod q and A = a·B.
func PublicKey(k []byte) (u []byte, a *edwards25519.Scalar, A *edwards25519.Point) {
	a, err := new(edwards25519.Scalar).SetBytesWithClamping(k)
	if err != nil {
		panic(err)
	}
	A = new(edwards25519.Point).ScalarBaseMult(a)
	return A.BytesMontgomery(), a, A
}

// hash1 is the specification's hash_1: SHA-512 of (2^256 - 2 as 32
// little-endian bytes) || X.
func hash1(parts ...[]byte) []byte {
	h := sha512.New()
	prefix := make([]byte, 32)
	for i := range prefix {
		prefix[i] = 0xff
	}
	prefix[0] = 0xfe
	h.Write(prefix)
	for _, x := range parts {
		h.Write(x)
	}
	return h.Sum(nil)
}

func sha(parts ...[]byte) []byte {
	h := sha512.New()
	for _, x := range parts {
		h.Write(x)
	}
	return h.Sum(nil)
}

func reduce(d []byte) *edwards25519.Scalar {
	s, err := new(edwards25519.Scalar).SetUniformBytes(d)
	if err != nil {
		panic(err)
	}
	return s
}

// Signature is an XEdDSA signature with its intermediates, named as in the
// specification.
type Signature struct {
	A         []byte // Edwards public key hashed into h
	ABytes    []byte // the 32-byte form of a hashed into r
	R, H, S   []byte // H is h mod q (32 bytes)
	Signature []byte // R || s, with libsignal's sign bit when SignBit
}

// Sign signs M with the raw X25519 private key k and the 64-byte Z.
//
// signBit false is the specification's calculate_key_pair: if A = kB has
// sign bit 1, a = -k mod q and A is its negation (sign bit 0). signBit true is
// libsignal's curve25519_sign: a = k, A = kB with its own sign bit, which is
// then stored in the top bit of signature byte 63.
//
// Fact (libsignal-protocol-c, matched by the published answers): the nonce
// hashes the 32-byte clamped scalar exactly as stored when it is not
// negated, and the canonical encoding of -k mod q when it is.
func Sign(k, M, Z []byte, signBit bool) Signature {
	kc := Clamp(k)
	_, a, Ap := PublicKey(k)
	A := Ap.Bytes()
	sign := A[31] >> 7
	aBytes := kc
	if !signBit && sign == 1 {
		a = new(edwards25519.Scalar).Negate(a)
		aBytes = a.Bytes()
		A = new(edwards25519.Point).Negate(Ap).Bytes()
	}
	r := reduce(hash1(aBytes, M, Z))
	R := new(edwards25519.Point).ScalarBaseMult(r).Bytes()
	h := reduce(sha(R, A, M))
	s := new(edwards25519.Scalar).MultiplyAdd(h, a, r).Bytes()
	sig := append(append([]byte(nil), R...), s...)
	if signBit {
		sig[63] |= sign << 7
	}
	return Signature{A: A, ABytes: aBytes, R: R, H: h.Bytes(), S: s, Signature: sig}
}

// edwardsFromU decodes the Montgomery u (32 bytes) to the Edwards point
// with the given sign. It fails for a non-canonical u (>= p or bit 255 set),
// u = -1, a u not on the curve, or a point of small order.
func edwardsFromU(u []byte, sign byte) (*edwards25519.Point, []byte, bool) {
	if len(u) != 32 || u[31]&0x80 != 0 {
		return nil, nil, false
	}
	ui := fromLE(u)
	if ui.Cmp(p) >= 0 {
		return nil, nil, false
	}
	enc, ok := EdwardsY(ui, sign)
	if !ok {
		return nil, nil, false
	}
	P, err := new(edwards25519.Point).SetBytes(enc)
	if err != nil {
		return nil, nil, false
	}
	if new(edwards25519.Point).MultByCofactor(P).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return nil, nil, false
	}
	return P, enc, true
}

// Verify checks an XEdDSA signature under the X25519 public key u. With
// signBit, the Edwards sign comes from the top bit of byte 63 (then
// cleared), else it is 0. s must be below q after that; the top three bits
// of s must be clear.
func Verify(u, M, sig []byte, signBit bool) bool {
	if len(sig) != 64 {
		return false
	}
	s := append([]byte(nil), sig[32:]...)
	var sign byte
	if signBit {
		sign = s[31] >> 7
		s[31] &= 0x7f
	}
	A, Aenc, ok := edwardsFromU(u, sign)
	if !ok {
		return false
	}
	S, err := new(edwards25519.Scalar).SetCanonicalBytes(s)
	if err != nil {
		return false
	}
	h := reduce(sha(sig[:32], Aenc, M))
	// R' = sB - hA
	Rc := new(edwards25519.Point).ScalarBaseMult(S)
	hA := new(edwards25519.Point).ScalarMult(h, A)
	Rc.Subtract(Rc, hA)
	return string(Rc.Bytes()) == string(sig[:32])
}

// VRF: libsignal's generalized VEdDSA layout (see vectors/README.md).

const vrfName = "VEdDSA_25519_SHA512_Elligator2"

// Label is labelset(n): 3 labels (protocol name, empty customization, n).
func Label(n byte) []byte {
	l := []byte{3, byte(len(vrfName))}
	l = append(l, vrfName...)
	return append(l, 0, 1, n)
}

var baseB = edwards25519.NewGeneratorPoint().Bytes()

// elligator2 maps r (mod p) to a Montgomery u: w = -A/(1+2r²); u = w if
// w³+Aw²+w is a square, else -w-A.
func elligator2(r *big.Int) *big.Int {
	den := new(big.Int).Mul(r, r)
	den.Mul(den, twoB)
	den.Add(den, one)
	den.Mod(den, p)
	w := new(big.Int)
	if den.Sign() != 0 {
		w.ModInverse(den, p)
	}
	w.Mul(w, montA)
	w.Neg(w)
	w.Mod(w, p)
	e := new(big.Int).Mul(w, w)
	e.Add(e, new(big.Int).Mul(montA, w))
	e.Add(e, one)
	e.Mul(e, w)
	e.Mod(e, p)
	if isSquare(e) {
		return w
	}
	u := new(big.Int).Add(w, montA)
	u.Neg(u)
	return u.Mod(u, p)
}

// HashToPoint is libsignal's hash_to_point: SHA-512(X)[:32], bit 255 as an
// Edwards sign, the remaining 255 bits mod p through Elligator 2 to u, the
// Edwards point with y = (u-1)/(u+1) and that sign, times the cofactor 8.
func HashToPoint(X []byte) *edwards25519.Point {
	d := sha(X)[:32]
	sign := d[31] >> 7
	d[31] &= 0x7f
	r := new(big.Int).Mod(fromLE(d), p)
	u := elligator2(r)
	enc, ok := EdwardsY(u, sign)
	if !ok {
		// u = -1: y = 0 by the convention 1/0 = 0.
		enc = make([]byte, 32)
		enc[31] |= sign << 7
	}
	P, err := new(edwards25519.Point).SetBytes(enc)
	if err != nil {
		panic("xed: hash_to_point left the curve")
	}
	return P.MultByCofactor(P)
}

// VRFSignature is a VXEdDSA signature with its intermediates.
type VRFSignature struct {
	K, Bv, Kv, R, Rv, H, S []byte
	Signature              []byte // Kv || h || s
	V                      []byte // VRF output
}

func pad128(n int) []byte { return make([]byte, (128-n%128)%128) }

// VRFSign is VXEdDSA in libsignal's generalized layout with the 32-byte Z;
// the key pair is the specification's (sign bit 0), and the scalar bytes
// hashed into r follow the same rule as Sign.
func VRFSign(k, M, Z []byte) VRFSignature {
	kc := Clamp(k)
	_, a, Ap := PublicKey(k)
	K := Ap.Bytes()
	aBytes := kc
	if K[31]>>7 == 1 {
		a = new(edwards25519.Scalar).Negate(a)
		aBytes = a.Bytes()
		K = new(edwards25519.Point).Negate(Ap).Bytes()
	}
	L1, L2, L3, L4 := Label('1'), Label('2'), Label('3'), Label('4')
	Bv := HashToPoint(concat(baseB, L1, K, M))
	Kv := new(edwards25519.Point).ScalarMult(a, Bv)
	Bvb, Kvb := Bv.Bytes(), Kv.Bytes()
	pre := concat(baseB, L2, Z)
	pre = append(pre, pad128(len(pre))...)
	pre = append(pre, aBytes...)
	pre = append(pre, pad128(len(pre))...)
	r := reduce(sha(pre, L2, K, Bvb, Kvb, M))
	R := new(edwards25519.Point).ScalarBaseMult(r).Bytes()
	Rv := new(edwards25519.Point).ScalarMult(r, Bv).Bytes()
	h := reduce(sha(baseB, L3, R, L3, K, Bvb, Kvb, Rv, M))
	s := new(edwards25519.Scalar).MultiplyAdd(h, a, r)
	v := sha(baseB, L4, new(edwards25519.Point).MultByCofactor(Kv).Bytes())[:32]
	return VRFSignature{K: K, Bv: Bvb, Kv: Kvb, R: R, Rv: Rv, H: h.Bytes(), S: s.Bytes(),
		Signature: concat(Kvb, h.Bytes(), s.Bytes()), V: v}
}

// VRFVerify checks a VXEdDSA signature and returns the VRF output.
func VRFVerify(u, M, sig []byte) ([]byte, bool) {
	if len(sig) != 96 {
		return nil, false
	}
	Kp, K, ok := edwardsFromU(u, 0)
	if !ok {
		return nil, false
	}
	Kvb, hb, sb := sig[:32], sig[32:64], sig[64:]
	y := append([]byte(nil), Kvb...)
	y[31] &= 0x7f
	if fromLE(y).Cmp(p) >= 0 {
		return nil, false
	}
	Kv, err := new(edwards25519.Point).SetBytes(Kvb)
	if err != nil || new(edwards25519.Point).MultByCofactor(Kv).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return nil, false
	}
	h, err := new(edwards25519.Scalar).SetCanonicalBytes(hb)
	if err != nil {
		return nil, false
	}
	s, err := new(edwards25519.Scalar).SetCanonicalBytes(sb)
	if err != nil {
		return nil, false
	}
	L1, L3, L4 := Label('1'), Label('3'), Label('4')
	Bv := HashToPoint(concat(baseB, L1, K, M))
	R := new(edwards25519.Point).ScalarBaseMult(s)
	R.Subtract(R, new(edwards25519.Point).ScalarMult(h, Kp))
	Rv := new(edwards25519.Point).ScalarMult(s, Bv)
	Rv.Subtract(Rv, new(edwards25519.Point).ScalarMult(h, Kv))
	hc := reduce(sha(baseB, L3, R.Bytes(), L3, K, Bv.Bytes(), Kvb, Rv.Bytes(), M))
	if string(hc.Bytes()) != string(hb) {
		return nil, false
	}
	return sha(baseB, L4, new(edwards25519.Point).MultByCofactor(Kv).Bytes())[:32], true
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, x := range parts {
		out = append(out, x...)
	}
	return out
}
