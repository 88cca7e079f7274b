package mlkem768

// This file holds the FIPS 203 arithmetic: the field Z_q, polynomials in R_q
// and T_q, the NTT, sampling and the byte encodings. Function comments cite
// the FIPS 203 algorithm they implement.
//
// Every operation on secret data runs in time independent of the values: the
// only divisions are by the constant q, which the compiler turns into
// multiplications, and there are no data-dependent branches or table lookups.
// SampleNTT (Algorithm 7) branches on public data (the matrix seed) only.

import (
	"crypto/sha3"
	"encoding/binary"
)

const (
	n = 256  // polynomial degree
	q = 3329 // field modulus

	eta1 = 2  // η1 for ML-KEM-768
	eta2 = 2  // η2 for ML-KEM-768
	du   = 10 // d_u for ML-KEM-768
	dv   = 4  // d_v for ML-KEM-768

	nInv = 3303 // 128^-1 mod q, the scale factor of NTT^-1 (Algorithm 10)
)

// fe is an element of Z_q, always reduced to [0, q).
type fe = uint16

// poly is an element of R_q (coefficients) or T_q (NTT representation).
type poly [n]fe

func feReduce(a uint32) fe { return fe(a % q) }

func feAdd(a, b fe) fe {
	s := a + b // < 2q < 2^16
	return feCondSub(s)
}

func feSub(a, b fe) fe {
	return feCondSub(a + q - b)
}

// feCondSub maps [0, 2q) to [0, q) in constant time.
func feCondSub(a fe) fe {
	t := a - q
	// If a < q, t wrapped around and its top bit is set: add q back.
	mask := -(t >> 15)
	return t + (q & mask)
}

func feMul(a, b fe) fe { return feReduce(uint32(a) * uint32(b)) }

// zetas[i] = 17^BitRev7(i) mod q, the NTT twiddle factors (FIPS 203, §4.3).
// gammas[i] = 17^(2·BitRev7(i)+1) mod q, used by MultiplyNTTs (Algorithm 11).
var zetas, gammas = func() (z, g [128]fe) {
	pow := func(e int) fe {
		r := fe(1)
		for range e {
			r = feMul(r, 17)
		}
		return r
	}
	for i := range 128 {
		br := 0
		for b := range 7 {
			br |= (i >> b & 1) << (6 - b)
		}
		z[i] = pow(br)
		g[i] = pow(2*br + 1)
	}
	return
}()

// ntt is FIPS 203 Algorithm 9, in place.
func ntt(f *poly) {
	i := 1
	for length := 128; length >= 2; length /= 2 {
		for start := 0; start < n; start += 2 * length {
			zeta := zetas[i]
			i++
			for j := start; j < start+length; j++ {
				t := feMul(zeta, f[j+length])
				f[j+length] = feSub(f[j], t)
				f[j] = feAdd(f[j], t)
			}
		}
	}
}

// nttInverse is FIPS 203 Algorithm 10, in place.
func nttInverse(f *poly) {
	i := 127
	for length := 2; length <= 128; length *= 2 {
		for start := 0; start < n; start += 2 * length {
			zeta := zetas[i]
			i--
			for j := start; j < start+length; j++ {
				t := f[j]
				f[j] = feAdd(t, f[j+length])
				f[j+length] = feMul(zeta, feSub(f[j+length], t))
			}
		}
	}
	for j := range f {
		f[j] = feMul(f[j], nInv)
	}
}

// mulAddNTT sets acc += f ∘ g, where ∘ is MultiplyNTTs (Algorithm 11, with
// BaseCaseMultiply, Algorithm 12). The sum is accumulated unreduced in 32-bit
// words; reduceAcc reduces it once at the end.
func mulAddNTT(acc *[n]uint32, f, g *poly) {
	for i := range 128 {
		a0, a1 := uint32(f[2*i]), uint32(f[2*i+1])
		b0, b1 := uint32(g[2*i]), uint32(g[2*i+1])
		// c0 = a0·b0 + (a1·b1 mod q)·γ, c1 = a0·b1 + a1·b0: each < 2q^2.
		acc[2*i] += a0*b0 + uint32(feReduce(a1*b1))*uint32(gammas[i])
		acc[2*i+1] += a0*b1 + a1*b0
	}
}

// reduceAcc reduces an accumulator of at most k products into a poly.
// Each step adds < 2q^2 < 2^25, so k = 3 steps stay far below 2^32.
func reduceAcc(acc *[n]uint32) (p poly) {
	for i := range acc {
		p[i] = feReduce(acc[i])
	}
	return
}

