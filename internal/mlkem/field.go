package mlkem

// This file holds the arithmetic of FIPS 203, independent of the parameter
// set: the field Z_q, polynomials in R_q and T_q, the NTT, sampling, and the
// byte encodings. Each function cites the algorithm or equation it
// implements.

import (
	"crypto/sha3"
	"encoding/binary"
)

const (
	n    = 256  // polynomial degree
	q    = 3329 // field modulus
	eta  = 2    // η1 = η2 = 2 in ML-KEM-768 and ML-KEM-1024
	nInv = 3303 // 128⁻¹ mod q, the scale factor of NTT⁻¹ (Algorithm 10)

	encodingSize12 = n * 12 / 8 // ByteEncode12 of one polynomial: 384 bytes
)

// fieldElement is an element of Z_q, always reduced to [0, q).
type fieldElement = uint16

// poly is an element of R_q (coefficients) or of T_q (NTT representation).
type poly [n]fieldElement

// reduceOnce maps [0, 2q) to [0, q) without branching.
func reduceOnce(x uint16) fieldElement {
	x -= q
	x += q & -(x >> 15) // x >> 15 is 1 exactly when the subtraction wrapped
	return x
}

func fieldAdd(a, b fieldElement) fieldElement { return reduceOnce(a + b) }
func fieldSub(a, b fieldElement) fieldElement { return reduceOnce(a - b + q) }

// fieldReduce reduces x modulo q. The division is by a constant, which the
// compiler turns into a multiplication: no secret-dependent timing.
func fieldReduce(x uint32) fieldElement { return fieldElement(x % q) }

func fieldMul(a, b fieldElement) fieldElement { return fieldReduce(uint32(a) * uint32(b)) }

// zetas[i] = ζ^BitRev7(i) and gammas[i] = ζ^(2·BitRev7(i)+1), ζ = 17: the
// NTT twiddle factors (§4.3) and the factors of MultiplyNTTs (Algorithm 11).
var zetas, gammas = computeZetas()

func computeZetas() (z, g [128]fieldElement) {
	var pow [256]fieldElement
	pow[0] = 1
	for i := 1; i < 256; i++ {
		pow[i] = fieldMul(pow[i-1], 17)
	}
	for i := range 128 {
		r := 0
		for b := range 7 {
			r |= (i >> b & 1) << (6 - b)
		}
		z[i] = pow[r]
		g[i] = pow[2*r+1]
	}
	return z, g
}

// ntt is Algorithm 9, in place.
func ntt(f *poly) {
	i := 1
	for l := 128; l >= 2; l /= 2 {
		for start := 0; start < n; start += 2 * l {
			zeta := zetas[i]
			i++
			for j := start; j < start+l; j++ {
				t := fieldMul(zeta, f[j+l])
				f[j+l] = fieldSub(f[j], t)
				f[j] = fieldAdd(f[j], t)
			}
		}
	}
}

// inverseNTT is Algorithm 10, in place.
func inverseNTT(f *poly) {
	i := 127
	for l := 2; l <= 128; l *= 2 {
		for start := 0; start < n; start += 2 * l {
			zeta := zetas[i]
			i--
			for j := start; j < start+l; j++ {
				t := f[j]
				f[j] = fieldAdd(t, f[j+l])
				f[j+l] = fieldMul(zeta, fieldSub(f[j+l], t))
			}
		}
	}
	for j := range f {
		f[j] = fieldMul(f[j], nInv)
	}
}

// accumulator is a sum of products f ∘ g, unreduced.
type accumulator [n]uint32

// mulAddNTT sets acc += f ∘ g, where ∘ is MultiplyNTTs (Algorithm 11, with
// BaseCaseMultiply, Algorithm 12). Each call adds less than 2q² < 2²⁵ per
// coefficient, so up to k = 4 calls stay far below 2³².
func mulAddNTT(acc *accumulator, f, g *poly) {
	for i := range 128 {
		a0, a1 := uint32(f[2*i]), uint32(f[2*i+1])
		b0, b1 := uint32(g[2*i]), uint32(g[2*i+1])
		// c0 = a0·b0 + (a1·b1 mod q)·γ, c1 = a0·b1 + a1·b0: each < 2q².
		acc[2*i] += a0*b0 + uint32(fieldReduce(a1*b1))*uint32(gammas[i])
		acc[2*i+1] += a0*b1 + a1*b0
	}
}

// reduce sets f to acc modulo q.
func (acc *accumulator) reduce(f *poly) {
	for i, x := range acc {
		f[i] = fieldReduce(x)
	}
}

