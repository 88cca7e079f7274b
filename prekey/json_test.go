package prekey_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/prekey"
	"github.com/forwardsecret/signal/x3dh"
)

// twoDevices returns the bundles of two devices of one account: one with
// every key, one with only a signed prekey.
func twoDevices(t testing.TB) []*x3dh.Bundle {
	t.Helper()
	identity, _ := curve.GenerateIdentityKeyPair()
	set, err := prekey.Generate(identity, prekey.IDs{PreKey: 7, KEMPreKey: 3, SignedPreKey: 1},
		prekey.Request{SignedPreKey: true, LastResortKEMPreKey: true, OneTimePreKeys: 1})
	if err != nil {
		t.Fatal(err)
	}
	full, err := set.Public().Bundle(4242, 1, 7, 0)
	if err != nil {
		t.Fatal(err)
	}
	set2, _ := prekey.Generate(identity, prekey.IDs{SignedPreKey: 9}, prekey.Request{SignedPreKey: true})
	bare, err := set2.Public().Bundle(77, 2, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return []*x3dh.Bundle{full, bare}
}

func TestPreKeyResponseRoundTrip(t *testing.T) {
	bundles := twoDevices(t)
	data, err := prekey.MarshalPreKeyResponse(bundles...)
	if err != nil {
		t.Fatal(err)
	}
	got, err := prekey.ParsePreKeyResponse(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, bundles) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, bundles)
	}
	again, _ := prekey.MarshalPreKeyResponse(got...)
	if string(again) != string(data) {
		t.Fatalf("re-encoding differs:\n%s\n%s", again, data)
	}
}

// TestPreKeyResponseShape checks the field names and encodings against
// Signal-Server's PreKeyResponse: identityKey and devices[] of deviceId,
// registrationId, signedPreKey {keyId, publicKey, signature}, preKey
// {keyId, publicKey} and pqPreKey {keyId, publicKey, signature}; keys in
// padded base64, signatures unpadded; absent keys left out.
func TestPreKeyResponseShape(t *testing.T) {
	bundles := twoDevices(t)
	data, err := prekey.MarshalPreKeyResponse(bundles...)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b := bundles[0]
	std, raw := base64.StdEncoding.EncodeToString, base64.RawStdEncoding.EncodeToString
	want := map[string]any{
		"identityKey": std(b.IdentityKey.Bytes()),
		"devices": []any{
			map[string]any{
				"deviceId": 1.0, "registrationId": 4242.0,
				"signedPreKey": map[string]any{"keyId": 1.0, "publicKey": std(b.SignedPreKey.PublicKey.Bytes()), "signature": raw(b.SignedPreKey.Signature)},
				"preKey":       map[string]any{"keyId": 7.0, "publicKey": std(b.OneTimePreKey.PublicKey.Bytes())},
				"pqPreKey":     map[string]any{"keyId": 3.0, "publicKey": std(b.KEMPreKey.PublicKey.Bytes()), "signature": raw(b.KEMPreKey.Signature)},
			},
			map[string]any{
				"deviceId": 2.0, "registrationId": 77.0,
				"signedPreKey": map[string]any{"keyId": 9.0, "publicKey": std(bundles[1].SignedPreKey.PublicKey.Bytes()), "signature": raw(bundles[1].SignedPreKey.Signature)},
			},
		},
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("shape:\n got %v\nwant %v", v, want)
	}
}

// TestPreKeyResponseLenient: padding either way, unknown fields and a null
// preKey are accepted, as from a real server.
func TestPreKeyResponseLenient(t *testing.T) {
	b := twoDevices(t)[0]
	std, raw := base64.StdEncoding.EncodeToString, base64.RawStdEncoding.EncodeToString
	data := fmt.Sprintf(`{"identityKey":%q,"extra":[1,2],"devices":[{"deviceId":1,"registrationId":4242,"future":true,
		"signedPreKey":{"keyId":1,"publicKey":%q,"signature":%q},"preKey":null,
		"pqPreKey":{"keyId":3,"publicKey":%q,"signature":%q}}]}`,
		raw(b.IdentityKey.Bytes()), raw(b.SignedPreKey.PublicKey.Bytes()), std(b.SignedPreKey.Signature),
		std(b.KEMPreKey.PublicKey.Bytes()), std(b.KEMPreKey.Signature))
	got, err := prekey.ParsePreKeyResponse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].OneTimePreKey != nil || got[0].KEMPreKey.ID != 3 || !got[0].IdentityKey.Equal(b.IdentityKey) {
		t.Fatalf("parsed %+v", got)
	}
}

