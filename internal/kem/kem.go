// Package kem implements the key encapsulation mechanisms of Signal's PQXDH
// handshake, with the one-byte type prefixes libsignal puts on their keys and
// ciphertexts.
//
// Two KEMs exist, both with the ML-KEM-1024 / Kyber1024 lattice parameters:
//
//   - [Kyber1024] (type byte 0x08): CRYSTALS-Kyber as submitted to round 3 of
//     the NIST competition, not FIPS 203. This is the only type current
//     libsignal accepts, so it is the one PQXDH uses in practice.
//   - [MLKEM1024] (type byte 0x0A): ML-KEM-1024 from FIPS 203. libsignal knows
//     it behind a feature flag that its released builds leave off.
//
// # Wire format
//
// A public key is the type byte followed by the 1568-byte encapsulation key
// ([PublicKeySize] = 1569 bytes). A ciphertext is the type byte followed by the
// 1568-byte KEM ciphertext ([CiphertextSize] = 1569 bytes). Shared secrets are
// [SharedSecretSize] = 32 bytes.
//
// # Round-3 Kyber on top of ML-KEM
//
// Both types run on the standard library's crypto/mlkem. Round-3 Kyber and
// ML-KEM share key formats and the underlying public-key encryption; they
// differ in three places:
//
//   - Encapsulation: round 3 hashes its random coins first (m = SHA3-256(coins))
//     and derives the shared secret as SHAKE256(K̄ || SHA3-256(c))[:32], where
//     K̄ is the first half of G(m || H(ek)) — exactly the value ML-KEM returns as
//     its shared key. Since m is uniformly random either way, we encapsulate
//     with crypto/mlkem and apply that final hash ourselves.
//   - Decapsulation: the same final hash over ML-KEM's output. On an invalid
//     ciphertext both KEMs return a pseudorandom "implicit rejection" value,
//     but not the same one (round 3: SHAKE256(z || H(c)); here:
//     SHAKE256(SHAKE256(z || c) || H(c))). Nobody can tell the difference,
//     since an invalid ciphertext only ever leads to a failed MAC afterwards.
//   - Key generation from a seed: round 3 expands d with G(d), ML-KEM with
//     G(d || k). We generate Kyber1024 key pairs with ML-KEM key generation.
//     That is sound: the two differ only in how d is hashed into (ρ, σ), so an
//     ML-KEM-1024 key pair has the round-3 format and, up to that hash, the
//     round-3 distribution; round-3 encapsulation and decapsulation (ours and
//     libsignal's) work on it unchanged. The one consequence is that our
//     64-byte seeds (d || z) do not reproduce round-3 known-answer key pairs
//     (TestKyber1024RoundThreeKeyGen pins both facts).
//
// # Private keys
//
// A private key is stored as its type and the 64-byte ML-KEM seed d || z
// ([PrivateKey.Bytes], 65 bytes), the compact form FIPS 203 recommends.
// libsignal instead stores the 3168-byte expanded decapsulation key (3169
// bytes with the type byte). [ParsePrivateKey] also accepts that form, so KEM
// prekey records can be imported from libsignal; see [PrivateKey.LibsignalBytes]
// for the other direction. crypto/mlkem loads and writes only seeds, so that
// form runs on this module's own ML-KEM core, internal/mlkem.
//
// Private keys do not print their secrets: [PrivateKey.String] is redacted.
// Nothing here promises to zeroize memory.
package kem

import (
	"crypto/mlkem"
	"crypto/sha3"
	"crypto/subtle"
	"errors"
	"strconv"
)

// Type identifies a KEM; it is the first byte of every serialized public key,
// private key and ciphertext.
type Type byte

const (
	// Kyber1024 is round-3 CRYSTALS-Kyber-1024, type byte 0x08.
	Kyber1024 Type = 0x08
	// MLKEM1024 is FIPS 203 ML-KEM-1024, type byte 0x0A.
	MLKEM1024 Type = 0x0A
)

