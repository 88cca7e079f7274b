package x3dh

import (
	"bytes"
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"google.golang.org/protobuf/encoding/protowire"
)

// Bundle is a peer's published prekey bundle: what Alice fetches from the
// server before she starts a session with Bob's device.
//
// The fields are plain data. NewBundle and ParseBundle check them (Verify);
// Initiate checks them again, so a Bundle assembled field by field is never
// used unchecked.
type Bundle struct {
	// RegistrationID is the device's registration id. The handshake does not
	// use it; the session layer records it.
	RegistrationID uint32
	// DeviceID is the device's id within its account.
	DeviceID uint32
	// IdentityKey is the device owner's identity key, which signs the prekeys.
	IdentityKey curve.PublicKey
	// SignedPreKey is required.
	SignedPreKey SignedPreKeyPublic
	// OneTimePreKey is optional (nil when the server has run out).
	OneTimePreKey *OneTimePreKeyPublic
	// KEMPreKey is required for V4 (PQXDH) and ignored by V3.
	KEMPreKey *KEMPreKeyPublic
}

// NewBundle assembles a bundle and verifies it (see Verify). oneTime and
// kemPreKey may be nil; they are copied.
func NewBundle(registrationID, deviceID uint32, identity curve.PublicKey, signed SignedPreKeyPublic, oneTime *OneTimePreKeyPublic, kemPreKey *KEMPreKeyPublic) (*Bundle, error) {
	b := &Bundle{
		RegistrationID: registrationID,
		DeviceID:       deviceID,
		IdentityKey:    identity,
		SignedPreKey:   signed,
	}
	b.SignedPreKey.Signature = bytes.Clone(signed.Signature)
	if oneTime != nil {
		o := *oneTime
		b.OneTimePreKey = &o
	}
	if kemPreKey != nil {
		k := *kemPreKey
		k.Signature = bytes.Clone(kemPreKey.Signature)
		b.KEMPreKey = &k
	}
	if err := b.Verify(); err != nil {
		return nil, err
	}
	return b, nil
}

// Verify checks that the bundle has an identity key and a signed prekey, that
// no key present is the zero value, and that the signed prekey's signature
// and (if present) the KEM prekey's signature verify under the identity key.
// Errors wrap ErrInvalidBundle, ErrBadSignedPreKeySignature or
// ErrBadKEMSignature.
func (b *Bundle) Verify() error { return b.verify(nil) }

// verify is Verify with the signed prekey's check replaced by verifySPK
// when that is not nil.
func (b *Bundle) verify(verifySPK func(*Bundle) error) error {
	if b.IdentityKey.IsZero() {
		return fmt.Errorf("%w: no identity key", ErrInvalidBundle)
	}
	if b.OneTimePreKey != nil && b.OneTimePreKey.PublicKey.IsZero() {
		return fmt.Errorf("%w: one-time prekey without a key", ErrInvalidBundle)
	}
	if verifySPK != nil {
		if b.SignedPreKey.PublicKey.IsZero() {
			return fmt.Errorf("%w: no signed prekey", ErrInvalidBundle)
		}
		if err := verifySPK(b); err != nil {
			return err
		}
	} else if err := b.SignedPreKey.Verify(b.IdentityKey); err != nil {
		return err
	}
	if b.KEMPreKey != nil {
		if err := b.KEMPreKey.Verify(b.IdentityKey); err != nil {
			return err
		}
	}
	return nil
}

// MaxBundleSize bounds the input of ParseBundle. A bundle with every part
// takes about 1,850 bytes.
const MaxBundleSize = 4096

// Field numbers of the bundle encoding.
const (
	fieldRegistrationID = 1
	fieldDeviceID       = 2
	fieldIdentityKey    = 3
	fieldSignedID       = 4
	fieldSignedKey      = 5
	fieldSignedSig      = 6
	fieldOneTimeID      = 7
	fieldOneTimeKey     = 8
	fieldKEMID          = 9
	fieldKEMKey         = 10
	fieldKEMSig         = 11
)

