// Package mlkem is the one ML-KEM (NIST FIPS 203) core of this module. It
// serves what crypto/mlkem cannot:
//
//   - package internal/kem: Kyber1024 and ML-KEM-1024 private keys imported
//     in the expanded form libsignal stores (dk_PKE || ek || H(ek) || z), and
//     that form for export, since crypto/mlkem loads and writes only seeds;
//   - package internal/mlkem768: the incremental ML-KEM-768 of the sparse
//     post-quantum ratchet, whose encapsulation runs in two steps, the first
//     from the header ρ || H(ek) alone, the second from the encapsulation
//     vector ByteEncode12(t̂), with a state between them in libcrux's layout.
//
// Everything else (key generation into seeds, one-step encapsulation) those
// packages leave to crypto/mlkem.
//
// The parameter set is a value, [MLKEM768] or [MLKEM1024]. The two differ in
// the module rank k and the ciphertext compression du, dv; η1 = η2 = 2 in
// both. Keys and states have room for the larger rank, k = 4.
//
// # For reviewers
//
// Names follow FIPS 203, and each function cites the algorithm it
// implements. Field elements are uint16 values in [0, q). Operations on
// secret data run in time independent of it: reductions are divisions by
// the constant q (compiled to multiplications) and masked subtractions,
// checks of secret encodings accumulate a mask instead of branching, and the
// re-encryption check of decapsulation uses crypto/subtle. SampleNTT
// (Algorithm 7) branches on the public matrix seed only. Secret
// intermediates are cleared before a function returns, best effort as
// everywhere in Go: copies the compiler or a hash's Sum made are out of
// reach.
//
// Methods follow the receiver-is-destination style: they fill the key or
// state they are called on. Lengths are the callers' to check (each has its
// own sizes and errors); a wrong length panics.
package mlkem

import (
	"crypto/sha3"
	"crypto/subtle"
	"encoding/binary"
)

// Params is an ML-KEM parameter set (FIPS 203, Table 2): [MLKEM768] or
// [MLKEM1024]. The zero value is not a parameter set.
type Params struct {
	k      int  // module rank
	du, dv uint // compression of u and v in the ciphertext
}

// The parameter sets.
var (
	MLKEM768  = Params{k: 3, du: 10, dv: 4}
	MLKEM1024 = Params{k: 4, du: 11, dv: 5}
)

const maxK = 4 // the largest module rank

// Sizes in bytes that do not depend on the parameter set.
const (
	// SeedSize is the size of a key-generation seed d || z.
	SeedSize = 64
	// MessageSize is the size of the encapsulation randomness m.
	MessageSize = 32
	// SharedKeySize is the size of a shared key.
	SharedKeySize = 32
	// HeaderSize is the size of the header ρ || H(ek).
	HeaderSize = 64
)

// VectorSize is the size of the encapsulation vector ByteEncode12(t̂).
func (p Params) VectorSize() int { return p.k * encodingSize12 }

// EncapsulationKeySize is the size of ek = ByteEncode12(t̂) || ρ.
func (p Params) EncapsulationKeySize() int { return p.VectorSize() + 32 }

// DecapsulationKeySize is the size of the expanded decapsulation key
// dk = ByteEncode12(ŝ) || ek || H(ek) || z.
func (p Params) DecapsulationKeySize() int {
	return p.k*encodingSize12 + p.EncapsulationKeySize() + 32 + 32
}

// Ciphertext1Size is the size of c1 = ByteEncode_du(Compress_du(u)).
func (p Params) Ciphertext1Size() int { return p.k * n * int(p.du) / 8 }

// Ciphertext2Size is the size of c2 = ByteEncode_dv(Compress_dv(v)).
func (p Params) Ciphertext2Size() int { return n * int(p.dv) / 8 }

// CiphertextSize is the size of a ciphertext c1 || c2.
func (p Params) CiphertextSize() int { return p.Ciphertext1Size() + p.Ciphertext2Size() }

// StateSize is the size of a serialized [EncapsulationState]:
// ŷ (k·512) || e2 (512) || m (32).
func (p Params) StateSize() int { return (p.k+1)*n*2 + MessageSize }

// checkLength panics unless len(b) == n: lengths are the callers' to check.
func checkLength(b []byte, n int, what string) {
	if len(b) != n {
		panic("mlkem: " + what + " has the wrong length")
	}
}

