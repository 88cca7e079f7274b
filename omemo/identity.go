package omemo

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"fmt"

	"filippo.io/edwards25519"
	"github.com/forwardsecret/signal/curve"
)

// Ed25519KeySize is the size of an identity key in OMEMO 2's Ed25519 form.
const Ed25519KeySize = 32

// Identity keys
//
// A device has one identity key pair, a curve.IdentityKeyPair, in both
// namespaces (python-omemo does the same). Its private half is a clamped
// scalar a. OMEMO 0.3 publishes the Montgomery public key 0x05 || u and signs
// with XEdDSA, as Signal does. OMEMO 2 publishes the Ed25519 public key a·B
// and signs with Ed25519 under that key; Diffie-Hellman uses the Montgomery
// form of the same key (the birational map of a·B, which is the curve public
// key). A pair made from an Ed25519 seed (clamp(SHA-512(seed)[:32]), see
// IdentityFromSeed) has the Ed25519 public key that seed gives.

// IdentityFromSeed returns the identity key pair of a 32-byte Ed25519 seed
// (RFC 8032): its private scalar is the clamped first half of SHA-512(seed),
// so Ed25519PublicKey returns the seed's Ed25519 public key.
func IdentityFromSeed(seed []byte) (*curve.IdentityKeyPair, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: seed of %d bytes, want %d", ErrInvalidKey, len(seed), ed25519.SeedSize)
	}
	h := sha512.Sum512(seed)
	defer clear(h[:])
	priv, err := curve.NewPrivateKey(h[:32])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return curve.NewIdentityKeyPair(priv)
}

// Ed25519PublicKey returns the Ed25519 form of id's public key, a·B for its
// private scalar a: what OMEMO 2 publishes as the identity key (ik).
func Ed25519PublicKey(id *curve.IdentityKeyPair) [Ed25519KeySize]byte {
	s, _ := scalarOf(id) // a curve private key is always 32 bytes
	var out [Ed25519KeySize]byte
	copy(out[:], new(edwards25519.Point).ScalarBaseMult(s).Bytes())
	return out
}

func scalarOf(id *curve.IdentityKeyPair) (*edwards25519.Scalar, error) {
	b := id.PrivateKey().Bytes()
	defer clear(b)
	return new(edwards25519.Scalar).SetBytesWithClamping(b)
}

// MontgomeryPublicKey converts an Ed25519 public key (32 bytes) to the
// Curve25519 public key of the same private key: the form used for
// Diffie-Hellman, and the one identity stores keep. It returns an error
// wrapping ErrInvalidKey for an encoding that is not a point, is not
// canonical, or is of small order.
func MontgomeryPublicKey(ed []byte) (curve.PublicKey, error) {
	if len(ed) != Ed25519KeySize {
		return curve.PublicKey{}, fmt.Errorf("%w: Ed25519 key of %d bytes, want %d", ErrInvalidKey, len(ed), Ed25519KeySize)
	}
	p, err := new(edwards25519.Point).SetBytes(ed)
	if err != nil {
		return curve.PublicKey{}, fmt.Errorf("%w: Ed25519 key is not a point", ErrInvalidKey)
	}
	if [32]byte(p.Bytes()) != [32]byte(ed) {
		return curve.PublicKey{}, fmt.Errorf("%w: Ed25519 key is not canonical", ErrInvalidKey)
	}
	if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return curve.PublicKey{}, fmt.Errorf("%w: Ed25519 key of small order", ErrInvalidKey)
	}
	pub, err := curve.NewPublicKey(p.BytesMontgomery())
	if err != nil {
		return curve.PublicKey{}, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return pub, nil
}

// signEd25519 signs msg with Ed25519 under Ed25519PublicKey(id). Without
// the seed there is no RFC 8032 nonce prefix; the nonce is
// SHA-512(64 random bytes || a || msg), which any Ed25519 verifier accepts.
func signEd25519(id *curve.IdentityKeyPair, msg []byte) []byte {
	a, _ := scalarOf(id)
	A := new(edwards25519.Point).ScalarBaseMult(a).Bytes()
	var z [64]byte
	rand.Read(z[:]) // never fails
	h := sha512.New()
	h.Write(z[:])
	h.Write(a.Bytes())
	h.Write(msg)
	var d [64]byte
	r, _ := new(edwards25519.Scalar).SetUniformBytes(h.Sum(d[:0]))
	R := new(edwards25519.Point).ScalarBaseMult(r).Bytes()
	h.Reset()
	h.Write(R)
	h.Write(A)
	h.Write(msg)
	k, _ := new(edwards25519.Scalar).SetUniformBytes(h.Sum(d[:0]))
	S := new(edwards25519.Scalar).MultiplyAdd(k, a, r)
	clear(z[:])
	clear(d[:])
	return append(R, S.Bytes()...)
}

// verifyEd25519 reports whether sig is an Ed25519 signature of msg by pub.
func verifyEd25519(pub, msg, sig []byte) bool {
	return len(pub) == ed25519.PublicKeySize && len(sig) == ed25519.SignatureSize && ed25519.Verify(pub, msg, sig)
}