// MarshalBinary encodes the bundle in this library's bundle format (not a
// libsignal format: Signal's servers hand bundles out as JSON). It is a
// protobuf message with the fields, in this order:
//
//	1 registration_id (varint)   2 device_id (varint)   3 identity_key (33 bytes)
//	4 signed_prekey_id (varint)  5 signed_prekey (33)   6 signed_prekey_signature (64)
//	7 one_time_prekey_id         8 one_time_prekey (33)            (both or neither)
//	9 kem_prekey_id             10 kem_prekey (1569)   11 kem_prekey_signature (64)
//	                                                               (all or none)
//
// Fields 1 to 6 are always written, even when zero. The encoding is
// canonical: ParseBundle accepts exactly the outputs of MarshalBinary.
func (b *Bundle) MarshalBinary() ([]byte, error) {
	out := make([]byte, 0, 2048)
	out = protowire.AppendTag(out, fieldRegistrationID, protowire.VarintType)
	out = protowire.AppendVarint(out, uint64(b.RegistrationID))
	out = protowire.AppendTag(out, fieldDeviceID, protowire.VarintType)
	out = protowire.AppendVarint(out, uint64(b.DeviceID))
	out = protowire.AppendTag(out, fieldIdentityKey, protowire.BytesType)
	out = protowire.AppendBytes(out, b.IdentityKey.Bytes())
	out = protowire.AppendTag(out, fieldSignedID, protowire.VarintType)
	out = protowire.AppendVarint(out, uint64(b.SignedPreKey.ID))
	out = protowire.AppendTag(out, fieldSignedKey, protowire.BytesType)
	out = protowire.AppendBytes(out, b.SignedPreKey.PublicKey.Bytes())
	out = protowire.AppendTag(out, fieldSignedSig, protowire.BytesType)
	out = protowire.AppendBytes(out, b.SignedPreKey.Signature)
	if o := b.OneTimePreKey; o != nil {
		out = protowire.AppendTag(out, fieldOneTimeID, protowire.VarintType)
		out = protowire.AppendVarint(out, uint64(o.ID))
		out = protowire.AppendTag(out, fieldOneTimeKey, protowire.BytesType)
		out = protowire.AppendBytes(out, o.PublicKey.Bytes())
	}
	if k := b.KEMPreKey; k != nil {
		if k.PublicKey.IsZero() {
			return nil, fmt.Errorf("%w: KEM prekey without a key", ErrInvalidBundle)
		}
		out = protowire.AppendTag(out, fieldKEMID, protowire.VarintType)
		out = protowire.AppendVarint(out, uint64(k.ID))
		out = protowire.AppendTag(out, fieldKEMKey, protowire.BytesType)
		out = protowire.AppendBytes(out, k.PublicKey.Bytes())
		out = protowire.AppendTag(out, fieldKEMSig, protowire.BytesType)
		out = protowire.AppendBytes(out, k.Signature)
	}
	return out, nil
}

// ParseBundle decodes the output of MarshalBinary and verifies the result
// (Verify). Malformed input yields an error wrapping ErrBundleEncoding (or
// the curve or KEM key error underneath); a well-formed bundle that fails
// verification yields Verify's error.
func ParseBundle(data []byte) (*Bundle, error) {
	b, err := decodeBundle(data)
	if err != nil {
		return nil, err
	}
	if err := b.Verify(); err != nil {
		return nil, err
	}
	return b, nil
}