// sampleNTT is Algorithm 7: it sets f to the matrix entry drawn from
// SHAKE128(ρ || j || i) by rejection sampling. It branches on ρ, which is
// public.
func sampleNTT(f *poly, rho []byte, j, i byte) {
	h := sha3.NewSHAKE128()
	h.Write(rho)
	h.Write([]byte{j, i})
	var buf [168]byte // one SHAKE128 block
	c := 0
	for {
		h.Read(buf[:])
		for off := 0; off+3 <= len(buf); off += 3 {
			d1 := uint16(buf[off]) | uint16(buf[off+1]&0x0f)<<8
			d2 := uint16(buf[off+1])>>4 | uint16(buf[off+2])<<4
			if d1 < q {
				f[c] = d1
				c++
				if c == n {
					return
				}
			}
			if d2 < q {
				f[c] = d2
				c++
				if c == n {
					return
				}
			}
		}
	}
}

// samplePolyCBD2 is Algorithm 8 with η = 2: it sets f from
// PRF_2(s, b) = SHAKE256(s || b)[:128] (§4.1), and clears the PRF output.
func samplePolyCBD2(f *poly, s []byte, b byte) {
	var buf [64 * eta]byte
	h := sha3.NewSHAKE256()
	h.Write(s)
	h.Write([]byte{b})
	h.Read(buf[:])
	h.Reset()
	// Each byte yields two coefficients from 4 bits each: (x0+x1) - (y0+y1).
	for i, v := range buf {
		for half := range 2 {
			bits := v >> (4 * half)
			x := bits&1 + bits>>1&1
			y := bits>>2&1 + bits>>3&1
			f[2*i+half] = fieldSub(fieldElement(x), fieldElement(y))
		}
	}
	clear(buf[:])
}

// compress is Compress_d (equation 4.7): round(2^d/q · x) mod 2^d, for x in
// [0, q).
func compress(x fieldElement, d uint) uint16 {
	// (x·2^d + q/2) / q, with the division by a constant compiled to a multiplication.
	return uint16((uint32(x)<<d+q/2)/q) & (1<<d - 1)
}

// decompress is Decompress_d (equation 4.8): round(q/2^d · y), for y < 2^d.
func decompress(y uint16, d uint) fieldElement {
	return fieldElement((uint32(y)*q + 1<<(d-1)) >> d)
}

// encode12 appends ByteEncode12(f) (Algorithm 5 with d = 12); f must be
// reduced.
func encode12(b []byte, f *poly) []byte {
	for i := 0; i < n; i += 2 {
		x := uint32(f[i]) | uint32(f[i+1])<<12
		b = append(b, byte(x), byte(x>>8), byte(x>>16))
	}
	return b
}

// decode12 sets f = ByteDecode12(b[:384]) (Algorithm 6 with d = 12) and
// returns 1 if every coefficient is below q, the modulus check of FIPS 203
// §7.2, and 0 otherwise. It runs in constant time: it also checks ŝ, which
// is secret. On 0, f holds the unreduced values.
func decode12(f *poly, b []byte) int {
	b = b[:encodingSize12]
	var bad uint32
	for i := 0; i < n; i += 2 {
		x := uint32(b[3*i/2]) | uint32(b[3*i/2+1])<<8 | uint32(b[3*i/2+2])<<16
		c0, c1 := x&0xfff, x>>12
		// q-1-c wraps, setting the top bit, exactly when c >= q.
		bad |= (q - 1 - c0) | (q - 1 - c1)
		f[i], f[i+1] = fieldElement(c0), fieldElement(c1)
	}
	return int(1 ^ bad>>31)
}

// encodeCompressed appends ByteEncode_d(Compress_d(f)) (Algorithm 5 and
// equation 4.7), for d <= 11.
func encodeCompressed(b []byte, f *poly, d uint) []byte {
	var acc uint32
	var bits uint
	for _, x := range f {
		acc |= uint32(compress(x, d)) << bits
		bits += d
		for bits >= 8 {
			b = append(b, byte(acc))
			acc >>= 8
			bits -= 8
		}
	}
	return b
}

// decodeDecompressed sets f = Decompress_d(ByteDecode_d(b)) (Algorithm 6 and
// equation 4.8), where b holds exactly 32·d bytes, for d <= 11.
func decodeDecompressed(f *poly, b []byte, d uint) {
	var acc uint32
	var bits uint
	i := 0
	for _, x := range b {
		acc |= uint32(x) << bits
		bits += 8
		for bits >= d {
			f[i] = decompress(uint16(acc&(1<<d-1)), d)
			acc >>= d
			bits -= d
			i++
		}
	}
}

// appendSigned appends the coefficients of f as signed 16-bit
// little-endian integers, each the representative in (-q/2, q/2].
func appendSigned(b []byte, f *poly) []byte {
	for _, x := range f {
		v := int16(x)
		v -= q & ((q/2 - v) >> 15) // v > q/2 → v - q, in constant time
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b
}

// fromSigned reduces any int16 into [0, q) in constant time.
func fromSigned(v int16) fieldElement {
	r := int32(v) % q // in (-q, q): a signed division by a constant
	r += q & (r >> 31)
	return fieldElement(r)
}
