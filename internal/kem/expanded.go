package kem

// A small ML-KEM-1024 core for expanded decapsulation keys.
//
// crypto/mlkem only loads decapsulation keys from their 64-byte seed, but
// libsignal stores the 3168-byte expanded form (ŝ || ek || H(ek) || z), which
// round-3 Kyber and FIPS 203 share and from which the seed cannot be
// recovered. This file implements just what that form needs, from FIPS 203:
//
//   - expandSeed: the expanded key of a seed (ŝ from K-PKE.KeyGen, Algorithm 13;
//     ek comes from crypto/mlkem), for export to libsignal;
//   - parseExpanded: the decapsulation-key check of FIPS 203 §7.3;
//   - decapsulate: ML-KEM.Decaps_internal (Algorithm 18), with K-PKE.Decrypt
//     (Algorithm 15) and the re-encryption K-PKE.Encrypt (Algorithm 14).
//
// Names follow FIPS 203. Field elements are uint16 values in [0, q). Secret-
// dependent operations avoid branches and table lookups: reductions are
// multiplications by constants and masked subtractions, the final ciphertext
// comparison uses crypto/subtle. Matrix sampling (SampleNTT) is variable-time
// in ρ, which is public. Speed is not a goal: this path only serves keys
// imported from libsignal; keys made here go through crypto/mlkem.

import (
	"crypto/mlkem"
	"crypto/sha3"
	"crypto/subtle"
)

const (
	q        = 3329
	n        = 256
	k        = 4           // ML-KEM-1024 module rank
	du       = 11          // ciphertext compression of u
	dv       = 5           // ciphertext compression of v
	encSize  = 384         // ByteEncode12 of one polynomial
	c1Size   = n * du / 8  // 352 per polynomial
	c2Size   = n * dv / 8  // 160
	ekPKELen = k * encSize // 1536, also the length of dk_PKE
	nInv     = 3303        // 128⁻¹ mod q, for NTT⁻¹
)

type fieldElement = uint16

// ringElement is a polynomial in R_q, or its NTT representation in T_q.
type ringElement [n]fieldElement

// expandedKey is an ML-KEM-1024 decapsulation key in expanded form.
type expandedKey struct {
	s  [k]ringElement // ŝ, NTT domain
	ek [RawPublicKeySize]byte
	t  [k]ringElement     // t̂, decoded from ek
	a  [k * k]ringElement // Â, sampled from ρ; a[i*k+j] = Â[i, j]
	h  [32]byte           // H(ek)
	z  [32]byte           // implicit-rejection secret
}

// reduceOnce maps x in [0, 2q) to [0, q) without branching.
func reduceOnce(x uint16) fieldElement {
	x -= q
	x += q & -(x >> 15) // x >> 15 is 1 exactly when the subtraction wrapped
	return x
}

func fieldAdd(a, b fieldElement) fieldElement { return reduceOnce(a + b) }
func fieldSub(a, b fieldElement) fieldElement { return reduceOnce(a - b + q) }

// fieldMul reduces with a division by a constant, which compilers turn into a
// multiplication: no secret-dependent timing.
func fieldMul(a, b fieldElement) fieldElement {
	return fieldElement(uint32(a) * uint32(b) % q)
}

