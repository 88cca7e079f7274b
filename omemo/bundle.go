package omemo

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh"
)

// Bundle is a device's published bundle (XEP-0384 <bundle/>, in the node
// urn:xmpp:omemo:2:bundles item id=device id for OMEMO 2, or
// eu.siacs.conversations.axolotl.bundles:<device id> for OMEMO 0.3).
//
// Keys are held as curve values; the element carries them in each
// version's form: OMEMO 2 has the identity key in Ed25519 form (32 bytes)
// and prekeys as 32-byte u; OMEMO 0.3 has 33-byte 0x05 || u everywhere.
type Bundle struct {
	// Version is the namespace the bundle belongs to (V2 or V03).
	Version Version
	// DeviceID is the device the bundle belongs to (from the PubSub item
	// or node, not from the element).
	DeviceID uint32
	// IdentityKey is the device's identity key (Montgomery form: the key
	// Diffie-Hellman uses and identity stores keep).
	IdentityKey curve.PublicKey
	// IdentityKeyEd25519 is the identity key as OMEMO 2 publishes it (zero
	// for OMEMO 0.3): the signed prekey's signature verifies under it.
	IdentityKeyEd25519 [Ed25519KeySize]byte
	// SignedPreKeyID, SignedPreKey and SignedPreKeySignature are the signed
	// prekey: OMEMO 2 signs its 32-byte u with Ed25519; OMEMO 0.3 signs
	// 0x05 || u with XEdDSA.
	SignedPreKeyID        uint32
	SignedPreKey          curve.PublicKey
	SignedPreKeySignature []byte
	// PreKeys are the one-time prekeys.
	PreKeys []PreKey
}

// PreKey is a one-time prekey of a bundle.
type PreKey struct {
	// ID is the prekey's id (OMEMO 2: <pk id=''/>; OMEMO 0.3:
	// <preKeyPublic preKeyId=''/>).
	ID uint32
	// PublicKey is the prekey's public key.
	PublicKey curve.PublicKey
}

// GenerateSignedPreKey makes a signed prekey for version v, signed by
// identity as v signs them (Ed25519 over u for OMEMO 2, XEdDSA over
// 0x05 || u for OMEMO 0.3), to store in a session.DeviceStore
// (AddSignedPreKey). A device that speaks both versions keeps one store per
// version, with the same identity.
func GenerateSignedPreKey(v Version, identity *curve.IdentityKeyPair, id uint32) (*x3dh.SignedPreKey, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	spk, err := x3dh.GenerateSignedPreKey(identity, id)
	if err != nil || v == V03 {
		return spk, err
	}
	u := spk.KeyPair.Public.U()
	spk.Signature = signEd25519(identity, u[:])
	return spk, nil
}

// NewBundle returns the bundle of this device: identity, its signed prekey
// and one-time prekeys.
func NewBundle(v Version, deviceID uint32, identity *curve.IdentityKeyPair, spk *x3dh.SignedPreKey, preKeys []*x3dh.OneTimePreKey) (*Bundle, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	b := &Bundle{
		Version:               v,
		DeviceID:              deviceID,
		IdentityKey:           identity.PublicKey(),
		SignedPreKeyID:        spk.ID,
		SignedPreKey:          spk.KeyPair.Public,
		SignedPreKeySignature: bytes.Clone(spk.Signature),
	}
	if v == V2 {
		b.IdentityKeyEd25519 = Ed25519PublicKey(identity)
	}
	for _, k := range preKeys {
		b.PreKeys = append(b.PreKeys, PreKey{ID: k.ID, PublicKey: k.KeyPair.Public})
	}
	if err := b.Verify(); err != nil {
		return nil, err
	}
	return b, nil
}