// DecapsulationKey is an ML-KEM decapsulation key with its encapsulation
// key, expanded: the matrix Â is kept, so decapsulation samples nothing from
// ρ. The zero value is not usable; fill it with SetSeed, SetPKESeed or
// SetBytes.
type DecapsulationKey struct {
	p   Params
	s   [maxK]poly       // ŝ
	t   [maxK]poly       // t̂
	a   [maxK][maxK]poly // Â, a[i][j] = SampleNTT(ρ || j || i)
	rho [32]byte
	h   [32]byte // H(ek)
	z   [32]byte // implicit-rejection secret
}

// Params returns the key's parameter set.
func (dk *DecapsulationKey) Params() Params { return dk.p }

// SetSeed sets dk to the key pair ML-KEM.KeyGen_internal(d, z) (Algorithm
// 16) of parameter set p, from seed = d || z (SeedSize bytes): K-PKE.KeyGen
// with (ρ, σ) = G(d || k). It gives the key pair crypto/mlkem derives from
// the same seed.
func (dk *DecapsulationKey) SetSeed(p Params, seed []byte) *DecapsulationKey {
	checkLength(seed, SeedSize, "seed")
	var g [64]byte
	h := sha3.New512()
	h.Write(seed[:32])
	h.Write([]byte{byte(p.k)})
	h.Sum(g[:0])
	h.Reset()
	dk.SetPKESeed(p, g[:32], g[32:], seed[32:])
	clear(g[:])
	return dk
}

// SetPKESeed sets dk to the key pair of K-PKE.KeyGen (Algorithm 13) from
// the matrix seed ρ and the noise seed σ (32 bytes each) directly, with the
// implicit-rejection secret z (32 bytes). ML-KEM derives (ρ, σ) = G(d || k)
// (see SetSeed); round-3 Kyber derives them as G(d), and otherwise generates
// key pairs exactly so.
func (dk *DecapsulationKey) SetPKESeed(p Params, rho, sigma, z []byte) *DecapsulationKey {
	dk.p = p
	checkLength(rho, 32, "ρ")
	checkLength(sigma, 32, "σ")
	checkLength(z, 32, "z")
	copy(dk.rho[:], rho)
	dk.expandA()
	var nonce byte
	for i := range p.k {
		samplePolyCBD2(&dk.s[i], sigma, nonce)
		ntt(&dk.s[i])
		nonce++
	}
	var e poly
	var acc accumulator
	for i := range p.k {
		// t̂_i = Σ_j Â[i, j] ∘ ŝ_j + ê_i
		samplePolyCBD2(&e, sigma, nonce)
		ntt(&e)
		nonce++
		acc = accumulator{}
		for j := range p.k {
			mulAddNTT(&acc, &dk.a[i][j], &dk.s[j])
		}
		acc.reduce(&dk.t[i])
		for x := range e {
			dk.t[i][x] = fieldAdd(dk.t[i][x], e[x])
		}
	}
	clear(e[:])
	clear(acc[:])
	copy(dk.z[:], z)
	// H(ek), with ek = ByteEncode12(t̂) || ρ.
	h := sha3.New256()
	var buf [encodingSize12]byte
	for i := range p.k {
		h.Write(encode12(buf[:0], &dk.t[i]))
	}
	h.Write(dk.rho[:])
	h.Sum(dk.h[:0])
	return dk
}

// expandA fills Â from ρ (Algorithm 13, lines 3–7).
func (dk *DecapsulationKey) expandA() {
	for i := range dk.p.k {
		for j := range dk.p.k {
			sampleNTT(&dk.a[i][j], dk.rho[:], byte(j), byte(i))
		}
	}
}

