// Package mlkem768 implements ML-KEM-768 (NIST FIPS 203) with the incremental
// interface that the sparse post-quantum ratchet (SPQR, "the ML-KEM Braid")
// needs: the encapsulation key is split into a 64-byte header (the matrix seed
// ρ and H(ek)) and a 1152-byte encapsulation vector (ByteEncode12 of t̂), and
// encapsulation runs in two steps. Step one needs only the header and yields
// the first ciphertext part ct1 (960 bytes, the compressed u) and the shared
// key; step two needs the encapsulation vector and yields ct2 (128 bytes, the
// compressed v). ct1 || ct2 is an ordinary ML-KEM-768 ciphertext, and the keys
// are ordinary ML-KEM-768 keys: this package and crypto/mlkem interoperate.
//
// The byte layouts follow what libsignal stores in its session records (via
// libcrux's incremental API): the header is ρ || SHA3-256(ek), the
// decapsulation key is the 2400-byte FIPS 203 dk (dk_PKE || ek || H(ek) || z),
// and the 2080-byte encapsulation state is ŷ (three polynomials in the NTT
// domain) || e2 || m, each coefficient a signed 16-bit little-endian integer.
//
// This is an internal package: the API is shaped for package spqr.
package mlkem768

import (
	"crypto/rand"
	"crypto/sha3"
	"crypto/subtle"
	"errors"
)

// Sizes in bytes.
const (
	// SeedSize is the size of a key-generation seed d || z.
	SeedSize = 64
	// HeaderSize is the size of the header ρ || H(ek).
	HeaderSize = 64
	// EncapsulationKeySize is the size of the encapsulation vector
	// ByteEncode12(t̂), the part of ek that is not in the header.
	EncapsulationKeySize = k * encodingSize12
	// FullEncapsulationKeySize is the size of the FIPS 203 encapsulation key
	// ek = ByteEncode12(t̂) || ρ, as crypto/mlkem encodes it.
	FullEncapsulationKeySize = EncapsulationKeySize + 32
	// DecapsulationKeySize is the size of the FIPS 203 decapsulation key.
	DecapsulationKeySize = k*encodingSize12 + FullEncapsulationKeySize + 32 + 32
	// Ciphertext1Size is the size of ct1 = ByteEncode10(Compress10(u)).
	Ciphertext1Size = k * n * du / 8
	// Ciphertext2Size is the size of ct2 = ByteEncode4(Compress4(v)).
	Ciphertext2Size = n * dv / 8
	// CiphertextSize is the size of a whole ciphertext ct1 || ct2.
	CiphertextSize = Ciphertext1Size + Ciphertext2Size
	// SharedKeySize is the size of the shared key.
	SharedKeySize = 32
	// EncapsulationStateSize is the size of the state kept between the two
	// encapsulation steps: ŷ (3·512) || e2 (512) || m (32).
	EncapsulationStateSize = (k+1)*n*2 + 32
	// RandomnessSize is the size of the encapsulation randomness m.
	RandomnessSize = 32
)

const (
	k              = 3
	encodingSize12 = n * 12 / 8
)

// Errors. Every error returned by this package wraps one of these.
var (
	ErrSeedSize                  = errors.New("mlkem768: seed must be 64 bytes")
	ErrRandomnessSize            = errors.New("mlkem768: randomness must be 32 bytes")
	ErrHeaderSize                = errors.New("mlkem768: header must be 64 bytes")
	ErrEncapsulationKeySize      = errors.New("mlkem768: encapsulation key has the wrong size")
	ErrInvalidEncapsulationKey   = errors.New("mlkem768: encapsulation key does not match the header or is not reduced")
	ErrDecapsulationKeySize      = errors.New("mlkem768: decapsulation key must be 2400 bytes")
	ErrInvalidDecapsulationKey   = errors.New("mlkem768: decapsulation key is inconsistent")
	ErrCiphertextSize            = errors.New("mlkem768: ciphertext part has the wrong size")
	ErrEncapsulationStateSize    = errors.New("mlkem768: encapsulation state must be 2080 bytes")
	ErrInvalidEncapsulationState = errors.New("mlkem768: encapsulation state is malformed")
)