// Verify checks the signed prekey's signature under the identity key (and,
// for OMEMO 2, that IdentityKey is the Montgomery form of
// IdentityKeyEd25519). Errors wrap ErrBadSignature, ErrInvalidKey or
// ErrVersion.
func (b *Bundle) Verify() error {
	if err := b.Version.check(); err != nil {
		return err
	}
	if b.IdentityKey.IsZero() || b.SignedPreKey.IsZero() {
		return fmt.Errorf("%w: bundle without identity key or signed prekey", ErrInvalidKey)
	}
	if b.Version == V03 {
		if !b.IdentityKey.VerifySignature(b.SignedPreKey.Bytes(), b.SignedPreKeySignature) {
			return ErrBadSignature
		}
		return nil
	}
	mont, err := MontgomeryPublicKey(b.IdentityKeyEd25519[:])
	if err != nil {
		return err
	}
	if mont != b.IdentityKey {
		return fmt.Errorf("%w: identity key does not match its Ed25519 form", ErrInvalidKey)
	}
	u := b.SignedPreKey.U()
	if !verifyEd25519(b.IdentityKeyEd25519[:], u[:], b.SignedPreKeySignature) {
		return ErrBadSignature
	}
	return nil
}

type xmlB64 struct {
	ID      *string `xml:"id,attr"`
	PKID    *string `xml:"preKeyId,attr"`
	SPKID   *string `xml:"signedPreKeyId,attr"`
	Content string  `xml:",chardata"`
}

type xmlBundle struct {
	XMLName xml.Name
	// OMEMO 2
	SPK     *xmlB64  `xml:"spk"`
	SPKS    *xmlB64  `xml:"spks"`
	IK      *xmlB64  `xml:"ik"`
	PK      []xmlB64 `xml:"prekeys>pk"`
	SPKPub  *xmlB64  `xml:"signedPreKeyPublic"`
	SPKSig  *xmlB64  `xml:"signedPreKeySignature"`
	IDKey   *xmlB64  `xml:"identityKey"`
	PKLegal []xmlB64 `xml:"prekeys>preKeyPublic"`
}

// ParseBundle parses a <bundle/> element of either namespace for device
// deviceID and verifies it (Verify). Errors wrap ErrInvalidXML,
// ErrInvalidKey, ErrBadSignature or ErrTooLarge.
func ParseBundle(data []byte, deviceID uint32) (*Bundle, error) {
	var x xmlBundle
	if err := unmarshalXML(data, MaxBundleXMLSize, "MaxBundleXMLSize", &x); err != nil {
		return nil, err
	}
	v, ok := versionOf(x.XMLName.Space)
	if !ok || x.XMLName.Local != "bundle" {
		return nil, fmt.Errorf("%w: root element {%s}%s is not a bundle", ErrInvalidXML, x.XMLName.Space, x.XMLName.Local)
	}
	b := &Bundle{Version: v, DeviceID: deviceID}
	keySize := PublicKeySize
	spk, sig, ik, pks := x.SPK, x.SPKS, x.IK, x.PK
	if v == V03 {
		keySize = curve.PublicKeySize
		spk, sig, ik, pks = x.SPKPub, x.SPKSig, x.IDKey, x.PKLegal
	}
	if spk == nil || sig == nil || ik == nil {
		return nil, fmt.Errorf("%w: bundle lacks the signed prekey, its signature or the identity key", ErrInvalidXML)
	}
	if len(pks) > MaxBundlePreKeys {
		return nil, limit("MaxBundlePreKeys", MaxBundlePreKeys, len(pks))
	}
	id := func(x *xmlB64) (uint32, error) {
		a := x.ID
		if v == V03 {
			a = x.PKID
			if x.SPKID != nil {
				a = x.SPKID
			}
		}
		if a == nil {
			return 0, fmt.Errorf("%w: key without id", ErrInvalidXML)
		}
		return parseUint32("key id", *a)
	}
	key := func(what string, x *xmlB64) (curve.PublicKey, error) {
		raw, err := decodeB64(what, x.Content, keySize)
		if err != nil {
			return curve.PublicKey{}, err
		}
		var k curve.PublicKey
		if v == V2 {
			k, err = curve.NewPublicKey(raw)
		} else {
			k, err = curve.ParsePublicKey(raw)
		}
		if err != nil {
			return curve.PublicKey{}, fmt.Errorf("%w: %s: %w", ErrInvalidKey, what, err)
		}
		return k, nil
	}
	var err error
	if b.SignedPreKeyID, err = id(spk); err != nil {
		return nil, err
	}
	if b.SignedPreKey, err = key("signed prekey", spk); err != nil {
		return nil, err
	}
	if b.SignedPreKeySignature, err = decodeB64("signature", sig.Content, 64); err != nil {
		return nil, err
	}
	if v == V2 {
		raw, err := decodeB64("identity key", ik.Content, Ed25519KeySize)
		if err != nil {
			return nil, err
		}
		copy(b.IdentityKeyEd25519[:], raw)
		if b.IdentityKey, err = MontgomeryPublicKey(raw); err != nil {
			return nil, err
		}
	} else if b.IdentityKey, err = key("identity key", ik); err != nil {
		return nil, err
	}
	b.PreKeys = make([]PreKey, 0, len(pks))
	for i := range pks {
		var p PreKey
		if p.ID, err = id(&pks[i]); err != nil {
			return nil, err
		}
		if p.PublicKey, err = key("prekey", &pks[i]); err != nil {
			return nil, err
		}
		b.PreKeys = append(b.PreKeys, p)
	}
	if err := b.Verify(); err != nil {
		return nil, err
	}
	return b, nil
}