func TestPreKeyResponseRefuses(t *testing.T) {
	bundles := twoDevices(t)
	good, _ := prekey.MarshalPreKeyResponse(bundles...)
	s := string(good)
	sig := base64.RawStdEncoding.EncodeToString(bundles[0].SignedPreKey.Signature)
	// The forged signature replaces the first character by the next one of
	// the base64 alphabet: still valid base64 whatever the random signature
	// is (flipping a bit of the character turned 'A', 'Z', 'a', 'z', '+'
	// and '/' into invalid base64, a parse error in 6 runs of 64), and a
	// change to the top six bits of the first byte, which is part of R.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	badSig := []byte(sig)
	badSig[0] = alphabet[(strings.IndexByte(alphabet, sig[0])+1)%len(alphabet)]
	for _, tc := range []struct {
		name string
		data string
		want error
	}{
		{"empty", "", prekey.ErrPreKeyResponse},
		{"not json", "{", prekey.ErrPreKeyResponse},
		{"trailing", s + "{}", prekey.ErrPreKeyResponse},
		{"no devices", `{"identityKey":"BQ==","devices":[]}`, prekey.ErrPreKeyResponse},
		{"bad base64", strings.Replace(s, sig, "!!", 1), prekey.ErrPreKeyResponse},
		{"bad identity", strings.Replace(s, `"identityKey":"B`, `"identityKey":"C`, 1), prekey.ErrPreKeyResponse},
		{"no signed prekey", strings.Replace(s, `"signedPreKey":`, `"otherKey":`, 1), prekey.ErrPreKeyResponse},
		{"negative id", strings.Replace(s, `"deviceId":1`, `"deviceId":-1`, 1), prekey.ErrPreKeyResponse},
		{"id over 32 bits", strings.Replace(s, `"deviceId":1`, `"deviceId":4294967296`, 1), prekey.ErrPreKeyResponse},
		{"forged signature", strings.Replace(s, sig, string(badSig), 1), x3dh.ErrBadSignedPreKeySignature},
		{"too large", strings.Repeat(" ", prekey.MaxPreKeyResponseSize) + s, prekey.ErrPreKeyResponse},
	} {
		if _, err := prekey.ParsePreKeyResponse([]byte(tc.data)); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	other := twoDevices(t)[1]
	if _, err := prekey.MarshalPreKeyResponse(bundles[0], other); !errors.Is(err, prekey.ErrPreKeyResponse) {
		t.Errorf("two identities: %v", err)
	}
	if _, err := prekey.MarshalPreKeyResponse(); !errors.Is(err, prekey.ErrPreKeyResponse) {
		t.Errorf("no bundles: %v", err)
	}
}

// FuzzParsePreKeyResponse: the parser never panics, and what it accepts
// encodes and parses again to the same bundles.
func FuzzParsePreKeyResponse(f *testing.F) {
	good, err := prekey.MarshalPreKeyResponse(twoDevices(f)...)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"identityKey":"BQ","devices":[{"deviceId":1,"signedPreKey":null}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		bundles, err := prekey.ParsePreKeyResponse(data)
		if err != nil {
			return
		}
		enc, err := prekey.MarshalPreKeyResponse(bundles...)
		if err != nil {
			t.Fatalf("accepted bundles do not encode: %v", err)
		}
		again, err := prekey.ParsePreKeyResponse(enc)
		if err != nil || !reflect.DeepEqual(again, bundles) {
			t.Fatalf("re-parse: %v", err)
		}
	})
}
