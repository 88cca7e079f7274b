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
// This package is the sizes, errors and length checks of that interface;
// the arithmetic is internal/mlkem's, with its ML-KEM-768 parameter set.
//
// This is an internal package: the API is shaped for package spqr.
package mlkem768

import (
	"crypto/rand"
	"errors"

	"github.com/forwardsecret/signal/internal/mlkem"
)

// params is the parameter set of this package.
var params = mlkem.MLKEM768

// Sizes in bytes.
const (
	// SeedSize is the size of a key-generation seed d || z.
	SeedSize = 64
	// HeaderSize is the size of the header ρ || H(ek).
	HeaderSize = 64
	// EncapsulationKeySize is the size of the encapsulation vector
	// ByteEncode12(t̂), the part of ek that is not in the header.
	EncapsulationKeySize = 1152
	// FullEncapsulationKeySize is the size of the FIPS 203 encapsulation key
	// ek = ByteEncode12(t̂) || ρ, as crypto/mlkem encodes it.
	FullEncapsulationKeySize = EncapsulationKeySize + 32
	// DecapsulationKeySize is the size of the FIPS 203 decapsulation key.
	DecapsulationKeySize = 2400
	// Ciphertext1Size is the size of ct1 = ByteEncode10(Compress10(u)).
	Ciphertext1Size = 960
	// Ciphertext2Size is the size of ct2 = ByteEncode4(Compress4(v)).
	Ciphertext2Size = 128
	// CiphertextSize is the size of a whole ciphertext ct1 || ct2.
	CiphertextSize = Ciphertext1Size + Ciphertext2Size
	// SharedKeySize is the size of the shared key.
	SharedKeySize = 32
	// EncapsulationStateSize is the size of the state kept between the two
	// encapsulation steps: ŷ (3·512) || e2 (512) || m (32).
	EncapsulationStateSize = 2080
	// RandomnessSize is the size of the encapsulation randomness m.
	RandomnessSize = 32
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
	dk mlkem.DecapsulationKey
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
	dk, err := newKeyFromSeed(seed[:])
	clear(seed[:])
	return dk, err
}

// newKeyFromSeed derives a key pair from the 64-byte seed d || z
// (ML-KEM.KeyGen_internal, FIPS 203 Algorithm 16), as
// crypto/mlkem.NewDecapsulationKey768 does.
func newKeyFromSeed(seed []byte) (*DecapsulationKey, error) {
	if len(seed) != SeedSize {
		return nil, ErrSeedSize
	}
	dk := new(DecapsulationKey)
	dk.dk.SetSeed(params, seed)
	return dk, nil
}

// ParseDecapsulationKey parses the 2400-byte FIPS 203 decapsulation key
// dk_PKE || ek || H(ek) || z, with the checks of FIPS 203 §7.3: the stored
// hash must match ek, and every coefficient must be reduced.
func ParseDecapsulationKey(b []byte) (*DecapsulationKey, error) {
	if len(b) != DecapsulationKeySize {
		return nil, ErrDecapsulationKeySize
	}
	dk := new(DecapsulationKey)
	if !dk.dk.SetBytes(params, b) {
		return nil, ErrInvalidDecapsulationKey
	}
	return dk, nil
}

// Bytes returns the 2400-byte FIPS 203 decapsulation key
// dk_PKE || ek || H(ek) || z, the form libsignal stores.
func (dk *DecapsulationKey) Bytes() []byte {
	return dk.dk.AppendBytes(make([]byte, 0, DecapsulationKeySize))
}

// Header returns the 64-byte header ρ || H(ek).
func (dk *DecapsulationKey) Header() []byte {
	return dk.dk.AppendHeader(make([]byte, 0, HeaderSize))
}

// EncapsulationKey returns the 1152-byte encapsulation vector ByteEncode12(t̂).
func (dk *DecapsulationKey) EncapsulationKey() []byte {
	return dk.dk.AppendVector(make([]byte, 0, EncapsulationKeySize))
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
	if !mlkem.CheckEncapsulationKey(params, header, ek) {
		return ErrInvalidEncapsulationKey
	}
	return nil
}

// EncapsulationState is what the encapsulator keeps between the two steps:
// ŷ, e2 and the randomness m. It is secret; String does not reveal it.
type EncapsulationState struct {
	st mlkem.EncapsulationState
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
	return encapsulate1(header, m[:])
}

// encapsulate1 is Encapsulate1 with caller-chosen randomness m (32 bytes),
// the derandomized ML-KEM.Encaps_internal (Algorithm 17) split in two.
func encapsulate1(header, m []byte) (ct1 []byte, st *EncapsulationState, sharedKey []byte, err error) {
	if len(header) != HeaderSize {
		return nil, nil, nil, ErrHeaderSize
	}
	if len(m) != RandomnessSize {
		return nil, nil, nil, ErrRandomnessSize
	}
	st = new(EncapsulationState)
	ct1, key := st.st.Encapsulate1(make([]byte, 0, Ciphertext1Size), params, header, m)
	return ct1, st, key[:], nil
}

// Encapsulate2 runs the second encapsulation step: given the 1152-byte
// encapsulation vector, it returns ct2. The caller should first check ek
// against the header with CheckEncapsulationKey; Encapsulate2 itself only
// rejects unreduced or mis-sized vectors.
func (st *EncapsulationState) Encapsulate2(ek []byte) ([]byte, error) {
	if len(ek) != EncapsulationKeySize {
		return nil, ErrEncapsulationKeySize
	}
	ct2, ok := st.st.Encapsulate2(make([]byte, 0, Ciphertext2Size), ek)
	if !ok {
		return nil, ErrInvalidEncapsulationKey
	}
	return ct2, nil
}

// Bytes returns the 2080-byte state ŷ || e2 || m in libcrux's layout: each
// coefficient as a signed 16-bit little-endian integer (we write the
// representative in (-q/2, q/2]).
func (st *EncapsulationState) Bytes() []byte {
	return st.st.AppendBytes(make([]byte, 0, EncapsulationStateSize))
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
	st := new(EncapsulationState)
	if !st.st.SetBytes(params, b) {
		return nil, ErrInvalidEncapsulationState
	}
	return st, nil
}

// Decapsulate returns the shared key for the ciphertext ct1 || ct2
// (ML-KEM.Decaps_internal, Algorithm 18). Like every ML-KEM decapsulation it
// does not fail on a forged ciphertext: it returns the implicit-rejection key
// J(z || c) instead. It errors only on wrong sizes. Its secret intermediates
// are cleared (best effort; see internal/mlkem).
func (dk *DecapsulationKey) Decapsulate(ct1, ct2 []byte) ([]byte, error) {
	if len(ct1) != Ciphertext1Size || len(ct2) != Ciphertext2Size {
		return nil, ErrCiphertextSize
	}
	key := dk.dk.Decapsulate(ct1, ct2)
	return key[:], nil
}