// SetBytes sets dk to the expanded decapsulation key
// b = ByteEncode12(ŝ) || ek || H(ek) || z of parameter set p
// (DecapsulationKeySize bytes) and reports whether it passes the checks:
// the hash check of FIPS 203 §7.3, the modulus check of §7.2 on ek, and the
// same modulus check on ŝ. FIPS 203 does not ask for the last one, but every
// real key passes it and it makes the form canonical: AppendBytes gives back
// b. The check on ŝ runs in constant time. When SetBytes reports false, dk
// is cleared.
func (dk *DecapsulationKey) SetBytes(p Params, b []byte) bool {
	checkLength(b, p.DecapsulationKeySize(), "decapsulation key")
	sLen, ekLen := p.k*encodingSize12, p.EncapsulationKeySize()
	ek := b[sLen : sLen+ekLen]
	h := sha3.Sum256(ek)
	ok := subtle.ConstantTimeCompare(h[:], b[sLen+ekLen:sLen+ekLen+32])
	dk.p = p
	for i := range p.k {
		ok &= decode12(&dk.s[i], b[i*encodingSize12:])
		ok &= decode12(&dk.t[i], ek[i*encodingSize12:])
	}
	if ok != 1 {
		*dk = DecapsulationKey{}
		return false
	}
	copy(dk.rho[:], ek[p.VectorSize():])
	copy(dk.h[:], b[sLen+ekLen:])
	copy(dk.z[:], b[sLen+ekLen+32:])
	dk.expandA()
	return true
}

// AppendBytes appends the expanded form ByteEncode12(ŝ) || ek || H(ek) || z
// (DecapsulationKeySize bytes), which FIPS 203 and round-3 Kyber share.
func (dk *DecapsulationKey) AppendBytes(b []byte) []byte {
	for i := range dk.p.k {
		b = encode12(b, &dk.s[i])
	}
	b = dk.AppendEncapsulationKey(b)
	b = append(b, dk.h[:]...)
	return append(b, dk.z[:]...)
}

// AppendEncapsulationKey appends ek = ByteEncode12(t̂) || ρ.
func (dk *DecapsulationKey) AppendEncapsulationKey(b []byte) []byte {
	return append(dk.AppendVector(b), dk.rho[:]...)
}

// AppendVector appends the encapsulation vector ByteEncode12(t̂): ek
// without ρ.
func (dk *DecapsulationKey) AppendVector(b []byte) []byte {
	for i := range dk.p.k {
		b = encode12(b, &dk.t[i])
	}
	return b
}

// AppendHeader appends the header ρ || H(ek).
func (dk *DecapsulationKey) AppendHeader(b []byte) []byte {
	return append(append(b, dk.rho[:]...), dk.h[:]...)
}

// CheckEncapsulationKey reports whether the encapsulation vector vec
// (VectorSize bytes) belongs to header (HeaderSize bytes): H(vec || ρ) must
// equal the header's hash, and every coefficient must be reduced (the
// modulus check of FIPS 203 §7.2).
func CheckEncapsulationKey(p Params, header, vec []byte) bool {
	checkLength(header, HeaderSize, "header")
	checkLength(vec, p.VectorSize(), "encapsulation vector")
	var hash [32]byte
	h := sha3.New256()
	h.Write(vec)
	h.Write(header[:32])
	h.Sum(hash[:0])
	if subtle.ConstantTimeCompare(hash[:], header[32:]) != 1 {
		return false
	}
	ok := 1
	var f poly
	for i := range p.k {
		ok &= decode12(&f, vec[i*encodingSize12:])
	}
	return ok == 1
}

// Decapsulate is ML-KEM.Decaps_internal (Algorithm 18) of the ciphertext
// c1 || c2 (Ciphertext1Size and Ciphertext2Size bytes). On a ciphertext that
// re-encryption does not reproduce it returns the implicit-rejection key
// J(z || c), as every ML-KEM decapsulation does.
func (dk *DecapsulationKey) Decapsulate(c1, c2 []byte) [SharedKeySize]byte {
	p := dk.p
	checkLength(c1, p.Ciphertext1Size(), "c1")
	checkLength(c2, p.Ciphertext2Size(), "c2")

	// m' = K-PKE.Decrypt(dk_PKE, c) (Algorithm 15).
	var m [MessageSize]byte
	dk.decrypt(&m, c1, c2)

	// (K', r') = G(m' || h).
	var kr [64]byte
	g := sha3.New512()
	g.Write(m[:])
	g.Write(dk.h[:])
	g.Sum(kr[:0])
	g.Reset()

	// c' = K-PKE.Encrypt(ek, m', r'), written over a buffer the size of the
	// largest ciphertext.
	var st EncapsulationState
	var cBuf [maxK*n*11/8 + n*5/8]byte
	c := st.encrypt1(cBuf[:0], p, &dk.a, nil, &m, kr[32:])
	var acc accumulator
	for i := range p.k {
		mulAddNTT(&acc, &dk.t[i], &st.y[i])
	}
	c = st.appendC2(c, &acc)
	st = EncapsulationState{}
	clear(m[:])

	// K̄ = J(z || c).
	var out [SharedKeySize]byte
	j := sha3.NewSHAKE256()
	j.Write(dk.z[:])
	j.Write(c1)
	j.Write(c2)
	j.Read(out[:])
	j.Reset()

	equal := subtle.ConstantTimeCompare(c[:len(c1)], c1) & subtle.ConstantTimeCompare(c[len(c1):], c2)
	subtle.ConstantTimeCopy(equal, out[:], kr[:32])
	clear(kr[:])
	clear(cBuf[:])
	return out
}