// DecapsulationKey is an ML-KEM-768 key pair. Its String method does not
// reveal it.
type DecapsulationKey struct {
	s   [k]poly    // ŝ
	t   [k]poly    // t̂
	a   [k][k]poly // Â, a[i][j] = SampleNTT(ρ || j || i)
	rho [32]byte
	h   [32]byte // H(ek)
	z   [32]byte
	ek  [EncapsulationKeySize]byte // ByteEncode12(t̂)
}

// String implements fmt.Stringer without revealing the key.
func (DecapsulationKey) String() string { return "mlkem768.DecapsulationKey{redacted}" }

// GoString implements fmt.GoStringer (%#v) without revealing the key.
func (DecapsulationKey) GoString() string { return "mlkem768.DecapsulationKey{redacted}" }

// GenerateKey returns a fresh key pair from crypto/rand.
func GenerateKey() (*DecapsulationKey, error) {
	var seed [SeedSize]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, err
	}
	return NewKeyFromSeed(seed[:])
}

// NewKeyFromSeed derives a key pair from the 64-byte seed d || z
// (ML-KEM.KeyGen_internal, FIPS 203 Algorithm 16), as
// crypto/mlkem.NewDecapsulationKey768 does.
func NewKeyFromSeed(seed []byte) (*DecapsulationKey, error) {
	if len(seed) != SeedSize {
		return nil, ErrSeedSize
	}
	dk := new(DecapsulationKey)
	// K-PKE.KeyGen (Algorithm 13).
	g := sha3.New512()
	g.Write(seed[:32])
	g.Write([]byte{k})
	rs := g.Sum(nil)
	copy(dk.rho[:], rs[:32])
	sigma := rs[32:]
	dk.expandA()
	var e [k]poly
	var nonce byte
	for i := range k {
		dk.s[i] = samplePolyCBD2(sigma, nonce)
		nonce++
	}
	for i := range k {
		e[i] = samplePolyCBD2(sigma, nonce)
		nonce++
	}
	for i := range k {
		ntt(&dk.s[i])
		ntt(&e[i])
	}
	for i := range k {
		var acc [n]uint32
		for j := range k {
			mulAddNTT(&acc, &dk.a[i][j], &dk.s[j])
		}
		t := reduceAcc(&acc)
		for x := range t {
			t[x] = feAdd(t[x], e[i][x])
		}
		dk.t[i] = t
	}
	copy(dk.z[:], seed[32:])
	dk.finishPublic()
	return dk, nil
}

// expandA fills Â from ρ (Algorithm 13, lines 3–7).
func (dk *DecapsulationKey) expandA() {
	for i := range k {
		for j := range k {
			dk.a[i][j] = sampleNTT(dk.rho[:], byte(j), byte(i))
		}
	}
}

// finishPublic computes the encoded t̂ and H(ek) from t̂ and ρ.
func (dk *DecapsulationKey) finishPublic() {
	b := dk.ek[:0]
	for i := range k {
		b = encode12(b, &dk.t[i])
	}
	dk.h = hashEK(dk.ek[:], dk.rho[:])
}

