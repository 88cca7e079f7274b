package x3dh

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/forwardsecret/signal/internal/kem"
)

// KEMType identifies the key encapsulation mechanism of a KEM prekey. It is
// the first byte of every serialized KEM public key, private key and
// ciphertext.
type KEMType byte

const (
	// Kyber1024 is round-3 CRYSTALS-Kyber-1024 (type byte 0x08), the KEM
	// current libsignal uses and the only one it accepts.
	Kyber1024 KEMType = 0x08
	// MLKEM1024 is FIPS 203 ML-KEM-1024 (type byte 0x0A). libsignal defines it
	// behind a feature flag that its released builds leave off.
	MLKEM1024 KEMType = 0x0A
)

// String returns "Kyber1024", "ML-KEM-1024", or "KEMType(0xNN)".
func (t KEMType) String() string {
	switch t {
	case Kyber1024:
		return "Kyber1024"
	case MLKEM1024:
		return "ML-KEM-1024"
	}
	return "KEMType(0x" + strconv.FormatUint(uint64(t)>>4, 16) + strconv.FormatUint(uint64(t)&0xf, 16) + ")"
}

// Sizes of the KEM encodings, in bytes, type byte included.
const (
	// KEMPublicKeySize is the size of a serialized KEM public key.
	KEMPublicKeySize = 1569
	// KEMCiphertextSize is the size of a KEM ciphertext on the wire.
	KEMCiphertextSize = 1569
	// KEMSeedSize is the size of the seed NewKEMKeyPairFromSeed takes.
	KEMSeedSize = 64
	// KEMSharedSecretSize is the size of the KEM shared secret mixed into
	// the PQXDH secret.
	KEMSharedSecretSize = 32
)

// kemError maps an error of the internal kem package onto this package's
// sentinels, keeping the original in the chain.
func kemError(err error) error {
	switch {
	case errors.Is(err, kem.ErrUnknownType):
		return fmt.Errorf("%w: %w", ErrUnknownKEMType, err)
	case errors.Is(err, kem.ErrCiphertextLength):
		return fmt.Errorf("%w: %w", ErrKEMCiphertextLength, err)
	case errors.Is(err, kem.ErrCiphertextType):
		return fmt.Errorf("%w: %w", ErrKEMCiphertextType, err)
	}
	return fmt.Errorf("%w: %w", ErrInvalidKEMKey, err)
}

// KEMPublicKey is a KEM public key of a known type. It is a value type; the
// zero value is not a key (see IsZero).
type KEMPublicKey struct {
	k *kem.PublicKey
}

// ParseKEMPublicKey parses a serialized KEM public key: the type byte
// followed by the 1568-byte encapsulation key. Errors wrap ErrUnknownKEMType
// or ErrInvalidKEMKey.
func ParseKEMPublicKey(b []byte) (KEMPublicKey, error) {
	k, err := kem.ParsePublicKey(b)
	if err != nil {
		return KEMPublicKey{}, kemError(err)
	}
	return KEMPublicKey{k}, nil
}

// Type returns the key's KEM type, or 0 for the zero value.
func (p KEMPublicKey) Type() KEMType {
	if p.k == nil {
		return 0
	}
	return KEMType(p.k.Type())
}

// IsZero reports whether p is the zero value (no key).
func (p KEMPublicKey) IsZero() bool { return p.k == nil }

// Bytes returns the serialized key (KEMPublicKeySize bytes) in a new slice,
// or nil for the zero value. This is the encoding the prekey signature covers.
func (p KEMPublicKey) Bytes() []byte {
	if p.k == nil {
		return nil
	}
	return p.k.Bytes()
}

// AppendBytes appends the serialized key to dst.
func (p KEMPublicKey) AppendBytes(dst []byte) []byte {
	if p.k == nil {
		return dst
	}
	return p.k.AppendBytes(dst)
}

// Equal reports whether p and q are the same key of the same type.
func (p KEMPublicKey) Equal(q KEMPublicKey) bool {
	if p.k == nil || q.k == nil {
		return p.k == q.k
	}
	return p.k.Equal(q.k)
}

