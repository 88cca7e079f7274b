// Package curve holds the Curve25519 key types that the whole library shares:
// X25519 private and public keys with Signal's 33-byte wire encoding, key
// agreement, and identity key pairs that sign with XEdDSA.
//
// A public key travels as 33 bytes, the type byte [KeyTypeDJB] (0x05)
// followed by the 32-byte X25519 u-coordinate. Private keys are 32 raw bytes,
// clamped as RFC 7748 clamps them when they are loaded.
//
// Private material never appears in String, GoString or fmt's %v output.
package curve

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
	"github.com/forwardsecret/signal/xeddsa"
)

// Sizes and type bytes of the key encodings.
const (
	// PublicKeySize is the size of a public key's wire encoding: the type
	// byte followed by the u-coordinate.
	PublicKeySize = 33
	// PrivateKeySize is the size of a private key's encoding.
	PrivateKeySize = 32
	// SharedSecretSize is the size of an X25519 shared secret.
	SharedSecretSize = 32
	// SignatureSize is the size of an XEdDSA signature.
	SignatureSize = xeddsa.SignatureSize
	// KeyTypeDJB is the type byte of a Curve25519 public key on the wire.
	KeyTypeDJB = 0x05
)

// Errors returned by the parsers and key agreement. Each is matchable with
// errors.Is.
var (
	// ErrInvalidPublicKey is returned for a public key of the wrong length or
	// type byte. Errors from ParsePublicKey wrap it.
	ErrInvalidPublicKey = errors.New("curve: invalid public key")
	// ErrBadKeyType is returned (wrapped with ErrInvalidPublicKey) when the
	// type byte is not KeyTypeDJB.
	ErrBadKeyType = errors.New("curve: bad key type")
	// ErrInvalidPrivateKey is returned for a private key of the wrong length.
	ErrInvalidPrivateKey = errors.New("curve: invalid private key")
	// ErrZeroSharedSecret is returned when X25519 yields the all-zero value,
	// which happens exactly when the peer's key is of low order.
	ErrZeroSharedSecret = errors.New("curve: all-zero shared secret")
	// ErrNotCanonical is returned by CheckCanonicalTorsionFree for a
	// u-coordinate that is not reduced modulo 2^255-19.
	ErrNotCanonical = errors.New("curve: public key not canonical")
	// ErrTorsion is returned by CheckCanonicalTorsionFree for a key that is
	// not in the prime-order subgroup (or not on the curve at all).
	ErrTorsion = errors.New("curve: public key has a torsion component")
)

// PublicKey is a Curve25519 public key. It is a comparable value; the zero
// value is not a valid key (see IsZero).
type PublicKey struct {
	u [32]byte
}

// ParsePublicKey parses the 33-byte wire encoding 0x05 || u.
func ParsePublicKey(b []byte) (PublicKey, error) {
	if len(b) != PublicKeySize {
		return PublicKey{}, fmt.Errorf("%w: length %d, want %d", ErrInvalidPublicKey, len(b), PublicKeySize)
	}
	if b[0] != KeyTypeDJB {
		return PublicKey{}, fmt.Errorf("%w: %w 0x%02x", ErrInvalidPublicKey, ErrBadKeyType, b[0])
	}
	var p PublicKey
	copy(p.u[:], b[1:])
	return p, nil
}

// NewPublicKey returns the public key with the 32-byte u-coordinate u.
func NewPublicKey(u []byte) (PublicKey, error) {
	if len(u) != 32 {
		return PublicKey{}, fmt.Errorf("%w: length %d, want 32", ErrInvalidPublicKey, len(u))
	}
	var p PublicKey
	copy(p.u[:], u)
	return p, nil
}

// Bytes returns the 33-byte wire encoding of p in a new slice.
func (p PublicKey) Bytes() []byte { return p.AppendBytes(make([]byte, 0, PublicKeySize)) }

// AppendBytes appends the 33-byte wire encoding of p to dst.
func (p PublicKey) AppendBytes(dst []byte) []byte {
	dst = append(dst, KeyTypeDJB)
	return append(dst, p.u[:]...)
}

// U returns the 32-byte X25519 u-coordinate of p.
func (p PublicKey) U() [32]byte { return p.u }

// Equal reports whether p and q are the same key, in constant time.
func (p PublicKey) Equal(q PublicKey) bool {
	return subtle.ConstantTimeCompare(p.u[:], q.u[:]) == 1
}