func hashEK(ek, rho []byte) [32]byte {
	h := sha3.New256()
	h.Write(ek)
	h.Write(rho)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// ParseDecapsulationKey parses the 2400-byte FIPS 203 decapsulation key
// dk_PKE || ek || H(ek) || z, with the checks of FIPS 203 §7.3: the stored
// hash must match ek, and every coefficient must be reduced.
func ParseDecapsulationKey(b []byte) (*DecapsulationKey, error) {
	if len(b) != DecapsulationKeySize {
		return nil, ErrDecapsulationKeySize
	}
	dk := new(DecapsulationKey)
	for i := range k {
		s, ok := decode12(b[i*encodingSize12 : (i+1)*encodingSize12])
		if !ok {
			return nil, ErrInvalidDecapsulationKey
		}
		dk.s[i] = s
	}
	ek := b[k*encodingSize12 : k*encodingSize12+FullEncapsulationKeySize]
	for i := range k {
		t, ok := decode12(ek[i*encodingSize12 : (i+1)*encodingSize12])
		if !ok {
			return nil, ErrInvalidDecapsulationKey
		}
		dk.t[i] = t
	}
	copy(dk.rho[:], ek[EncapsulationKeySize:])
	copy(dk.ek[:], ek[:EncapsulationKeySize])
	h := hashEK(dk.ek[:], dk.rho[:])
	if subtle.ConstantTimeCompare(h[:], b[DecapsulationKeySize-64:DecapsulationKeySize-32]) != 1 {
		return nil, ErrInvalidDecapsulationKey
	}
	dk.h = h
	copy(dk.z[:], b[DecapsulationKeySize-32:])
	dk.expandA()
	return dk, nil
}

// Bytes returns the 2400-byte FIPS 203 decapsulation key
// dk_PKE || ek || H(ek) || z, the form libsignal stores.
func (dk *DecapsulationKey) Bytes() []byte {
	b := make([]byte, 0, DecapsulationKeySize)
	for i := range k {
		b = encode12(b, &dk.s[i])
	}
	b = append(b, dk.ek[:]...)
	b = append(b, dk.rho[:]...)
	b = append(b, dk.h[:]...)
	return append(b, dk.z[:]...)
}

// Header returns the 64-byte header ρ || H(ek).
func (dk *DecapsulationKey) Header() []byte {
	b := make([]byte, 0, HeaderSize)
	b = append(b, dk.rho[:]...)
	return append(b, dk.h[:]...)
}

// EncapsulationKey returns the 1152-byte encapsulation vector ByteEncode12(t̂).
func (dk *DecapsulationKey) EncapsulationKey() []byte {
	return append([]byte(nil), dk.ek[:]...)
}

// FullEncapsulationKey returns the 1184-byte FIPS 203 encapsulation key
// ByteEncode12(t̂) || ρ, as crypto/mlkem's EncapsulationKey768.Bytes does.
func (dk *DecapsulationKey) FullEncapsulationKey() []byte {
	b := make([]byte, 0, FullEncapsulationKeySize)
	b = append(b, dk.ek[:]...)
	return append(b, dk.rho[:]...)
}

// CheckEncapsulationKey reports whether the encapsulation vector ek belongs
// to header: H(ek || ρ) must equal the hash in the header and every
// coefficient must be reduced (the FIPS 203 §7.2 modulus check). It returns
// nil or an error wrapping ErrHeaderSize, ErrEncapsulationKeySize or
// ErrInvalidEncapsulationKey.
func CheckEncapsulationKey(header, ek []byte) error {
	if len(header) != HeaderSize {
		return ErrHeaderSize
	}
	if len(ek) != EncapsulationKeySize {
		return ErrEncapsulationKeySize
	}
	h := hashEK(ek, header[:32])
	if subtle.ConstantTimeCompare(h[:], header[32:]) != 1 {
		return ErrInvalidEncapsulationKey
	}
	for i := range k {
		if _, ok := decode12(ek[i*encodingSize12 : (i+1)*encodingSize12]); !ok {
			return ErrInvalidEncapsulationKey
		}
	}
	return nil
}

// EncapsulationState is what the encapsulator keeps between the two steps:
// ŷ, e2 and the randomness m. It is secret; String does not reveal it.
type EncapsulationState struct {
	y  [k]poly // ŷ
	e2 poly
	m  [32]byte
}

// String implements fmt.Stringer without revealing the state.
func (EncapsulationState) String() string { return "mlkem768.EncapsulationState{redacted}" }

// GoString implements fmt.GoStringer (%#v) without revealing the state.
func (EncapsulationState) GoString() string { return "mlkem768.EncapsulationState{redacted}" }

// Encapsulate1 runs the first encapsulation step with fresh randomness from
// crypto/rand: it needs only the header and returns ct1, the state for
// Encapsulate2, and the 32-byte shared key.
func Encapsulate1(header []byte) (ct1 []byte, st *EncapsulationState, sharedKey []byte, err error) {
	var m [RandomnessSize]byte
	if _, err := rand.Read(m[:]); err != nil {
		return nil, nil, nil, err
	}
	return Encapsulate1Derand(header, m[:])
}

// Encapsulate1Derand is Encapsulate1 with caller-chosen randomness m (32
// bytes), the derandomized ML-KEM.Encaps_internal (Algorithm 17) split in
// two. It exists for known-answer tests; protocols must use Encapsulate1.
func Encapsulate1Derand(header, m []byte) (ct1 []byte, st *EncapsulationState, sharedKey []byte, err error) {
	if len(header) != HeaderSize {
		return nil, nil, nil, ErrHeaderSize
	}
	if len(m) != RandomnessSize {
		return nil, nil, nil, ErrRandomnessSize
	}
	// (K, r) = G(m || H(ek)).
	g := sha3.New512()
	g.Write(m)
	g.Write(header[32:])
	kr := g.Sum(nil)
	sharedKey, r := kr[:32], kr[32:]

	st = new(EncapsulationState)
	copy(st.m[:], m)
	// K-PKE.Encrypt (Algorithm 14), lines 9–19 and 21 (u).
	var nonce byte
	for i := range k {
		st.y[i] = samplePolyCBD2(r, nonce)
		nonce++
	}
	var e1 [k]poly
	for i := range k {
		e1[i] = samplePolyCBD2(r, nonce)
		nonce++
	}
	st.e2 = samplePolyCBD2(r, nonce)
	for i := range k {
		ntt(&st.y[i])
	}
	rho := header[:32]
	ct1 = make([]byte, 0, Ciphertext1Size)
	for i := range k {
		// u[i] = NTT^-1(Σ_j Â[j][i] ∘ ŷ[j]) + e1[i], Â[j][i] = SampleNTT(ρ || i || j).
		var acc [n]uint32
		for j := range k {
			a := sampleNTT(rho, byte(i), byte(j))
			mulAddNTT(&acc, &a, &st.y[j])
		}
		u := reduceAcc(&acc)
		nttInverse(&u)
		for x := range u {
			u[x] = feAdd(u[x], e1[i][x])
		}
		ct1 = compressEncode(ct1, &u, du)
	}
	return ct1, st, sharedKey, nil
}

// Encapsulate2 runs the second encapsulation step: given the 1152-byte
// encapsulation vector, it returns ct2. The caller should first check ek
// against the header with CheckEncapsulationKey; Encapsulate2 itself only
// rejects unreduced or mis-sized vectors.
func (st *EncapsulationState) Encapsulate2(ek []byte) ([]byte, error) {
	if len(ek) != EncapsulationKeySize {
		return nil, ErrEncapsulationKeySize
	}
	var acc [n]uint32
	for i := range k {
		t, ok := decode12(ek[i*encodingSize12 : (i+1)*encodingSize12])
		if !ok {
			return nil, ErrInvalidEncapsulationKey
		}
		mulAddNTT(&acc, &t, &st.y[i])
	}
	v := st.computeV(&acc)
	return compressEncode(make([]byte, 0, Ciphertext2Size), &v, dv), nil
}

// computeV finishes v = NTT^-1(t̂ᵀ ∘ ŷ) + e2 + Decompress1(m) (Algorithm 14,
// lines 20–22) from the accumulated t̂ᵀ ∘ ŷ.
func (st *EncapsulationState) computeV(acc *[n]uint32) poly {
	v := reduceAcc(acc)
	nttInverse(&v)
	for x := range v {
		bit := uint16(st.m[x/8]>>(x%8)) & 1
		v[x] = feAdd(feAdd(v[x], st.e2[x]), decompress(bit, 1))
	}
	return v
}

// Bytes returns the 2080-byte state ŷ || e2 || m in libcrux's layout: each
// coefficient as a signed 16-bit little-endian integer (we write the
// representative in (-q/2, q/2]).
func (st *EncapsulationState) Bytes() []byte {
	b := make([]byte, EncapsulationStateSize)
	off := 0
	for i := range k {
		for _, c := range st.y[i] {
			putI16(b[off:], centered(c))
			off += 2
		}
	}
	for _, c := range st.e2 {
		putI16(b[off:], centered(c))
		off += 2
	}
	copy(b[off:], st.m[:])
	return b
}

// ParseEncapsulationState parses the 2080-byte state that Bytes (or
// libsignal) wrote. Coefficients of ŷ may be any 16-bit representative; those
// of e2 must lie in [-η2, η2]. States that an older libcrux wrote with
// big-endian coefficients (libcrux issue 1275) are recognised by their e2 and
// read byte-swapped.
func ParseEncapsulationState(b []byte) (*EncapsulationState, error) {
	if len(b) != EncapsulationStateSize {
		return nil, ErrEncapsulationStateSize
	}
	st, ok := parseState(b, false)
	if !ok {
		st, ok = parseState(b, true)
	}
	if !ok {
		return nil, ErrInvalidEncapsulationState
	}
	return st, nil
}

func parseState(b []byte, swapped bool) (*EncapsulationState, bool) {
	get := func(off int) int16 {
		if swapped {
			return int16(uint16(b[off])<<8 | uint16(b[off+1]))
		}
		return getI16(b[off:])
	}
	st := new(EncapsulationState)
	off := 0
	for i := range k {
		for x := range st.y[i] {
			st.y[i][x] = fromSigned(get(off))
			off += 2
		}
	}
	for x := range st.e2 {
		v := get(off)
		if v < -eta2 || v > eta2 {
			return nil, false
		}
		st.e2[x] = fromSigned(v)
		off += 2
	}
	copy(st.m[:], b[off:])
	return st, true
}

// Decapsulate returns the shared key for the ciphertext ct1 || ct2
// (ML-KEM.Decaps_internal, Algorithm 18). Like every ML-KEM decapsulation it
// does not fail on a forged ciphertext: it returns the implicit-rejection key
// J(z || c) instead. It errors only on wrong sizes.
//
// The secret intermediates (ŝ·u and m', K' and r, the re-encryption's ŷ, e1,
// e2 and c, and the hash states that absorbed m' and z) are cleared before it
// returns. That is best-effort, as everywhere in Go: copies the compiler or
// the hashes' Sum made are out of reach.
func (dk *DecapsulationKey) Decapsulate(ct1, ct2 []byte) ([]byte, error) {
	if len(ct1) != Ciphertext1Size || len(ct2) != Ciphertext2Size {
		return nil, ErrCiphertextSize
	}
	// K-PKE.Decrypt (Algorithm 15).
	var acc [n]uint32
	const c1Poly = n * du / 8
	for i := range k {
		u := decodeDecompress(ct1[i*c1Poly:(i+1)*c1Poly], du)
		ntt(&u)
		mulAddNTT(&acc, &dk.s[i], &u)
	}
	w := reduceAcc(&acc)
	nttInverse(&w)
	v := decodeDecompress(ct2, dv)
	var mBits [n]uint16
	for x := range w {
		mBits[x] = compress(feSub(v[x], w[x]), 1)
	}
	var mArr [32]byte
	m := byteEncode(mArr[:0], &mBits, 1)
	clear(acc[:])
	clear(w[:])
	clear(mBits[:])

	// Re-encrypt (Algorithm 18, lines 7–10).
	g := sha3.New512()
	g.Write(m)
	g.Write(dk.h[:])
	kr := g.Sum(nil)
	g.Reset()
	kPrime, r := kr[:32], kr[32:]

	st := new(EncapsulationState)
	copy(st.m[:], m)
	clear(m)
	var nonce byte
	for i := range k {
		st.y[i] = samplePolyCBD2(r, nonce)
		nonce++
	}
	var e1 [k]poly
	for i := range k {
		e1[i] = samplePolyCBD2(r, nonce)
		nonce++
	}
	st.e2 = samplePolyCBD2(r, nonce)
	clear(r)
	for i := range k {
		ntt(&st.y[i])
	}
	c := make([]byte, 0, CiphertextSize)
	for i := range k {
		var acc [n]uint32
		for j := range k {
			mulAddNTT(&acc, &dk.a[j][i], &st.y[j])
		}
		u := reduceAcc(&acc)
		nttInverse(&u)
		for x := range u {
			u[x] = feAdd(u[x], e1[i][x])
		}
		c = compressEncode(c, &u, du)
		clear(acc[:])
		clear(u[:])
	}
	clear(e1[:])
	acc = [n]uint32{}
	for i := range k {
		mulAddNTT(&acc, &dk.t[i], &st.y[i])
	}
	vv := st.computeV(&acc)
	c = compressEncode(c, &vv, dv)
	clear(acc[:])
	clear(vv[:])
	*st = EncapsulationState{}

	// K̄ = J(z || c).
	j := sha3.NewSHAKE256()
	j.Write(dk.z[:])
	j.Write(ct1)
	j.Write(ct2)
	kBar := make([]byte, SharedKeySize)
	j.Read(kBar)
	j.Reset()

	equal := subtle.ConstantTimeCompare(c[:Ciphertext1Size], ct1) & subtle.ConstantTimeCompare(c[Ciphertext1Size:], ct2)
	subtle.ConstantTimeCopy(equal, kBar, kPrime)
	clear(kr)
	clear(c)
	return kBar, nil
}