// decrypt is K-PKE.Decrypt (Algorithm 15): it sets m, which must be zero, to
// the message of the ciphertext c1 || c2. It clears its secret
// intermediates.
func (dk *DecapsulationKey) decrypt(m *[MessageSize]byte, c1, c2 []byte) {
	p := dk.p
	var acc accumulator
	var u poly
	c1Poly := n * int(p.du) / 8
	for i := range p.k {
		// ŝᵀ ∘ NTT(u')
		decodeDecompressed(&u, c1[i*c1Poly:(i+1)*c1Poly], p.du)
		ntt(&u)
		mulAddNTT(&acc, &dk.s[i], &u)
	}
	var w, v poly
	acc.reduce(&w)
	inverseNTT(&w)
	decodeDecompressed(&v, c2, p.dv)
	for i := range n {
		m[i/8] |= byte(compress(fieldSub(v[i], w[i]), 1)) << (i % 8)
	}
	clear(acc[:])
	clear(w[:])
}

// EncapsulationState is what an encapsulation keeps between its two steps:
// ŷ, e2 and the message m. It is secret. The zero value is not usable;
// fill it with Encapsulate1 or SetBytes.
type EncapsulationState struct {
	p  Params
	y  [maxK]poly // ŷ
	e2 poly
	m  [MessageSize]byte
}

// Encapsulate1 is the first step of ML-KEM.Encaps_internal (Algorithm 17)
// with message m (MessageSize bytes), for a key of parameter set p given by
// its header ρ || H(ek) (HeaderSize bytes) alone: it returns the shared key
// K, appends c1 to dst, and sets st for Encapsulate2. (K, r) = G(m || H(ek))
// needs only the header, and c1 = Compress(NTT⁻¹(Âᵀ ∘ ŷ) + e1) only ρ.
func (st *EncapsulationState) Encapsulate1(dst []byte, p Params, header, m []byte) (c1 []byte, key [SharedKeySize]byte) {
	checkLength(header, HeaderSize, "header")
	checkLength(m, MessageSize, "m")
	var kr [64]byte
	g := sha3.New512()
	g.Write(m)
	g.Write(header[32:])
	g.Sum(kr[:0])
	g.Reset()
	copy(key[:], kr[:32])
	c1 = st.encrypt1(dst, p, nil, header[:32], (*[MessageSize]byte)(m), kr[32:])
	clear(kr[:])
	return c1, key
}

// Encapsulate2 is the second step: it appends
// c2 = Compress(NTT⁻¹(t̂ᵀ ∘ ŷ) + e2 + Decompress1(m)) to dst for the
// encapsulation vector vec (VectorSize bytes). It reports false, and appends
// nothing, if a coefficient of vec is not reduced; that the vector belongs to
// the header is CheckEncapsulationKey's to check.
func (st *EncapsulationState) Encapsulate2(dst, vec []byte) ([]byte, bool) {
	checkLength(vec, st.p.VectorSize(), "encapsulation vector")
	var acc accumulator
	var t poly
	ok := 1
	for i := range st.p.k {
		ok &= decode12(&t, vec[i*encodingSize12:])
		mulAddNTT(&acc, &t, &st.y[i])
	}
	if ok != 1 {
		clear(acc[:])
		return dst, false
	}
	return st.appendC2(dst, &acc), true
}