// String returns "Kyber1024", "ML-KEM-1024", or "Type(0xNN)" for unknown types.
func (t Type) String() string {
	switch t {
	case Kyber1024:
		return "Kyber1024"
	case MLKEM1024:
		return "ML-KEM-1024"
	}
	return "Type(0x" + strconv.FormatUint(uint64(t)>>4, 16) + strconv.FormatUint(uint64(t)&0xf, 16) + ")"
}

// valid reports whether t is one of the supported types.
func (t Type) valid() bool { return t == Kyber1024 || t == MLKEM1024 }

// Sizes, in bytes. The serialized forms include the leading type byte.
const (
	// TypeSize is the length of the type prefix.
	TypeSize = 1
	// RawPublicKeySize is the length of an encapsulation key without its type byte.
	RawPublicKeySize = mlkem.EncapsulationKeySize1024 // 1568
	// PublicKeySize is the length of a serialized public key (type byte included).
	PublicKeySize = TypeSize + RawPublicKeySize // 1569
	// RawCiphertextSize is the length of a KEM ciphertext without its type byte.
	RawCiphertextSize = mlkem.CiphertextSize1024 // 1568
	// CiphertextSize is the length of a ciphertext as carried on the wire
	// (type byte included).
	CiphertextSize = TypeSize + RawCiphertextSize // 1569
	// SharedSecretSize is the length of a shared secret.
	SharedSecretSize = mlkem.SharedKeySize // 32
	// SeedSize is the length of a private-key seed, d || z.
	SeedSize = mlkem.SeedSize // 64
	// PrivateKeySize is the length of [PrivateKey.Bytes] for a key generated
	// here: type byte || seed.
	PrivateKeySize = TypeSize + SeedSize // 65
	// RawExpandedKeySize is the length of an expanded decapsulation key (the
	// round-3 Kyber and FIPS 203 format: ŝ || ek || H(ek) || z).
	RawExpandedKeySize = 1536 + RawPublicKeySize + 32 + 32 // 3168
	// LibsignalPrivateKeySize is the length of a private key serialized by
	// libsignal: type byte || expanded decapsulation key.
	LibsignalPrivateKeySize = TypeSize + RawExpandedKeySize // 3169
	// RandomSize is the length of the randomness [EncapsulateDerand] takes.
	RandomSize = 32
)

// Errors. Every rejection of input wraps exactly one of these; match them
// with errors.Is.
var (
	// ErrUnknownType: the type byte is neither Kyber1024 nor MLKEM1024.
	ErrUnknownType = errors.New("kem: unknown KEM type")
	// ErrPublicKeyLength: a serialized public key is not PublicKeySize bytes.
	ErrPublicKeyLength = errors.New("kem: wrong public key length")
	// ErrInvalidPublicKey: the public key has a coefficient that is not
	// reduced modulo q (the FIPS 203 modulus check).
	ErrInvalidPublicKey = errors.New("kem: invalid public key")
	// ErrCiphertextLength: a ciphertext is not CiphertextSize bytes.
	ErrCiphertextLength = errors.New("kem: wrong ciphertext length")
	// ErrCiphertextType: the ciphertext's type byte is a known type, but not
	// the type of the key it was given to.
	ErrCiphertextType = errors.New("kem: ciphertext type does not match key type")
	// ErrPrivateKeyLength: a serialized private key or seed has the wrong length.
	ErrPrivateKeyLength = errors.New("kem: wrong private key length")
	// ErrInvalidPrivateKey: an expanded private key is internally inconsistent
	// (its embedded public-key hash does not match, or ŝ does not belong to
	// the public key) or not canonical (a coefficient of its public key or of
	// ŝ is not reduced modulo q).
	ErrInvalidPrivateKey = errors.New("kem: invalid private key")
	// ErrRandomLength: EncapsulateDerand was given other than RandomSize bytes.
	ErrRandomLength = errors.New("kem: wrong randomness length")
	// ErrNoSeed is returned by [PrivateKey.Seed] for a key imported from its
	// expanded form, which does not contain the seed.
	ErrNoSeed = errors.New("kem: private key has no seed (imported in expanded form)")
)

