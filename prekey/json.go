package prekey

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh"
)

// MaxPreKeyResponseSize bounds the input of ParsePreKeyResponse: room for
// about a hundred devices (one with every key takes about 2.5 KB).
const MaxPreKeyResponseSize = 256 << 10

// ErrPreKeyResponse is returned (wrapped) by ParsePreKeyResponse for input
// that is not a well-formed PreKeyResponse, and by MarshalPreKeyResponse
// for bundles that do not make one.
var ErrPreKeyResponse = errors.New("prekey: invalid PreKeyResponse")

// The JSON shape of Signal-Server's PreKeyResponse (GET /v2/keys/{id}/{device}).
type preKeyResponse struct {
	IdentityKey string       `json:"identityKey"`
	Devices     []deviceJSON `json:"devices"`
}

type deviceJSON struct {
	DeviceID       uint32         `json:"deviceId"`
	RegistrationID uint32         `json:"registrationId"`
	SignedPreKey   *signedKeyJSON `json:"signedPreKey"`
	PreKey         *keyJSON       `json:"preKey,omitempty"`
	PQPreKey       *signedKeyJSON `json:"pqPreKey,omitempty"`
}

type keyJSON struct {
	KeyID     uint32 `json:"keyId"`
	PublicKey string `json:"publicKey"`
}

type signedKeyJSON struct {
	KeyID     uint32 `json:"keyId"`
	PublicKey string `json:"publicKey"`
	Signature string `json:"signature"`
}

// MarshalPreKeyResponse encodes bundles of one account's devices as
// Signal-Server's PreKeyResponse carries them, so that a server (or a test
// standing in for one) needs no format of its own:
//
//	{"identityKey": "<base64>",
//	 "devices": [{"deviceId": 1, "registrationId": 4242,
//	              "signedPreKey": {"keyId": 1, "publicKey": "<base64>", "signature": "<base64>"},
//	              "preKey":       {"keyId": 7, "publicKey": "<base64>"},
//	              "pqPreKey":     {"keyId": 3, "publicKey": "<base64>", "signature": "<base64>"}}]}
//
// Keys are standard base64 with padding and signatures standard base64
// without padding, as Signal-Server writes them (its key and byte-array
// adapters); preKey and pqPreKey are left out when a bundle has none. The
// bundles must share one identity key (an account has one) and there must
// be at least one; otherwise the error wraps ErrPreKeyResponse.
func MarshalPreKeyResponse(bundles ...*x3dh.Bundle) ([]byte, error) {
	if len(bundles) == 0 || bundles[0] == nil {
		return nil, fmt.Errorf("%w: no bundle", ErrPreKeyResponse)
	}
	identity := bundles[0].IdentityKey
	r := preKeyResponse{IdentityKey: base64.StdEncoding.EncodeToString(identity.Bytes())}
	for _, b := range bundles {
		if b == nil || !b.IdentityKey.Equal(identity) {
			return nil, fmt.Errorf("%w: bundles of different identity keys", ErrPreKeyResponse)
		}
		d := deviceJSON{
			DeviceID:       b.DeviceID,
			RegistrationID: b.RegistrationID,
			SignedPreKey: &signedKeyJSON{
				KeyID:     b.SignedPreKey.ID,
				PublicKey: base64.StdEncoding.EncodeToString(b.SignedPreKey.PublicKey.Bytes()),
				Signature: base64.RawStdEncoding.EncodeToString(b.SignedPreKey.Signature),
			},
		}
		if o := b.OneTimePreKey; o != nil {
			d.PreKey = &keyJSON{KeyID: o.ID, PublicKey: base64.StdEncoding.EncodeToString(o.PublicKey.Bytes())}
		}
		if k := b.KEMPreKey; k != nil {
			d.PQPreKey = &signedKeyJSON{
				KeyID:     k.ID,
				PublicKey: base64.StdEncoding.EncodeToString(k.PublicKey.Bytes()),
				Signature: base64.RawStdEncoding.EncodeToString(k.Signature),
			}
		}
		r.Devices = append(r.Devices, d)
	}
	return json.Marshal(r)
}

