package x3dh

import (
	"crypto"
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh/internal/core"
)

// Generic is the X3DH and PQXDH key agreement in the specifications' general
// form, for applications that build their own protocol on it rather than
// Signal's: the output is the 32-byte shared key SK and the associated data
// AD = Encode(IK_A) || Encode(IK_B), which the application's first message
// must authenticate.
//
// The curve is X25519 with Encode = 0x05 || u (33 bytes), and
// SK = HKDF(salt = HashLen zero bytes, ikm = 0xFF×32 || DH1 || DH2 || DH3
// [|| DH4] [|| SS], info = Info, 32 bytes) with the chosen hash, where SS is
// the KEM shared secret when PQ is set.
type Generic struct {
	// Hash is crypto.SHA256 or crypto.SHA512.
	Hash crypto.Hash
	// Info is the HKDF info. X3DH uses the application's name; PQXDH
	// specifies the concatenation of the application's name, curve, hash and
	// KEM separated by underscores, such as
	// "MyProtocol_CURVE25519_SHA-512_ML-KEM-1024". It must be at least
	// MinGenericInfoSize bytes (the PQXDH minimum for the name).
	Info string
	// PQ selects PQXDH: the bundle's KEM prekey is required and its shared
	// secret is mixed in. The KEM type is the KEM prekey's.
	PQ bool
	// VerifySignedPreKey, when not nil, replaces the check of the bundle's
	// signed-prekey signature (XEdDSA by IdentityKey over the 33-byte
	// Encode(SPK)), for protocols that sign prekeys another way. XEP-0384
	// (OMEMO 2) publishes identity keys in Ed25519 form and signs the
	// prekey's 32-byte u with Ed25519: the bundle's IdentityKey is then the
	// Montgomery form of that key, which cannot carry the Ed25519 key's sign
	// bit, so the caller verifies against the key it fetched. The function
	// must return an error (wrapping ErrBadSignedPreKeySignature when the
	// signature is wrong) unless the signed prekey is the identity's; every
	// other check of Verify still runs. Such protocols also build their own
	// associated data from the keys they publish (GenericResult.AD uses
	// Encode).
	VerifySignedPreKey func(b *Bundle) error
}

// MinGenericInfoSize is the minimum length of Generic.Info.
const MinGenericInfoSize = 8

// GenericResult is the output of the generic form. Its String and Format
// methods never print SK.
type GenericResult struct {
	// SK is the shared secret key.
	SK [KeySize]byte
	// AD is Encode(IK_A) || Encode(IK_B), 2*curve.PublicKeySize bytes.
	AD []byte
}

// String returns a description with SK redacted.
func (r *GenericResult) String() string {
	return fmt.Sprintf("x3dh.GenericResult(SK REDACTED, AD %x)", r.AD)
}

func (g *Generic) suite() (*core.Suite, error) {
	s, err := core.Generic(g.Hash, g.Info, g.PQ)
	return &s, err
}

// VerifyBundle runs the checks of b that Initiate runs under g: those of
// Bundle.Verify, with the signed prekey's signature checked by
// g.VerifySignedPreKey when that is set.
func (g *Generic) VerifyBundle(b *Bundle) error {
	if b == nil {
		return fmt.Errorf("%w: nil bundle", ErrInvalidBundle)
	}
	return b.verify(g.VerifySignedPreKey)
}

// Initiate runs the initiator's side: it verifies the bundle, makes a fresh
// ephemeral key, encapsulates to the KEM prekey when g.PQ is set, and returns
// SK and AD with the message to send. Errors are those of the package-level
// Initiate, plus ErrInvalidGeneric.
func (g *Generic) Initiate(identity *curve.IdentityKeyPair, bundle *Bundle) (*GenericResult, *Message, error) {
	s, err := g.suite()
	if err != nil {
		return nil, nil, err
	}
	okm, msg, err := initiate(s, identity, bundle, g.VerifySignedPreKey)
	if err != nil {
		return nil, nil, err
	}
	r := &GenericResult{AD: core.AssociatedData(msg.IdentityKey, bundle.IdentityKey)}
	copy(r.SK[:], okm)
	clear(okm)
	return r, msg, nil
}

// Respond runs the responder's side, with the checks of the package-level
// Respond, and returns SK and AD.
func (g *Generic) Respond(keys *ResponderKeys, msg *Message) (*GenericResult, error) {
	s, err := g.suite()
	if err != nil {
		return nil, err
	}
	okm, err := respond(s, keys, msg)
	if err != nil {
		return nil, err
	}
	r := &GenericResult{AD: core.AssociatedData(msg.IdentityKey, keys.Identity.PublicKey())}
	copy(r.SK[:], okm)
	clear(okm)
	return r, nil
}