// XML returns the <bundle/> element.
func (b *Bundle) XML() ([]byte, error) {
	if err := b.Version.check(); err != nil {
		return nil, err
	}
	var s strings.Builder
	ns := b.Version.Namespace()
	if b.Version == V2 {
		u := b.SignedPreKey.U()
		fmt.Fprintf(&s, "<bundle xmlns='%s'><spk id='%d'>%s</spk><spks>%s</spks><ik>%s</ik><prekeys>",
			ns, b.SignedPreKeyID, b64(u[:]), b64(b.SignedPreKeySignature), b64(b.IdentityKeyEd25519[:]))
		for _, p := range b.PreKeys {
			u := p.PublicKey.U()
			fmt.Fprintf(&s, "<pk id='%d'>%s</pk>", p.ID, b64(u[:]))
		}
	} else {
		fmt.Fprintf(&s, "<bundle xmlns='%s'><signedPreKeyPublic signedPreKeyId='%d'>%s</signedPreKeyPublic><signedPreKeySignature>%s</signedPreKeySignature><identityKey>%s</identityKey><prekeys>",
			ns, b.SignedPreKeyID, b64(b.SignedPreKey.Bytes()), b64(b.SignedPreKeySignature), b64(b.IdentityKey.Bytes()))
		for _, p := range b.PreKeys {
			fmt.Fprintf(&s, "<preKeyPublic preKeyId='%d'>%s</preKeyPublic>", p.ID, b64(p.PublicKey.Bytes()))
		}
	}
	s.WriteString("</prekeys></bundle>")
	return []byte(s.String()), nil
}

// x3dhBundle returns the x3dh.Bundle of the prekey index i (-1: none).
func (b *Bundle) x3dhBundle(i int) *x3dh.Bundle {
	xb := &x3dh.Bundle{
		DeviceID:    b.DeviceID,
		IdentityKey: b.IdentityKey,
		SignedPreKey: x3dh.SignedPreKeyPublic{
			ID:        b.SignedPreKeyID,
			PublicKey: b.SignedPreKey,
			Signature: b.SignedPreKeySignature,
		},
	}
	if i >= 0 {
		xb.OneTimePreKey = &x3dh.OneTimePreKeyPublic{ID: b.PreKeys[i].ID, PublicKey: b.PreKeys[i].PublicKey}
	}
	return xb
}