// sampleNTT is FIPS 203 Algorithm 7: rejection sampling of an element of T_q
// from SHAKE128(rho || j || i). It runs on public data.
func sampleNTT(rho []byte, j, i byte) (a poly) {
	h := sha3.NewSHAKE128()
	h.Write(rho)
	h.Write([]byte{j, i})
	var buf [168]byte // one SHAKE128 block
	k := 0
	for {
		h.Read(buf[:])
		for off := 0; off+3 <= len(buf); off += 3 {
			d1 := uint16(buf[off]) | uint16(buf[off+1]&0x0f)<<8
			d2 := uint16(buf[off+1])>>4 | uint16(buf[off+2])<<4
			if d1 < q {
				a[k] = d1
				k++
				if k == n {
					return
				}
			}
			if d2 < q {
				a[k] = d2
				k++
				if k == n {
					return
				}
			}
		}
	}
}

// samplePolyCBD2 is FIPS 203 Algorithm 8 for η = 2, applied to
// PRF_2(s, b) = SHAKE256(s || b, 128) (§4.1).
func samplePolyCBD2(s []byte, b byte) (f poly) {
	var buf [64 * eta1]byte
	h := sha3.NewSHAKE256()
	h.Write(s)
	h.Write([]byte{b})
	h.Read(buf[:])
	// Each byte yields two coefficients from 4 bits each: (x0+x1) - (y0+y1).
	for i, v := range buf {
		for half := range 2 {
			bits := v >> (4 * half)
			x := bits&1 + bits>>1&1
			y := bits>>2&1 + bits>>3&1
			f[2*i+half] = feSub(fe(x), fe(y))
		}
	}
	return
}

// compress is Compress_d (FIPS 203, equation 4.7): round(2^d / q · x) mod 2^d.
func compress(x fe, d uint) uint16 {
	// (x·2^d + q/2) / q, with the division by a constant compiled to a multiplication.
	return uint16((uint32(x)<<d+q/2)/q) & (1<<d - 1)
}

// decompress is Decompress_d (FIPS 203, equation 4.8): round(q / 2^d · y).
func decompress(y uint16, d uint) fe {
	return fe((uint32(y)*q + 1<<(d-1)) >> d)
}

// byteEncode is ByteEncode_d (Algorithm 5) of d-bit values, appended to dst.
func byteEncode(dst []byte, f *[n]uint16, d uint) []byte {
	var acc uint64
	var bits uint
	for _, v := range f {
		acc |= uint64(v) << bits
		bits += d
		for bits >= 8 {
			dst = append(dst, byte(acc))
			acc >>= 8
			bits -= 8
		}
	}
	return dst
}

// byteDecode is ByteDecode_d (Algorithm 6) into d-bit values, without the
// reduction mod q that d = 12 implies: callers check or reduce.
func byteDecode(b []byte, d uint) (f [n]uint16) {
	var acc uint64
	var bits uint
	k := 0
	for _, v := range b {
		acc |= uint64(v) << bits
		bits += 8
		for bits >= d && k < n {
			f[k] = uint16(acc & (1<<d - 1))
			acc >>= d
			bits -= d
			k++
		}
	}
	return
}

// compressEncode appends ByteEncode_d(Compress_d(f)).
func compressEncode(dst []byte, f *poly, d uint) []byte {
	var c [n]uint16
	for i, x := range f {
		c[i] = compress(x, d)
	}
	return byteEncode(dst, &c, d)
}

// decodeDecompress returns Decompress_d(ByteDecode_d(b)).
func decodeDecompress(b []byte, d uint) (f poly) {
	c := byteDecode(b, d)
	for i, y := range c {
		f[i] = decompress(y, d)
	}
	return
}

// decode12 is ByteDecode_12 with the modulus check of FIPS 203 §7.2: it
// reports false if any coefficient is not reduced.
func decode12(b []byte) (f poly, ok bool) {
	c := byteDecode(b, 12)
	ok = true
	for i, v := range c {
		if v >= q {
			ok = false
		}
		f[i] = v
	}
	return
}

func encode12(dst []byte, f *poly) []byte {
	return byteEncode(dst, (*[n]uint16)(f), 12)
}

// putI16 and getI16 move signed 16-bit little-endian coefficients.
func putI16(b []byte, v int16) { binary.LittleEndian.PutUint16(b, uint16(v)) }
func getI16(b []byte) int16    { return int16(binary.LittleEndian.Uint16(b)) }

// centered maps [0, q) to (-q/2, q/2].
func centered(x fe) int16 {
	v := int16(x)
	// v > q/2 → v - q, in constant time.
	mask := (int16(q/2) - v) >> 15 // all ones when v > q/2
	return v - (q & mask)
}

// fromSigned reduces any int16 into [0, q).
func fromSigned(v int16) fe {
	r := int32(v) % q // in (-q, q)
	r += q & (r >> 31)
	return fe(r)
}