// IsZero reports whether p is the zero value (no key).
func (p PublicKey) IsZero() bool { return p == PublicKey{} }

// String returns the hex encoding of the 33-byte wire form.
func (p PublicKey) String() string { return hex.EncodeToString(p.Bytes()) }

// VerifySignature reports whether sig is a valid XEdDSA signature of message
// by p, in libsignal's convention (xeddsa.SignBit).
func (p PublicKey) VerifySignature(message, sig []byte) bool {
	return xeddsa.Verify(p.u[:], message, sig, xeddsa.SignBit)
}

// CheckCanonicalTorsionFree returns ErrNotCanonical if the u-coordinate is not
// reduced modulo p, and ErrTorsion if the point is not on the curve (but on its
// twist) or not in the prime-order subgroup. Responders apply it to the
// initiator's base key. Execution time depends on the (public) input.
func (p PublicKey) CheckCanonicalTorsionFree() error {
	if p.u[31]&0x80 != 0 {
		return ErrNotCanonical
	}
	fu, _ := new(field.Element).SetBytes(p.u[:])
	if subtle.ConstantTimeCompare(fu.Bytes(), p.u[:]) != 1 {
		return ErrNotCanonical
	}
	// Map to Edwards: y = (u-1)/(u+1). u = -1 has no image (it is the
	// point of order 2 on the twist side of the birational map).
	one := new(field.Element).One()
	den := new(field.Element).Add(fu, one)
	if den.Equal(new(field.Element).Zero()) == 1 {
		return ErrTorsion
	}
	y := new(field.Element).Subtract(fu, one)
	y.Multiply(y, den.Invert(den))
	P, err := new(edwards25519.Point).SetBytes(y.Bytes())
	if err != nil {
		return ErrTorsion // on the twist
	}
	// P is in the prime-order subgroup iff [l]P = O, i.e. [l-1]P = -P.
	Q := new(edwards25519.Point).ScalarMult(lMinusOne, P)
	if Q.Add(Q, P).Equal(edwards25519.NewIdentityPoint()) != 1 {
		return ErrTorsion
	}
	return nil
}

var lMinusOne = func() *edwards25519.Scalar {
	// l - 1 = 2^252 + 27742317777372353535851937790883648492, little-endian.
	b := []byte{
		0xec, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
	}
	s, err := new(edwards25519.Scalar).SetCanonicalBytes(b)
	if err != nil {
		panic(err)
	}
	return s
}()

// PrivateKey is a Curve25519 private key. Its String, GoString and Format
// methods never print the key. Its public key is derived when first asked
// for (or taken from storage, see LoadKeyPair).
type PrivateKey struct {
	k       [PrivateKeySize]byte // clamped
	pubOnce sync.Once
	pub     PublicKey
}

// GeneratePrivateKey returns a new private key from crypto/rand.
func GeneratePrivateKey() (*PrivateKey, error) {
	var b [PrivateKeySize]byte
	rand.Read(b[:])
	defer clear(b[:])
	return newPrivateKey(b[:]), nil
}

// NewPrivateKey returns the private key with the 32-byte scalar b, clamped as
// RFC 7748 clamps it. b is copied.
func NewPrivateKey(b []byte) (*PrivateKey, error) {
	if len(b) != PrivateKeySize {
		return nil, fmt.Errorf("%w: length %d, want %d", ErrInvalidPrivateKey, len(b), PrivateKeySize)
	}
	return newPrivateKey(b), nil
}

func newPrivateKey(b []byte) *PrivateKey {
	priv := new(PrivateKey)
	copy(priv.k[:], b)
	priv.k[0] &= 248
	priv.k[31] &= 127
	priv.k[31] |= 64
	return priv
}

// LoadKeyPair returns the key pair of a private key and its public key as
// read back from the caller's own storage (a session record, a prekey
// store). It does not recompute the public key from the private one, which
// costs a scalar multiplication: the caller vouches that they belong
// together. Use NewPrivateKey for keys from anywhere else.
func LoadKeyPair(private []byte, public PublicKey) (KeyPair, error) {
	priv, err := NewPrivateKey(private)
	if err != nil {
		return KeyPair{}, err
	}
	if public.IsZero() {
		return KeyPair{}, fmt.Errorf("%w: zero public key", ErrInvalidPublicKey)
	}
	priv.pubOnce.Do(func() { priv.pub = public })
	return KeyPair{Private: priv, Public: public}, nil
}

