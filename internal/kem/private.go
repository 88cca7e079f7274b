package kem

import (
	"crypto/mlkem"
	"crypto/subtle"

	core "github.com/forwardsecret/signal/internal/mlkem"
)

// PrivateKey is a KEM private (decapsulation) key of a known type. The zero
// value is not usable; obtain one from [GenerateKeyPair], [NewKeyPairFromSeed]
// or [ParsePrivateKey].
type PrivateKey struct {
	t   Type
	dk  *mlkem.DecapsulationKey1024 // keys with a seed
	ex  *core.DecapsulationKey      // keys imported in expanded form (no seed)
	pub *PublicKey
}

// KeyPair is a private key and its public key.
type KeyPair struct {
	Private *PrivateKey
	Public  *PublicKey
}

// GenerateKeyPair generates a key pair of type t with crypto/rand. Kyber1024
// keys are generated with ML-KEM-1024 key generation; see the package
// documentation for why that is sound. It returns ErrUnknownType for an
// unsupported t.
func GenerateKeyPair(t Type) (KeyPair, error) {
	if !t.valid() {
		return KeyPair{}, ErrUnknownType
	}
	dk, err := mlkem.GenerateKey1024()
	if err != nil {
		return KeyPair{}, err
	}
	return newSeedKeyPair(t, dk), nil
}

// NewKeyPairFromSeed derives the key pair of type t from a 64-byte seed d || z
// with ML-KEM-1024 key generation (FIPS 203 ML-KEM.KeyGen_internal). For
// Kyber1024 this does not reproduce round-3 Kyber's seed expansion; see the
// package documentation. It returns ErrUnknownType or ErrPrivateKeyLength.
func NewKeyPairFromSeed(t Type, seed []byte) (KeyPair, error) {
	if !t.valid() {
		return KeyPair{}, ErrUnknownType
	}
	if len(seed) != SeedSize {
		return KeyPair{}, ErrPrivateKeyLength
	}
	dk, err := mlkem.NewDecapsulationKey1024(seed)
	if err != nil {
		return KeyPair{}, ErrPrivateKeyLength
	}
	return newSeedKeyPair(t, dk), nil
}

func newSeedKeyPair(t Type, dk *mlkem.DecapsulationKey1024) KeyPair {
	pub := &PublicKey{t: t, ek: dk.EncapsulationKey()}
	return KeyPair{Private: &PrivateKey{t: t, dk: dk, pub: pub}, Public: pub}
}

// ParsePrivateKey parses a serialized private key in either of two forms:
//
//   - PrivateKeySize (65) bytes: type byte || seed, as [PrivateKey.Bytes]
//     writes it for keys that have a seed;
//   - LibsignalPrivateKeySize (3169) bytes: type byte || expanded decapsulation
//     key, as libsignal stores KEM secret keys (see [PrivateKey.LibsignalBytes]).
//     The embedded hash must match the embedded public key (FIPS 203's
//     decapsulation key check), both the public key and ŝ must have every
//     coefficient reduced modulo q, and ŝ must belong to the public key (a
//     pairwise-consistency test: one encapsulation and decapsulation). z
//     cannot be checked.
//
// It returns an error wrapping ErrPrivateKeyLength, ErrUnknownType or
// ErrInvalidPrivateKey.
func ParsePrivateKey(b []byte) (*PrivateKey, error) {
	if len(b) == 0 {
		return nil, ErrPrivateKeyLength
	}
	t := Type(b[0])
	if !t.valid() {
		return nil, ErrUnknownType
	}
	switch len(b) {
	case PrivateKeySize:
		kp, err := NewKeyPairFromSeed(t, b[TypeSize:])
		if err != nil {
			return nil, err
		}
		return kp.Private, nil
	case LibsignalPrivateKeySize:
		// crypto/mlkem loads only seeds: the expanded form goes through
		// internal/mlkem, whose checks (FIPS 203 §7.3 and the modulus check
		// on ek and ŝ) leave only the pairwise consistency to do here.
		ex := new(core.DecapsulationKey)
		if !ex.SetBytes(core.MLKEM1024, b[TypeSize:]) {
			return nil, ErrInvalidPrivateKey
		}
		ek, err := mlkem.NewEncapsulationKey1024(ex.AppendEncapsulationKey(make([]byte, 0, RawPublicKeySize)))
		if err != nil {
			return nil, ErrInvalidPrivateKey // unreachable: ek was checked
		}
		// Pairwise consistency: ŝ must belong to ek, or the key would
		// silently fail every decapsulation.
		kk, c := ek.Encapsulate()
		if got := decapsulateExpanded(ex, c); subtle.ConstantTimeCompare(got[:], kk) != 1 {
			return nil, ErrInvalidPrivateKey
		}
		return &PrivateKey{t: t, ex: ex, pub: &PublicKey{t: t, ek: ek}}, nil
	}
	return nil, ErrPrivateKeyLength
}