// encrypt1 is K-PKE.Encrypt (Algorithm 14) with randomness r up to c1: it
// sets st to ŷ, e2 and m, and appends c1 = ByteEncode_du(Compress_du(u)) to
// dst, where u = NTT⁻¹(Âᵀ ∘ ŷ) + e1. Â is a (an expanded key's matrix) or,
// when a is nil, sampled from ρ entry by entry. It clears its
// intermediates Âᵀ ∘ ŷ, u and e1.
func (st *EncapsulationState) encrypt1(dst []byte, p Params, a *[maxK][maxK]poly, rho []byte, m *[MessageSize]byte, r []byte) []byte {
	st.p = p
	st.m = *m
	nonce := byte(0)
	for i := range p.k {
		samplePolyCBD2(&st.y[i], r, nonce)
		ntt(&st.y[i])
		nonce++
	}
	samplePolyCBD2(&st.e2, r, byte(2*p.k))
	var u, e1, aji poly
	var acc accumulator
	for i := range p.k {
		// u_i = NTT⁻¹(Σ_j Â[j, i] ∘ ŷ_j) + e1_i
		acc = accumulator{}
		for j := range p.k {
			if a != nil {
				mulAddNTT(&acc, &a[j][i], &st.y[j])
			} else {
				sampleNTT(&aji, rho, byte(i), byte(j))
				mulAddNTT(&acc, &aji, &st.y[j])
			}
		}
		acc.reduce(&u)
		inverseNTT(&u)
		samplePolyCBD2(&e1, r, nonce)
		nonce++
		for x := range u {
			u[x] = fieldAdd(u[x], e1[x])
		}
		dst = encodeCompressed(dst, &u, p.du)
	}
	clear(acc[:])
	clear(u[:])
	clear(e1[:])
	return dst
}

// appendC2 appends c2 = ByteEncode_dv(Compress_dv(v)) to dst, where
// v = NTT⁻¹(t̂ᵀ ∘ ŷ) + e2 + Decompress1(m) (Algorithm 14, lines 20–23) and
// acc holds t̂ᵀ ∘ ŷ. It clears acc and v.
func (st *EncapsulationState) appendC2(dst []byte, acc *accumulator) []byte {
	var v poly
	acc.reduce(&v)
	inverseNTT(&v)
	for x := range v {
		bit := uint16(st.m[x/8]>>(x%8)) & 1
		v[x] = fieldAdd(fieldAdd(v[x], st.e2[x]), decompress(bit, 1))
	}
	dst = encodeCompressed(dst, &v, st.p.dv)
	clear(acc[:])
	clear(v[:])
	return dst
}

// AppendBytes appends the state ŷ || e2 || m (StateSize bytes) in the layout
// of libcrux's incremental API, which libsignal stores: each coefficient a
// signed 16-bit little-endian integer, here the representative in
// (-q/2, q/2].
func (st *EncapsulationState) AppendBytes(b []byte) []byte {
	for i := range st.p.k {
		b = appendSigned(b, &st.y[i])
	}
	b = appendSigned(b, &st.e2)
	return append(b, st.m[:]...)
}

// SetBytes sets st to a state of parameter set p serialized as AppendBytes
// (or libcrux) writes it (StateSize bytes), and reports whether it is well
// formed. Coefficients of ŷ may be any 16-bit representative; those of e2
// must lie in [-η2, η2]. A state that an older libcrux wrote with big-endian
// coefficients (libcrux issue 1275) is recognised by its e2 and read
// byte-swapped. The checks run in constant time. When SetBytes reports
// false, st is cleared.
func (st *EncapsulationState) SetBytes(p Params, b []byte) bool {
	checkLength(b, p.StateSize(), "encapsulation state")
	if st.setBytes(p, b, false) || st.setBytes(p, b, true) {
		return true
	}
	*st = EncapsulationState{}
	return false
}

func (st *EncapsulationState) setBytes(p Params, b []byte, swapped bool) bool {
	get := func(off int) int16 {
		v := binary.LittleEndian.Uint16(b[off:])
		if swapped {
			v = v>>8 | v<<8
		}
		return int16(v)
	}
	st.p = p
	off := 0
	for i := range p.k {
		for x := range st.y[i] {
			st.y[i][x] = fromSigned(get(off))
			off += 2
		}
	}
	var bad int32
	for x := range st.e2 {
		v := int32(get(off))
		bad |= (eta - v) | (v + eta) // negative exactly when v is outside [-η, η]
		st.e2[x] = fromSigned(int16(v))
		off += 2
	}
	copy(st.m[:], b[off:])
	return bad >= 0
}