// Bytes returns the clamped 32-byte scalar in a new slice. The caller owns
// the copy and should clear it when done.
func (k *PrivateKey) Bytes() []byte { return bytes.Clone(k.k[:]) }

// PublicKey returns the public key of k.
func (k *PrivateKey) PublicKey() PublicKey {
	k.pubOnce.Do(func() { x25519Base(&k.pub.u, &k.k) })
	return k.pub
}

// ECDH returns the X25519 shared secret of k and remote. It returns
// ErrZeroSharedSecret when the result is all zeros (remote of low order).
func (k *PrivateKey) ECDH(remote PublicKey) ([]byte, error) {
	var out [SharedSecretSize]byte
	if err := k.ECDHTo(&out, remote); err != nil {
		return nil, err
	}
	return out[:], nil
}

// ECDHTo writes the X25519 shared secret of k and remote to dst, as ECDH
// does, in constant time, without allocating. On error dst is zeroed.
func (k *PrivateKey) ECDHTo(dst *[SharedSecretSize]byte, remote PublicKey) error {
	x25519(dst, &k.k, &remote.u)
	var zero [SharedSecretSize]byte
	if subtle.ConstantTimeCompare(dst[:], zero[:]) == 1 {
		return ErrZeroSharedSecret
	}
	return nil
}

// String returns a redacted description that names the public key only.
func (k *PrivateKey) String() string {
	return "curve.PrivateKey(REDACTED, public " + k.PublicKey().String() + ")"
}

// GoString is String: %#v never prints the key either.
func (k *PrivateKey) GoString() string { return k.String() }

// Format prints String for every verb, so no fmt verb reveals the key.
func (k *PrivateKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// KeyPair is a private key with its public key.
type KeyPair struct {
	Private *PrivateKey
	Public  PublicKey
}

// GenerateKeyPair returns a new key pair from crypto/rand.
func GenerateKeyPair() (KeyPair, error) {
	k, _ := GeneratePrivateKey()
	return KeyPair{Private: k, Public: k.PublicKey()}, nil
}

// NewKeyPair returns the key pair of a private key.
func NewKeyPair(k *PrivateKey) KeyPair { return KeyPair{Private: k, Public: k.PublicKey()} }

// IdentityKeyPair is a long-term identity key: a private key that also signs
// with XEdDSA. It caches the Edwards form that signing needs.
type IdentityKeyPair struct {
	priv *PrivateKey
	sig  *xeddsa.PrivateKey
}

// NewIdentityKeyPair returns the identity key pair of priv.
func NewIdentityKeyPair(priv *PrivateKey) (*IdentityKeyPair, error) {
	b := priv.Bytes()
	defer clear(b)
	s, err := xeddsa.NewPrivateKey(b)
	if err != nil {
		return nil, err
	}
	// The signing form already computed the public key.
	priv.pubOnce.Do(func() { copy(priv.pub.u[:], s.PublicKey()) })
	return &IdentityKeyPair{priv: priv, sig: s}, nil
}

// GenerateIdentityKeyPair returns a new identity key pair from crypto/rand.
func GenerateIdentityKeyPair() (*IdentityKeyPair, error) {
	k, err := GeneratePrivateKey()
	if err != nil {
		return nil, err
	}
	return NewIdentityKeyPair(k)
}

// PublicKey returns the public identity key.
func (k *IdentityKeyPair) PublicKey() PublicKey { return k.priv.PublicKey() }

// PrivateKey returns the private identity key.
func (k *IdentityKeyPair) PrivateKey() *PrivateKey { return k.priv }

// Sign returns a 64-byte XEdDSA signature of message in libsignal's
// convention (xeddsa.SignBit), with randomness from crypto/rand.
func (k *IdentityKeyPair) Sign(message []byte) ([]byte, error) {
	return k.sig.Sign(message, xeddsa.SignBit), nil
}

// String returns a redacted description that names the public key only.
func (k *IdentityKeyPair) String() string {
	return "curve.IdentityKeyPair(REDACTED, public " + k.priv.PublicKey().String() + ")"
}

// GoString is String.
func (k *IdentityKeyPair) GoString() string { return k.String() }
