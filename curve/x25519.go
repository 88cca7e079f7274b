package curve

import (
	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// x25519 computes the RFC 7748 function X25519(k, u) into dst with the
// Montgomery ladder of section 5, in constant time. k is clamped here; the
// top bit of u is masked and a non-canonical u is reduced, as the RFC asks.
//
// The library has its own ladder (rather than crypto/ecdh) because
// crypto/ecdh's NewPrivateKey always derives the public key, one extra
// scalar multiplication each time a stored private key is used; keys read
// back from a session record already come with their public halves.
func x25519(dst, k, u *[32]byte) {
	var e [32]byte
	copy(e[:], k[:])
	e[0] &= 248
	e[31] &= 127
	e[31] |= 64

	var x1, x2, z2, x3, z3, tmp0, tmp1 field.Element
	x1.SetBytes(u[:]) // ignores the top bit, reduces non-canonical values
	x2.One()
	x3.Set(&x1)
	z3.One()
	swap := 0
	for t := 254; t >= 0; t-- {
		kt := int(e[t/8]>>(t%8)) & 1
		swap ^= kt
		x2.Swap(&x3, swap)
		z2.Swap(&z3, swap)
		swap = kt

		// RFC 7748 section 5, with A, AA, B, BB, E, C, D, DA, CB named as
		// there.
		tmp0.Subtract(&x3, &z3)     // D
		tmp1.Subtract(&x2, &z2)     // B
		x2.Add(&x2, &z2)            // A
		z2.Add(&x3, &z3)            // C
		z3.Multiply(&tmp0, &x2)     // DA
		z2.Multiply(&z2, &tmp1)     // CB
		tmp0.Square(&tmp1)          // BB
		tmp1.Square(&x2)            // AA
		x3.Add(&z3, &z2)            // DA + CB
		z2.Subtract(&z3, &z2)       // DA - CB
		x2.Multiply(&tmp1, &tmp0)   // x_2 = AA * BB
		tmp1.Subtract(&tmp1, &tmp0) // E = AA - BB
		z2.Square(&z2)              // (DA - CB)^2
		z3.Mult32(&tmp1, 121666)    // (a24 + 1) * E = 121665*E + E
		x3.Square(&x3)              // x_3 = (DA + CB)^2
		tmp0.Add(&tmp0, &z3)        // BB + 121666*E = AA + 121665*E
		z3.Multiply(&x1, &z2)       // z_3 = x_1 * (DA - CB)^2
		z2.Multiply(&tmp1, &tmp0)   // z_2 = E * (AA + a24*E)
	}
	x2.Swap(&x3, swap)
	z2.Swap(&z3, swap)

	z2.Invert(&z2)
	x2.Multiply(&x2, &z2)
	copy(dst[:], x2.Bytes())
	clear(e[:])
}

// x25519Base computes X25519(k, 9) with a fixed-base Edwards
// multiplication, which is faster than the ladder, in constant time.
func x25519Base(dst, k *[32]byte) {
	s, _ := edwards25519.NewScalar().SetBytesWithClamping(k[:])
	P := new(edwards25519.Point).ScalarBaseMult(s)
	copy(dst[:], P.BytesMontgomery())
}