// PublicKey is a KEM public key of a known type. The zero value is not usable;
// obtain one from [ParsePublicKey] or [PrivateKey.PublicKey].
type PublicKey struct {
	t  Type
	ek *mlkem.EncapsulationKey1024
}

// ParsePublicKey parses a serialized public key: type byte || 1568-byte key.
// It returns an error wrapping ErrPublicKeyLength, ErrUnknownType or
// ErrInvalidPublicKey.
func ParsePublicKey(b []byte) (*PublicKey, error) {
	if len(b) == 0 {
		return nil, ErrPublicKeyLength
	}
	t := Type(b[0])
	if !t.valid() {
		return nil, ErrUnknownType
	}
	if len(b) != PublicKeySize {
		return nil, ErrPublicKeyLength
	}
	ek, err := mlkem.NewEncapsulationKey1024(b[TypeSize:])
	if err != nil {
		// The length is right, so the only remaining failure is the modulus check.
		return nil, ErrInvalidPublicKey
	}
	return &PublicKey{t: t, ek: ek}, nil
}

// Type returns the key's KEM type.
func (pk *PublicKey) Type() Type { return pk.t }

// Bytes returns the serialized key, type byte included (PublicKeySize bytes).
// The slice is fresh on every call.
func (pk *PublicKey) Bytes() []byte {
	return pk.AppendBytes(make([]byte, 0, PublicKeySize))
}

// AppendBytes appends the serialized key to dst and returns the result.
func (pk *PublicKey) AppendBytes(dst []byte) []byte {
	return append(append(dst, byte(pk.t)), pk.ek.Bytes()...)
}

// Equal reports whether pk and other are the same key of the same type. It is
// constant-time for keys of the same type.
func (pk *PublicKey) Equal(other *PublicKey) bool {
	if pk.t != other.t {
		return false
	}
	return subtle.ConstantTimeCompare(pk.ek.Bytes(), other.ek.Bytes()) == 1
}

// Encapsulate generates a fresh shared secret and its ciphertext for pk. The
// ciphertext is in wire form (type byte || 1568 bytes, CiphertextSize bytes).
// It uses crypto/rand and cannot fail.
func (pk *PublicKey) Encapsulate() (sharedSecret, ciphertext []byte) {
	k, c := pk.ek.Encapsulate()
	return finish(pk.t, k, c)
}

// finish turns crypto/mlkem's output (k, raw ciphertext c) into the shared
// secret of type t and the wire-form ciphertext.
func finish(t Type, k, c []byte) (sharedSecret, ciphertext []byte) {
	ciphertext = make([]byte, 0, CiphertextSize)
	ciphertext = append(append(ciphertext, byte(t)), c...)
	if t == Kyber1024 {
		k = kyberKDF(k, c)
	}
	return k, ciphertext
}

// kyberKDF is round-3 Kyber's final step: SHAKE256(k || SHA3-256(c))[:32],
// where c is the raw ciphertext (no type byte).
func kyberKDF(k, c []byte) []byte {
	hc := sha3.Sum256(c)
	h := sha3.NewSHAKE256()
	h.Write(k)
	h.Write(hc[:])
	out := make([]byte, SharedSecretSize)
	h.Read(out)
	h.Reset() // the state absorbed k
	return out
}

// checkCiphertext validates a wire-form ciphertext for a key of type t and
// returns the raw ciphertext.
func checkCiphertext(t Type, ciphertext []byte) ([]byte, error) {
	if len(ciphertext) == 0 {
		return nil, ErrCiphertextLength
	}
	ct := Type(ciphertext[0])
	if !ct.valid() {
		return nil, ErrUnknownType
	}
	if ct != t {
		return nil, ErrCiphertextType
	}
	if len(ciphertext) != CiphertextSize {
		return nil, ErrCiphertextLength
	}
	return ciphertext[TypeSize:], nil
}