func decodeBundle(data []byte) (*Bundle, error) {
	if len(data) > MaxBundleSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBundleEncoding, len(data), MaxBundleSize)
	}
	var (
		b    Bundle
		seen [fieldKEMSig + 1]bool
		last protowire.Number
		in   = data
	)
	var oneTime OneTimePreKeyPublic
	var kemPre KEMPreKeyPublic
	for len(in) > 0 {
		num, typ, n := protowire.ConsumeTag(in)
		if n < 0 {
			return nil, fmt.Errorf("%w: %w", ErrBundleEncoding, protowire.ParseError(n))
		}
		in = in[n:]
		if num < fieldRegistrationID || num > fieldKEMSig || num <= last {
			return nil, fmt.Errorf("%w: field %d unknown, repeated or out of order", ErrBundleEncoding, num)
		}
		last = num
		seen[num] = true
		switch num {
		case fieldRegistrationID, fieldDeviceID, fieldSignedID, fieldOneTimeID, fieldKEMID:
			if typ != protowire.VarintType {
				return nil, fmt.Errorf("%w: field %d has wire type %d", ErrBundleEncoding, num, typ)
			}
			v, n := protowire.ConsumeVarint(in)
			if n < 0 {
				return nil, fmt.Errorf("%w: %w", ErrBundleEncoding, protowire.ParseError(n))
			}
			if v > 0xFFFFFFFF {
				return nil, fmt.Errorf("%w: field %d exceeds 32 bits", ErrBundleEncoding, num)
			}
			in = in[n:]
			switch num {
			case fieldRegistrationID:
				b.RegistrationID = uint32(v)
			case fieldDeviceID:
				b.DeviceID = uint32(v)
			case fieldSignedID:
				b.SignedPreKey.ID = uint32(v)
			case fieldOneTimeID:
				oneTime.ID = uint32(v)
			case fieldKEMID:
				kemPre.ID = uint32(v)
			}
		default:
			if typ != protowire.BytesType {
				return nil, fmt.Errorf("%w: field %d has wire type %d", ErrBundleEncoding, num, typ)
			}
			v, n := protowire.ConsumeBytes(in)
			if n < 0 {
				return nil, fmt.Errorf("%w: %w", ErrBundleEncoding, protowire.ParseError(n))
			}
			in = in[n:]
			var err error
			switch num {
			case fieldIdentityKey:
				b.IdentityKey, err = curve.ParsePublicKey(v)
			case fieldSignedKey:
				b.SignedPreKey.PublicKey, err = curve.ParsePublicKey(v)
			case fieldSignedSig:
				b.SignedPreKey.Signature = bytes.Clone(v)
			case fieldOneTimeKey:
				oneTime.PublicKey, err = curve.ParsePublicKey(v)
			case fieldKEMKey:
				kemPre.PublicKey, err = ParseKEMPublicKey(v)
			case fieldKEMSig:
				kemPre.Signature = bytes.Clone(v)
			}
			if err != nil {
				return nil, fmt.Errorf("%w: field %d: %w", ErrBundleEncoding, num, err)
			}
		}
	}
	for f := fieldRegistrationID; f <= fieldSignedSig; f++ {
		if !seen[f] {
			return nil, fmt.Errorf("%w: field %d missing", ErrBundleEncoding, f)
		}
	}
	switch {
	case seen[fieldOneTimeID] && seen[fieldOneTimeKey]:
		b.OneTimePreKey = &oneTime
	case seen[fieldOneTimeID] || seen[fieldOneTimeKey]:
		return nil, fmt.Errorf("%w: one-time prekey id and key must come together", ErrBundleEncoding)
	}
	switch {
	case seen[fieldKEMID] && seen[fieldKEMKey] && seen[fieldKEMSig]:
		b.KEMPreKey = &kemPre
	case seen[fieldKEMID] || seen[fieldKEMKey] || seen[fieldKEMSig]:
		return nil, fmt.Errorf("%w: KEM prekey id, key and signature must come together", ErrBundleEncoding)
	}
	// Varints may be written in more than one way; accept only the shortest,
	// so that decoding and encoding are inverse bijections.
	if re, err := b.MarshalBinary(); err != nil || !bytes.Equal(re, data) {
		return nil, fmt.Errorf("%w: not in canonical form", ErrBundleEncoding)
	}
	return &b, nil
}
