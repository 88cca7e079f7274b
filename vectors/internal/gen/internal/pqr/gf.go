package pqr

// GF(2^16) with the primitive polynomial x^16 + x^12 + x^3 + x + 1 (0x1100b),
// elements as 16-bit integers in the polynomial basis (bit i is the
// coefficient of x^i). Addition and subtraction are XOR.

const gfPoly = 0x1100b

// gfMul multiplies a and b: carry-less product, reduced modulo gfPoly.
func gfMul(a, b uint16) uint16 {
	var p uint32
	x, y := uint32(a), uint32(b)
	for i := 0; i < 16; i++ {
		if y&(1<<i) != 0 {
			p ^= x << i
		}
	}
	for bit := 31; bit >= 16; bit-- {
		if p&(1<<bit) != 0 {
			p ^= gfPoly << (bit - 16)
		}
	}
	return uint16(p)
}

// gfInv returns a^(2^16 - 2), the inverse of a non-zero a.
func gfInv(a uint16) uint16 {
	r, base := uint16(1), a
	for e := uint32(1<<16 - 2); e > 0; e >>= 1 {
		if e&1 != 0 {
			r = gfMul(r, base)
		}
		base = gfMul(base, base)
	}
	return r
}

// point is (x, y) on one of the 16 interleaved polynomials.
type point struct{ x, y uint16 }

// lagrangeAt evaluates at x the polynomial of degree < len(pts) through
// pts (distinct x values).
func lagrangeAt(pts []point, x uint16) uint16 {
	var sum uint16
	for j, pj := range pts {
		if pj.x == x {
			return pj.y
		}
		num, den := uint16(1), uint16(1)
		for k, pk := range pts {
			if k == j {
				continue
			}
			num = gfMul(num, x^pk.x)
			den = gfMul(den, pj.x^pk.x)
		}
		sum ^= gfMul(pj.y, gfMul(num, gfInv(den)))
	}
	return sum
}