// ParsePreKeyResponse decodes a PreKeyResponse (see MarshalPreKeyResponse)
// into one verified bundle per device, in the order of the devices array.
// Base64 is accepted with or without padding; fields it does not know are
// ignored, as a client of a newer server must. It fails with an error
// wrapping ErrPreKeyResponse for malformed JSON, base64 or keys, a device
// without a signed prekey, no devices or input over MaxPreKeyResponseSize,
// and with x3dh.Bundle.Verify's error for a bundle whose signatures do not
// verify.
func ParsePreKeyResponse(data []byte) ([]*x3dh.Bundle, error) {
	if len(data) > MaxPreKeyResponseSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrPreKeyResponse, len(data), MaxPreKeyResponseSize)
	}
	var r preKeyResponse
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPreKeyResponse, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrPreKeyResponse)
	}
	if len(r.Devices) == 0 {
		return nil, fmt.Errorf("%w: no devices", ErrPreKeyResponse)
	}
	identity, err := parseKey(r.IdentityKey, "identityKey")
	if err != nil {
		return nil, err
	}
	var out []*x3dh.Bundle
	for i, d := range r.Devices {
		b, err := d.bundle(identity)
		if err != nil {
			return nil, fmt.Errorf("device %d (index %d): %w", d.DeviceID, i, err)
		}
		out = append(out, b)
	}
	return out, nil
}

func (d *deviceJSON) bundle(identity curve.PublicKey) (*x3dh.Bundle, error) {
	if d.SignedPreKey == nil {
		return nil, fmt.Errorf("%w: no signedPreKey", ErrPreKeyResponse)
	}
	spk, err := parseKey(d.SignedPreKey.PublicKey, "signedPreKey.publicKey")
	if err != nil {
		return nil, err
	}
	sig, err := decode64(d.SignedPreKey.Signature, "signedPreKey.signature")
	if err != nil {
		return nil, err
	}
	signed := x3dh.SignedPreKeyPublic{ID: d.SignedPreKey.KeyID, PublicKey: spk, Signature: sig}
	var otp *x3dh.OneTimePreKeyPublic
	if p := d.PreKey; p != nil {
		k, err := parseKey(p.PublicKey, "preKey.publicKey")
		if err != nil {
			return nil, err
		}
		otp = &x3dh.OneTimePreKeyPublic{ID: p.KeyID, PublicKey: k}
	}
	var kem *x3dh.KEMPreKeyPublic
	if p := d.PQPreKey; p != nil {
		raw, err := decode64(p.PublicKey, "pqPreKey.publicKey")
		if err != nil {
			return nil, err
		}
		k, err := x3dh.ParseKEMPublicKey(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: pqPreKey.publicKey: %w", ErrPreKeyResponse, err)
		}
		sig, err := decode64(p.Signature, "pqPreKey.signature")
		if err != nil {
			return nil, err
		}
		kem = &x3dh.KEMPreKeyPublic{ID: p.KeyID, PublicKey: k, Signature: sig}
	}
	return x3dh.NewBundle(d.RegistrationID, d.DeviceID, identity, signed, otp, kem)
}

func parseKey(s, field string) (curve.PublicKey, error) {
	raw, err := decode64(s, field)
	if err != nil {
		return curve.PublicKey{}, err
	}
	k, err := curve.ParsePublicKey(raw)
	if err != nil {
		return curve.PublicKey{}, fmt.Errorf("%w: %s: %w", ErrPreKeyResponse, field, err)
	}
	return k, nil
}

// decode64 decodes standard base64 with or without padding, as Java's
// Base64 decoder (Signal-Server's) accepts it.
func decode64(s, field string) ([]byte, error) {
	enc := base64.StdEncoding
	if !strings.HasSuffix(s, "=") {
		enc = base64.RawStdEncoding
	}
	b, err := enc.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrPreKeyResponse, field, err)
	}
	return b, nil
}
