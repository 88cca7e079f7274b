package gcmsiv

import (
	"encoding/binary"
	"math/bits"
)

// This file is POLYVAL (RFC 8452 section 3), written from the RFC's
// definition and computed in constant time.
//
// # The field
//
// POLYVAL works in GF(2^128) defined by the irreducible polynomial
//
//	P(x) = x^128 + x^127 + x^126 + x^121 + 1.
//
// A 16-byte string is a field element in little-endian order: bit j of byte
// i (bit 0 the least significant) is the coefficient of x^(8i+j). Here an
// element is held as two words, lo (bytes 0-7, x^0..x^63) and hi (bytes
// 8-15, x^64..x^127), each read little-endian, so bit k of lo is the
// coefficient of x^k and bit k of hi that of x^(64+k).
//
// The RFC's product is dot(a, b) = a * b * x^-128 mod P, and
//
//	POLYVAL(H, X_1, ..., X_s): S_0 = 0, S_j = dot(S_{j-1} + X_j, H),
//
// whose result is S_s.
//
// # Carry-less multiplication with integer multiplies
//
// A 64x64-bit carry-less product is computed with ordinary integer
// multiplications that do not carry into the bits we keep (the "holes"
// technique that BearSSL documents for its ghash_ctmul64). Each operand is
// split into four lanes by the masks
//
//	m0 = 0x1111...1, m1 = 0x2222...2, m2 = 0x4444...4, m3 = 0x8888...8,
//
// so lane i holds the bits whose position is i modulo 4, and three zero
// bits ("holes") separate any two of them. The integer product of lane i
// of x and lane j of y (math/bits.Mul64, 128 bits) is the sum, over the
// pairs of set bits, of 2^(position sum); every position sum is (i + j)
// mod 4. At each such position p the integer product therefore holds the
// number of pairs that meet there, written in binary over bits p, p+1,
// p+2, p+3; if that number is at most 15 it does not reach p+4, the next
// position of the same class, and bit p is the number's parity: exactly
// the carry-less product's coefficient of x^p. Bits p+1..p+3 (other
// classes) receive carry garbage, which the final masking drops.
//
// So the four products whose lane indexes add up to k modulo 4 are XORed
// and masked with m_k, and the four masked classes together are the
// carry-less product.
//
// A lane has 16 bits, so two full lanes could meet 16 times at one
// position, which needs five bits. To stay at 15 or less, the multiplier y
// has its top four bits (60-63, one per lane) removed from the lanes, and
// their contribution, x * x^t for each set bit t of them, is added
// separately: the bit becomes an all-zeros or all-ones mask (-(bit)) that
// selects x, shifted by t. Every step is a mask, shift, XOR or
// multiplication of fixed length: no branch and no memory index depends
// on x or y. (math/bits.Mul64 documents that its running time does not
// depend on its inputs.)
//
// A 128x128-bit product takes three 64x64 products (Karatsuba), the
// middle one from (a.lo ^ a.hi) and (b.lo ^ b.hi). H is the same for a
// whole POLYVAL computation, so its lanes and masks (for lo, hi and
// lo^hi) are prepared once, in a stack value; nothing is put in a table
// indexed by secret data.
//
// # Montgomery reduction
//
// The 256-bit product D = d3:d2:d1:d0 (d0 the lowest word) is multiplied
// by x^-128 modulo P by adding multiples of P that clear the low 128 bits,
// one word at a time, and keeping the high 128 bits. Adding d0(x) * P(x)
// clears d0 (P's constant term is 1) and adds d0 * (x^121 + x^126 + x^127)
// into d1:d2 and d0 * x^128 into d2; then the same with the updated d1,
// one word higher. The sum is divisible by x^128 and congruent to D, so
// its top 128 bits are D * x^-128 mod P; its degree is below 128 because
// deg D <= 254 and the added multiples have degree <= 255, so it is fully
// reduced.

// Lane masks: lane i holds the bits at positions congruent to i mod 4.
const (
	lane0 = 0x1111111111111111
	lane1 = 0x2222222222222222
	lane2 = 0x4444444444444444
	lane3 = 0x8888888888888888
)

// fieldElement is an element of POLYVAL's field: the coefficient of x^k is
// bit k of lo for k < 64, and bit k-64 of hi otherwise.
type fieldElement struct {
	lo, hi uint64
}

func loadElement(b []byte) fieldElement {
	return fieldElement{lo: binary.LittleEndian.Uint64(b[:8]), hi: binary.LittleEndian.Uint64(b[8:16])}
}

func (e fieldElement) put(b []byte) {
	binary.LittleEndian.PutUint64(b[:8], e.lo)
	binary.LittleEndian.PutUint64(b[8:16], e.hi)
}

// multiplier is a 64-bit multiplier y prepared for clmul64.
type multiplier struct {
	// lane[i] is y's lane i without bit 60+i, so it has 15 bits at most.
	lane [4]uint64
	// top[t] is all ones if bit 60+t of y is set, else zero.
	top [4]uint64
}

func newMultiplier(y uint64) multiplier {
	low := y &^ (0xf << 60)
	m := multiplier{lane: [4]uint64{low & lane0, low & lane1, low & lane2, low & lane3}}
	for t := range 4 {
		m.top[t] = -(y >> (60 + t) & 1)
	}
	return m
}