// Type returns the key's KEM type.
func (sk *PrivateKey) Type() Type { return sk.t }

// PublicKey returns the matching public key.
func (sk *PrivateKey) PublicKey() *PublicKey { return sk.pub }

// Seed returns a copy of the 64-byte seed d || z, or ErrNoSeed for a key
// imported from libsignal's expanded form.
func (sk *PrivateKey) Seed() ([]byte, error) {
	if sk.dk == nil {
		return nil, ErrNoSeed
	}
	return sk.dk.Bytes(), nil
}

// Bytes returns the key's storage form, parsed back by [ParsePrivateKey]:
// type byte || seed (PrivateKeySize bytes) when the key has a seed, otherwise
// (a key imported from libsignal) the libsignal form of LibsignalBytes.
// The slice is fresh; the caller may clear it when done.
func (sk *PrivateKey) Bytes() []byte {
	if sk.dk == nil {
		return sk.LibsignalBytes()
	}
	return append([]byte{byte(sk.t)}, sk.dk.Bytes()...)
}

// LibsignalBytes returns the key as libsignal serializes KEM secret keys: type
// byte || 3168-byte expanded decapsulation key (ŝ || ek || H(ek) || z,
// LibsignalPrivateKeySize bytes). The slice is fresh.
func (sk *PrivateKey) LibsignalBytes() []byte {
	out := make([]byte, 0, LibsignalPrivateKeySize)
	out = append(out, byte(sk.t))
	if sk.ex != nil {
		return sk.ex.AppendBytes(out)
	}
	// The seed's key pair, as crypto/mlkem derives it.
	seed := sk.dk.Bytes()
	var ex core.DecapsulationKey
	out = ex.SetSeed(core.MLKEM1024, seed).AppendBytes(out)
	clear(seed)
	ex = core.DecapsulationKey{}
	return out
}

// String returns the key's type with the secret redacted.
func (sk *PrivateKey) String() string {
	return "kem.PrivateKey(" + sk.t.String() + ", REDACTED)"
}

// GoString is String, so %#v does not print the secret either.
func (sk *PrivateKey) GoString() string { return sk.String() }

// Decapsulate recovers the shared secret from a wire-form ciphertext
// (type byte || 1568 bytes). It returns an error wrapping ErrCiphertextLength,
// ErrUnknownType, or ErrCiphertextType (a known type other than the key's).
// A well-formed but forged ciphertext yields no error and a pseudorandom
// secret (implicit rejection), which makes the caller's MAC check fail.
func (sk *PrivateKey) Decapsulate(ciphertext []byte) ([]byte, error) {
	c, err := checkCiphertext(sk.t, ciphertext)
	if err != nil {
		return nil, err
	}
	var k []byte
	if sk.dk != nil {
		k, err = sk.dk.Decapsulate(c)
		if err != nil {
			return nil, ErrCiphertextLength // unreachable: the length was checked
		}
	} else {
		kk := decapsulateExpanded(sk.ex, c)
		k = kk[:]
	}
	if sk.t == Kyber1024 {
		kk := kyberKDF(k, c)
		clear(k) // ML-KEM's K̄, an intermediate secret here
		k = kk
	}
	return k, nil
}

// decapsulateExpanded is ML-KEM-1024 decapsulation of the raw ciphertext c
// (RawCiphertextSize bytes) with a key in expanded form.
func decapsulateExpanded(ex *core.DecapsulationKey, c []byte) [SharedSecretSize]byte {
	c1 := core.MLKEM1024.Ciphertext1Size()
	return ex.Decapsulate(c[:c1], c[c1:])
}