// String returns the KEM type and the first bytes of the key in hex.
func (p KEMPublicKey) String() string {
	if p.k == nil {
		return "x3dh.KEMPublicKey(none)"
	}
	b := p.k.Bytes()
	return fmt.Sprintf("x3dh.KEMPublicKey(%v, %x…)", p.Type(), b[1:9])
}

// KEMPrivateKey is a KEM private (decapsulation) key. Its String, GoString
// and Format methods never print the key.
type KEMPrivateKey struct {
	k *kem.PrivateKey
}

// ParseKEMPrivateKey parses a KEM private key in either storage form: the
// type byte followed by the 64-byte seed (what Bytes returns for keys made
// here), or libsignal's form, the type byte followed by the 3168-byte
// expanded decapsulation key (LibsignalBytes). Errors wrap ErrUnknownKEMType
// or ErrInvalidKEMKey.
func ParseKEMPrivateKey(b []byte) (*KEMPrivateKey, error) {
	k, err := kem.ParsePrivateKey(b)
	if err != nil {
		return nil, kemError(err)
	}
	return &KEMPrivateKey{k}, nil
}

// Type returns the key's KEM type.
func (k *KEMPrivateKey) Type() KEMType { return KEMType(k.k.Type()) }

// PublicKey returns the matching public key.
func (k *KEMPrivateKey) PublicKey() KEMPublicKey { return KEMPublicKey{k.k.PublicKey()} }

// Bytes returns the key's storage form, which ParseKEMPrivateKey reads back:
// type byte || seed for keys with a seed, otherwise LibsignalBytes. The caller
// owns the slice and should clear it when done.
func (k *KEMPrivateKey) Bytes() []byte { return k.k.Bytes() }

// LibsignalBytes returns the key as libsignal stores KEM secret keys: type
// byte || 3168-byte expanded decapsulation key. The caller owns the slice.
func (k *KEMPrivateKey) LibsignalBytes() []byte { return k.k.LibsignalBytes() }

// String returns a redacted description naming the KEM type only.
func (k *KEMPrivateKey) String() string {
	return "x3dh.KEMPrivateKey(" + k.Type().String() + ", REDACTED)"
}

// GoString is String.
func (k *KEMPrivateKey) GoString() string { return k.String() }

// Format prints String for every verb, so no fmt verb reveals the key.
func (k *KEMPrivateKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// KEMKeyPair is a KEM private key with its public key.
type KEMKeyPair struct {
	// Private is the decapsulation key.
	Private *KEMPrivateKey
	// Public is its encapsulation key.
	Public KEMPublicKey
}

// GenerateKEMKeyPair returns a new KEM key pair of type t from crypto/rand.
// Kyber1024 keys are made with ML-KEM-1024 key generation, which yields key
// pairs round-3 Kyber accepts. It returns ErrUnknownKEMType for other types.
func GenerateKEMKeyPair(t KEMType) (KEMKeyPair, error) {
	kp, err := kem.GenerateKeyPair(kem.Type(t))
	if err != nil {
		return KEMKeyPair{}, kemError(err)
	}
	return KEMKeyPair{Private: &KEMPrivateKey{kp.Private}, Public: KEMPublicKey{kp.Public}}, nil
}

// NewKEMKeyPairFromSeed derives the KEM key pair of type t from a
// KEMSeedSize-byte seed d || z with ML-KEM-1024 key generation (FIPS 203
// ML-KEM.KeyGen_internal), for both types.
func NewKEMKeyPairFromSeed(t KEMType, seed []byte) (KEMKeyPair, error) {
	kp, err := kem.NewKeyPairFromSeed(kem.Type(t), seed)
	if err != nil {
		return KEMKeyPair{}, kemError(err)
	}
	return KEMKeyPair{Private: &KEMPrivateKey{kp.Private}, Public: KEMPublicKey{kp.Public}}, nil
}