// zetas[i] = ζ^BitRev7(i) and gammas[i] = ζ^(2·BitRev7(i)+1), ζ = 17.
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
func ntt(f *ringElement) {
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
func inverseNTT(f *ringElement) {
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

// mulAddNTT sets acc += f ∘ g (Algorithms 11 and 12).
func mulAddNTT(acc, f, g *ringElement) {
	for i := range 128 {
		a0, a1, b0, b1 := f[2*i], f[2*i+1], g[2*i], g[2*i+1]
		c0 := fieldAdd(fieldMul(a0, b0), fieldMul(fieldMul(a1, b1), gammas[i]))
		c1 := fieldAdd(fieldMul(a0, b1), fieldMul(a1, b0))
		acc[2*i] = fieldAdd(acc[2*i], c0)
		acc[2*i+1] = fieldAdd(acc[2*i+1], c1)
	}
}

// sampleNTT is Algorithm 7: the matrix entry SHAKE128(ρ || j || i) by
// rejection sampling. ρ is public.
func sampleNTT(f *ringElement, rho []byte, j, i byte) {
	x := sha3.NewSHAKE128()
	x.Write(rho)
	x.Write([]byte{j, i})
	var buf [168]byte // the SHAKE128 rate
	c := 0
	for c < n {
		x.Read(buf[:])
		for b := 0; b+3 <= len(buf) && c < n; b += 3 {
			d1 := uint16(buf[b]) | uint16(buf[b+1]&0x0f)<<8
			d2 := uint16(buf[b+1])>>4 | uint16(buf[b+2])<<4
			if d1 < q {
				f[c] = d1
				c++
			}
			if d2 < q && c < n {
				f[c] = d2
				c++
			}
		}
	}
}

// samplePolyCBD2 is Algorithm 8 with η = 2, on PRF_2(s, b) = SHAKE256(s || b)[:128].
func samplePolyCBD2(f *ringElement, s []byte, b byte) {
	var buf [128]byte
	h := sha3.NewSHAKE256()
	h.Write(s)
	h.Write([]byte{b})
	h.Read(buf[:])
	for i := range n {
		// Coefficient i uses bits 4i..4i+3: x = two bits, y = the next two.
		bits := buf[i/2] >> (4 * (i % 2))
		x := uint16(bits&1) + uint16(bits>>1&1)
		y := uint16(bits>>2&1) + uint16(bits>>3&1)
		f[i] = reduceOnce(x - y + q)
	}
	clear(buf[:])
}

// byteDecode12 decodes 384 bytes into a polynomial, reducing each 12-bit
// value modulo q (Algorithm 6 with d = 12).
func byteDecode12(f *ringElement, b []byte) {
	for i := 0; i < n; i += 2 {
		x := uint32(b[3*i/2]) | uint32(b[3*i/2+1])<<8 | uint32(b[3*i/2+2])<<16
		f[i] = fieldElement(x&0xfff) % q
		f[i+1] = fieldElement(x>>12) % q
	}
}

// byteEncode12 is Algorithm 5 with d = 12; f must be reduced.
func byteEncode12(b []byte, f *ringElement) []byte {
	for i := 0; i < n; i += 2 {
		x := uint32(f[i]) | uint32(f[i+1])<<12
		b = append(b, byte(x), byte(x>>8), byte(x>>16))
	}
	return b
}

// compress is Compress_d: round(2^d/q · x) mod 2^d, for x in [0, q).
func compress(x fieldElement, d uint) uint16 {
	return uint16(((uint32(x)<<d)+q/2)/q) & (1<<d - 1)
}

// decompress is Decompress_d: round(q/2^d · y), for y < 2^d.
func decompress(y uint16, d uint) fieldElement {
	return fieldElement((uint32(y)*q + 1<<(d-1)) >> d)
}

// encodeCompressed appends ByteEncode_d(Compress_d(f)).
func encodeCompressed(b []byte, f *ringElement, d uint) []byte {
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

// decodeDecompressed sets f = Decompress_d(ByteDecode_d(b)).
func decodeDecompressed(f *ringElement, b []byte, d uint) {
	var acc uint32
	var bits uint
	i := 0
	for _, x := range b {
		acc |= uint32(x) << bits
		bits += 8
		for bits >= d && i < n {
			f[i] = decompress(uint16(acc&(1<<d-1)), d)
			acc >>= d
			bits -= d
			i++
		}
	}
}

// expandSeed returns the expanded form of dk. It recomputes ŝ from the seed
// d || z as K-PKE.KeyGen does: (ρ, σ) = G(d || k), s_i = CBD(PRF(σ, i)).
func expandSeed(dk *mlkem.DecapsulationKey1024) *expandedKey {
	ex := new(expandedKey)
	seed := dk.Bytes()
	defer clear(seed)
	g := sha3.Sum512(append(append(make([]byte, 0, 33), seed[:32]...), k))
	sigma := g[32:]
	for i := range k {
		samplePolyCBD2(&ex.s[i], sigma, byte(i))
		ntt(&ex.s[i])
	}
	clear(g[:])
	// t̂ = Â ∘ ŝ + ê, which needs ê too; cheaper and certainly consistent to
	// take ek from crypto/mlkem.
	ex.setPublic(dk.EncapsulationKey().Bytes())
	copy(ex.z[:], seed[32:])
	return ex
}

// setPublic fills ek, t̂, Â and H(ek) from a reduced encapsulation key.
func (ex *expandedKey) setPublic(ek []byte) {
	copy(ex.ek[:], ek)
	for i := range k {
		byteDecode12(&ex.t[i], ek[i*encSize:])
	}
	rho := ek[ekPKELen:]
	for i := range k {
		for j := range k {
			sampleNTT(&ex.a[i*k+j], rho, byte(j), byte(i))
		}
	}
	ex.h = sha3.Sum256(ek)
}

// parseExpanded checks and loads a 3168-byte expanded decapsulation key:
// H(ek) must match the embedded hash (FIPS 203 §7.3) and ek must be reduced
// (§7.2), and ŝ must be reduced.
func parseExpanded(b []byte) (*expandedKey, error) {
	if len(b) != RawExpandedKeySize {
		return nil, ErrPrivateKeyLength
	}
	ek := b[ekPKELen : ekPKELen+RawPublicKeySize]
	h := b[ekPKELen+RawPublicKeySize : ekPKELen+RawPublicKeySize+32]
	if got := sha3.Sum256(ek); subtle.ConstantTimeCompare(got[:], h) != 1 {
		return nil, ErrInvalidPrivateKey
	}
	// ŝ must be reduced too. FIPS 203 does not ask for that check, but every
	// real key passes it, and it makes the encoding canonical: parsing then
	// serializing gives back the same bytes. The check is on secret data, so it
	// does not branch per coefficient.
	if !reducedEncoding(ek[:ekPKELen]) || !reducedSecret(b[:ekPKELen]) {
		return nil, ErrInvalidPrivateKey
	}
	ex := new(expandedKey)
	for i := range k {
		byteDecode12(&ex.s[i], b[i*encSize:])
	}
	ex.setPublic(ek)
	copy(ex.z[:], b[RawExpandedKeySize-32:])
	return ex, nil
}

// reducedEncoding reports whether every 12-bit value in b is below q.
func reducedEncoding(b []byte) bool {
	for i := 0; i+3 <= len(b); i += 3 {
		x := uint32(b[i]) | uint32(b[i+1])<<8 | uint32(b[i+2])<<16
		if x&0xfff >= q || x>>12 >= q {
			return false
		}
	}
	return true
}

// reducedSecret is reducedEncoding in constant time.
func reducedSecret(b []byte) bool {
	var bad uint32
	for i := 0; i+3 <= len(b); i += 3 {
		x := uint32(b[i]) | uint32(b[i+1])<<8 | uint32(b[i+2])<<16
		// (v - q) >> 31 is 1 exactly when v < q.
		bad |= 1 ^ ((x&0xfff)-q)>>31
		bad |= 1 ^ ((x>>12)-q)>>31
	}
	return bad == 0
}

// appendBytes appends ByteEncode12(ŝ) || ek || H(ek) || z.
func (ex *expandedKey) appendBytes(b []byte) []byte {
	for i := range k {
		b = byteEncode12(b, &ex.s[i])
	}
	b = append(b, ex.ek[:]...)
	b = append(b, ex.h[:]...)
	return append(b, ex.z[:]...)
}

// pkeDecrypt is Algorithm 15: it sets m, which must be zero, to the 32-byte
// message of ciphertext c. It clears its secret intermediate ŝ·u.
func (ex *expandedKey) pkeDecrypt(m *[32]byte, c *[RawCiphertextSize]byte) {
	var w, u ringElement
	for i := range k {
		decodeDecompressed(&u, c[i*c1Size:(i+1)*c1Size], du)
		ntt(&u)
		mulAddNTT(&w, &ex.s[i], &u)
	}
	inverseNTT(&w)
	var v ringElement
	decodeDecompressed(&v, c[k*c1Size:], dv)
	for i := range n {
		m[i/8] |= byte(compress(fieldSub(v[i], w[i]), 1)) << (i % 8)
	}
	clear(w[:])
}

// pkeEncrypt is Algorithm 14 with the key's ek: it sets c to the ciphertext
// of message m with randomness r. It clears its secret intermediates (ŷ, e1,
// e2, u and v); c itself is the caller's to clear.
func (ex *expandedKey) pkeEncrypt(c *[RawCiphertextSize]byte, m *[32]byte, r []byte) {
	var y, e1 [k]ringElement
	var e2 ringElement
	N := byte(0)
	for i := range k {
		samplePolyCBD2(&y[i], r, N)
		ntt(&y[i])
		N++
	}
	for i := range k {
		samplePolyCBD2(&e1[i], r, N)
		N++
	}
	samplePolyCBD2(&e2, r, N)

	b := c[:0] // the encodings fill c exactly, so appending writes in place
	var u ringElement
	for i := range k {
		// u_i = NTT⁻¹(Σ_j Â[j, i] ∘ ŷ_j) + e1_i
		u = ringElement{}
		for j := range k {
			mulAddNTT(&u, &ex.a[j*k+i], &y[j])
		}
		inverseNTT(&u)
		for x := range u {
			u[x] = fieldAdd(u[x], e1[i][x])
		}
		b = encodeCompressed(b, &u, du)
	}
	// v = NTT⁻¹(t̂ᵀ ∘ ŷ) + e2 + Decompress_1(m)
	var v ringElement
	for j := range k {
		mulAddNTT(&v, &ex.t[j], &y[j])
	}
	inverseNTT(&v)
	for x := range v {
		mu := decompress(uint16(m[x/8]>>(x%8)&1), 1)
		v[x] = fieldAdd(fieldAdd(v[x], e2[x]), mu)
	}
	encodeCompressed(b, &v, dv)
	clear(y[:])
	clear(e1[:])
	clear(e2[:])
	clear(u[:])
	clear(v[:])
}

// decapsulate is Algorithm 18: ML-KEM's shared key for ciphertext c, or the
// implicit-rejection value J(z || c) when re-encryption does not reproduce c.
// It clears the secret intermediates m', r, the re-encryption c' and the hash
// states that absorbed m' and z (best-effort: the copy that Sum hashes from
// is out of reach).
func (ex *expandedKey) decapsulate(c *[RawCiphertextSize]byte) []byte {
	var m [32]byte
	ex.pkeDecrypt(&m, c)
	g := sha3.New512()
	g.Write(m[:])
	g.Write(ex.h[:])
	kr := g.Sum(nil) // K' || r'
	g.Reset()
	var c2 [RawCiphertextSize]byte
	ex.pkeEncrypt(&c2, &m, kr[32:])

	kBar := make([]byte, SharedSecretSize)
	j := sha3.NewSHAKE256()
	j.Write(ex.z[:])
	j.Write(c[:])
	j.Read(kBar)
	j.Reset()

	out := kr[:32:32]
	subtle.ConstantTimeCopy(1-subtle.ConstantTimeCompare(c[:], c2[:]), out, kBar)
	clear(m[:])
	clear(kr[32:])
	clear(c2[:])
	clear(kBar)
	return out
}