// clmul64 returns the 128-bit carry-less product of x and y as hi:lo. See
// the comment at the top of the file.
func clmul64(x uint64, y *multiplier) (hi, lo uint64) {
	x0, x1, x2, x3 := x&lane0, x&lane1, x&lane2, x&lane3
	y0, y1, y2, y3 := y.lane[0], y.lane[1], y.lane[2], y.lane[3]

	// Class 0: lane pairs (0,0) (1,3) (2,2) (3,1).
	a1, a0 := bits.Mul64(x0, y0)
	b1, b0 := bits.Mul64(x1, y3)
	c1, c0 := bits.Mul64(x2, y2)
	d1, d0 := bits.Mul64(x3, y1)
	hi = (a1 ^ b1 ^ c1 ^ d1) & lane0
	lo = (a0 ^ b0 ^ c0 ^ d0) & lane0

	// Class 1: (0,1) (1,0) (2,3) (3,2).
	a1, a0 = bits.Mul64(x0, y1)
	b1, b0 = bits.Mul64(x1, y0)
	c1, c0 = bits.Mul64(x2, y3)
	d1, d0 = bits.Mul64(x3, y2)
	hi |= (a1 ^ b1 ^ c1 ^ d1) & lane1
	lo |= (a0 ^ b0 ^ c0 ^ d0) & lane1

	// Class 2: (0,2) (1,1) (2,0) (3,3).
	a1, a0 = bits.Mul64(x0, y2)
	b1, b0 = bits.Mul64(x1, y1)
	c1, c0 = bits.Mul64(x2, y0)
	d1, d0 = bits.Mul64(x3, y3)
	hi |= (a1 ^ b1 ^ c1 ^ d1) & lane2
	lo |= (a0 ^ b0 ^ c0 ^ d0) & lane2

	// Class 3: (0,3) (1,2) (2,1) (3,0).
	a1, a0 = bits.Mul64(x0, y3)
	b1, b0 = bits.Mul64(x1, y2)
	c1, c0 = bits.Mul64(x2, y1)
	d1, d0 = bits.Mul64(x3, y0)
	hi |= (a1 ^ b1 ^ c1 ^ d1) & lane3
	lo |= (a0 ^ b0 ^ c0 ^ d0) & lane3

	// Bits 60..63 of y: add x * x^(60+t) where the bit is set.
	v := x & y.top[0]
	lo ^= v << 60
	hi ^= v >> 4
	v = x & y.top[1]
	lo ^= v << 61
	hi ^= v >> 3
	v = x & y.top[2]
	lo ^= v << 62
	hi ^= v >> 2
	v = x & y.top[3]
	lo ^= v << 63
	hi ^= v >> 1
	return hi, lo
}

// fieldKey is the field element H prepared for repeated products dot(·, H).
type fieldKey struct {
	lo, hi, mid multiplier // H.lo, H.hi and H.lo ^ H.hi
}

func newFieldKey(h fieldElement) fieldKey {
	return fieldKey{lo: newMultiplier(h.lo), hi: newMultiplier(h.hi), mid: newMultiplier(h.lo ^ h.hi)}
}

// dot returns dot(a, H) = a * H * x^-128 mod P.
func (k *fieldKey) dot(a fieldElement) fieldElement {
	// Karatsuba: a*H = hh*x^128 + (mm - ll - hh)*x^64 + ll.
	llh, lll := clmul64(a.lo, &k.lo)
	hhh, hhl := clmul64(a.hi, &k.hi)
	mmh, mml := clmul64(a.lo^a.hi, &k.mid)
	mmh ^= llh ^ hhh
	mml ^= lll ^ hhl
	return reduce(lll, llh^mml, hhl^mmh, hhh)
}

// reduce returns d3:d2:d1:d0 * x^-128 mod P (see the top of the file).
func reduce(d0, d1, d2, d3 uint64) fieldElement {
	// Add d0 * P: d0 * (x^121 + x^126 + x^127) lands in d1 and d2,
	// d0 * x^128 in d2, and d0 * 1 clears d0.
	d1 ^= d0<<57 ^ d0<<62 ^ d0<<63
	d2 ^= d0 ^ d0>>7 ^ d0>>2 ^ d0>>1
	// The same for (the updated) d1, one word up.
	d2 ^= d1<<57 ^ d1<<62 ^ d1<<63
	d3 ^= d1 ^ d1>>7 ^ d1>>2 ^ d1>>1
	return fieldElement{lo: d2, hi: d3}
}

// polyval is a running POLYVAL computation.
type polyval struct {
	key fieldKey
	s   fieldElement
}

// init starts POLYVAL with the 16-byte key h.
func (p *polyval) init(h []byte) {
	p.key = newFieldKey(loadElement(h))
	p.s = fieldElement{}
}

// update absorbs whole 16-byte blocks; len(blocks) must be a multiple of 16.
func (p *polyval) update(blocks []byte) {
	s := p.s
	for ; len(blocks) >= 16; blocks = blocks[16:] {
		x := loadElement(blocks)
		s = p.key.dot(fieldElement{lo: s.lo ^ x.lo, hi: s.hi ^ x.hi})
	}
	p.s = s
}

// updatePadded absorbs data right-padded with zeros to a multiple of 16
// bytes (nothing if data is empty).
func (p *polyval) updatePadded(data []byte) {
	full := len(data) &^ 15
	p.update(data[:full])
	if full < len(data) {
		var last [16]byte
		copy(last[:], data[full:])
		p.update(last[:])
	}
}

// sum writes the current result to out (16 bytes).
func (p *polyval) sum(out []byte) {
	p.s.put(out)
}

// clear erases the key and state.
func (p *polyval) clear() {
	*p = polyval{}
}
