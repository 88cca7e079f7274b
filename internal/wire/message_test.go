package wire

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

var (
	testRatchetKey = cat(h(0x05), seq(0x10, 32))
	testBaseKey    = cat(h(0x05), seq(0x40, 32))
	testIdentity   = cat(h(0x05), seq(0x70, 32))
	testMAC        = [MACSize]byte{0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7}
)

func TestSignalMessageExactBytes(t *testing.T) {
	m := SignalMessage{
		Version:        VersionV4,
		CurrentVersion: VersionV4,
		RatchetKey:     testRatchetKey,
		Counter:        0, // zero counters are still written
		Ciphertext:     rep(0xcc, 16),
	}
	want := cat(
		h(0x44),
		h(0x0a, 33), testRatchetKey, // 1: ratchet_key
		h(0x10, 0x00),              // 2: counter
		h(0x18, 0x00),              // 3: previous_counter
		h(0x22, 16), rep(0xcc, 16), // 4: ciphertext
	)
	got := must(m.AppendUnsigned(nil))
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendUnsigned =\n%x\nwant\n%x", got, want)
	}
	if m.EncodedLen() != len(want)+MACSize {
		t.Errorf("EncodedLen = %d, want %d", m.EncodedLen(), len(want)+MACSize)
	}

	// Every field, multi-byte varints and lengths.
	m = SignalMessage{
		Version:         VersionV4,
		CurrentVersion:  VersionV4,
		RatchetKey:      testRatchetKey,
		Counter:         300,        // 0xac 0x02
		PreviousCounter: 0xffffffff, // 0xff 0xff 0xff 0xff 0x0f
		Ciphertext:      rep(0xcc, 160),
		PQRatchet:       cat(h(0x01), rep(0x99, 40)),
		Addresses:       rep(0xad, AddressesSize),
	}
	want = cat(
		h(0x44),
		h(0x0a, 33), testRatchetKey,
		h(0x10, 0xac, 0x02),
		h(0x18, 0xff, 0xff, 0xff, 0xff, 0x0f),
		h(0x22, 0xa0, 0x01), rep(0xcc, 160),
		h(0x2a, 41, 0x01), rep(0x99, 40),
		h(0x32, 36), rep(0xad, 36),
	)
	got = must(m.AppendUnsigned([]byte("prefix")))
	if !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Fatalf("AppendUnsigned =\n%x\nwant prefix ||\n%x", got, want)
	}

	// v3: 0x33, and an explicit current version.
	// Byte 0 is written as given: v3 peers send 0x33, libsignal wrote 0x34
	// for v3, and a zero low nibble stays zero.
	m = SignalMessage{Version: VersionV3, RatchetKey: testRatchetKey, Counter: 1, Ciphertext: rep(0xcc, 16)}
	for cur, want := range map[uint8]byte{3: 0x33, 4: 0x34, 0: 0x30, 15: 0x3f} {
		m.CurrentVersion = cur
		if got := must(m.AppendUnsigned(nil)); got[0] != want {
			t.Errorf("v3/current %d: first byte = %#x, want %#x", cur, got[0], want)
		}
	}
}

func TestSignalMessageEncodeInvalid(t *testing.T) {
	for _, m := range []SignalMessage{
		{Version: 2}, {Version: 5}, {Version: 0}, {Version: 4, CurrentVersion: 16},
	} {
		out, err := m.AppendUnsigned([]byte{1})
		wantErr(t, err, ErrInvalidField)
		if !bytes.Equal(out, []byte{1}) {
			t.Errorf("dst modified on error")
		}
	}
}

func testSignalMessage() *SignalMessage {
	return &SignalMessage{
		Version:         VersionV4,
		CurrentVersion:  VersionV4,
		RatchetKey:      testRatchetKey,
		Counter:         7,
		PreviousCounter: 3,
		Ciphertext:      rep(0xcc, 32),
		PQRatchet:       cat(h(0x01, 0x02, 0x03, 0x00)),
		Addresses:       rep(0xad, AddressesSize),
	}
}

func sealSignalMessage(t testing.TB, m *SignalMessage) []byte {
	t.Helper()
	b := must(m.AppendUnsigned(nil))
	return append(b, testMAC[:]...)
}

func TestSignalMessageRoundTrip(t *testing.T) {
	for _, m := range []*SignalMessage{
		testSignalMessage(),
		{Version: VersionV3, CurrentVersion: 3, RatchetKey: testRatchetKey, Ciphertext: rep(1, 16)},
		{Version: VersionV3, CurrentVersion: 0, RatchetKey: testRatchetKey, Ciphertext: rep(1, 16)},
		{Version: VersionV4, CurrentVersion: 4, RatchetKey: testRatchetKey, Counter: 1 << 31, PreviousCounter: 1<<32 - 1, Ciphertext: rep(1, 4096)},
	} {
		enc := sealSignalMessage(t, m)
		got, err := ParseSignalMessage(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(&got.SignalMessage, m) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got.SignalMessage, *m)
		}
		if !bytes.Equal(got.MACInput, enc[:len(enc)-MACSize]) || got.MAC != testMAC {
			t.Errorf("MACInput/MAC not the received bytes")
		}
		// The result does not alias the input.
		enc[len(enc)-MACSize-1] ^= 0xff
		if got.MACInput[len(got.MACInput)-1] == enc[len(enc)-MACSize-1] {
			t.Errorf("parse result aliases the caller's buffer")
		}
	}
}

// TestSignalMessageMACInputIsReceived checks that MACInput is the received
// bytes even when they are not the canonical encoding: fields out of order,
// an unknown field, an overlong varint.
func TestSignalMessageMACInputIsReceived(t *testing.T) {
	body := cat(
		h(0x44),
		h(0x22, 16), rep(0xcc, 16), // ciphertext first
		h(0x10, 0x85, 0x80, 0x00), // counter 5 as an overlong varint
		h(0x0a, 33), testRatchetKey,
		h(0x78, 0x01),                   // field 15 varint: unknown
		h(0x82, 0x01, 0x02, 0xde, 0xad), // field 16 bytes: unknown
	)
	enc := append(bytes.Clone(body), testMAC[:]...)
	m, err := ParseSignalMessage(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.MACInput, body) {
		t.Fatalf("MACInput = %x, want the received %x", m.MACInput, body)
	}
	if m.Counter != 5 || m.PreviousCounter != 0 || !bytes.Equal(m.RatchetKey, testRatchetKey) ||
		!bytes.Equal(m.Ciphertext, rep(0xcc, 16)) || m.PQRatchet != nil || m.Addresses != nil {
		t.Fatalf("fields = %+v", m.SignalMessage)
	}
	reenc := must(m.AppendUnsigned(nil))
	if bytes.Equal(reenc, body) {
		t.Fatal("test input was canonical; it should not be")
	}
}

func TestSignalMessageVersions(t *testing.T) {
	valid := sealSignalMessage(t, testSignalMessage())
	for b0 := 0; b0 < 256; b0++ {
		enc := bytes.Clone(valid)
		enc[0] = byte(b0)
		m, err := ParseSignalMessage(enc)
		switch v := b0 >> 4; {
		case v < 3:
			wantErr(t, err, ErrLegacyVersion)
			var ve *VersionError
			if !errors.As(err, &ve) || ve.Version != uint8(v) {
				t.Errorf("byte %#x: VersionError = %v", b0, err)
			}
		case v > 4:
			wantErr(t, err, ErrUnknownVersion)
		default:
			if err != nil {
				t.Fatalf("byte %#x: %v", b0, err)
			}
			if m.Version != uint8(v) || m.CurrentVersion != uint8(b0&15) {
				t.Errorf("byte %#x: version %d/%d", b0, m.Version, m.CurrentVersion)
			}
		}
	}
	if errors.Is(ErrLegacyVersion, ErrUnknownVersion) {
		t.Fatal("version sentinels are not distinct")
	}
}

func TestSignalMessageMissingFields(t *testing.T) {
	key := cat(h(0x0a, 33), testRatchetKey)
	ctr := h(0x10, 0x01)
	prev := h(0x18, 0x01)
	ct := cat(h(0x22, 16), rep(0xcc, 16))
	for _, tc := range []struct {
		body  []byte
		field string
	}{
		{cat(ctr, prev, ct), "ratchet_key"},
		{cat(key, prev, ct), "counter"},
		{cat(key, ctr, prev), "ciphertext"},
		{nil, "ratchet_key"},
	} {
		_, err := ParseSignalMessage(cat(h(0x44), tc.body, testMAC[:]))
		wantErr(t, err, ErrMissingField)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || fe.Message != "SignalMessage" {
			t.Errorf("error %v, want missing %s", err, tc.field)
		}
		if !strings.HasPrefix(err.Error(), "wire: ") || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("error text %q", err)
		}
	}
	// previous_counter is optional (libsignal: unwrap_or(0)); present but
	// empty ciphertext is accepted at this layer.
	m, err := ParseSignalMessage(cat(h(0x44), key, ctr, h(0x22, 0), testMAC[:]))
	if err != nil || m.PreviousCounter != 0 || m.Ciphertext != nil {
		t.Fatalf("optional previous_counter: %v %+v", err, m)
	}
}

func TestSignalMessageMalformed(t *testing.T) {
	key := cat(h(0x0a, 33), testRatchetKey)
	ct := cat(h(0x22, 16), rep(0xcc, 16))
	for name, tc := range map[string]struct {
		body []byte
		err  error
	}{
		"counter as bytes":    {cat(key, h(0x12, 0x01, 0x00), ct), ErrMalformed},
		"key as varint":       {cat(h(0x08, 0x01), h(0x10, 0x01), ct), ErrMalformed},
		"key as fixed32":      {cat(h(0x0d, 1, 2, 3, 4), h(0x10, 0x01), ct), ErrMalformed},
		"field zero":          {cat(key, h(0x10, 0x01), ct, h(0x00, 0x00)), ErrMalformed},
		"wire type 6":         {cat(key, h(0x10, 0x01), ct, h(0x0e)), ErrMalformed},
		"end group":           {cat(key, h(0x10, 0x01), ct, h(0x7c)), ErrMalformed},
		"varint overflow":     {cat(key, h(0x10), rep(0xff, 9), h(0x02), ct), ErrMalformed},
		"unterminated varint": {cat(key, ct, h(0x10, 0x80)), ErrTruncated},
		"length past the end": {cat(key, h(0x10, 0x01), h(0x22, 17), rep(0xcc, 16)), ErrTruncated},
		"unterminated tag":    {cat(key, h(0x10, 0x01), ct, h(0x80)), ErrTruncated},
		"unclosed group":      {cat(key, h(0x10, 0x01), ct, h(0x7b, 0x08, 0x01)), ErrTruncated},
		"field number 2^29":   {cat(key, h(0x10, 0x01), ct, h(0x80, 0x80, 0x80, 0x80, 0x10, 0x00)), ErrMalformed},
		"huge length":         {cat(key, h(0x10, 0x01), h(0x22, 0xff, 0xff, 0xff, 0xff, 0x0f), ct), ErrTruncated},
	} {
		_, err := ParseSignalMessage(cat(h(0x44), tc.body, testMAC[:]))
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: error = %v, want %v", name, err, tc.err)
		}
	}
	// The largest valid field number is skipped like any unknown field.
	if _, err := ParseSignalMessage(cat(h(0x44), key, h(0x10, 0x01), ct, h(0xf8, 0xff, 0xff, 0xff, 0x0f, 0x00), testMAC[:])); err != nil {
		t.Errorf("field number 2^29-1: %v", err)
	}
	// Unknown groups are skipped.
	m, err := ParseSignalMessage(cat(h(0x44), key, h(0x10, 0x01), h(0x7b, 0x08, 0x01, 0x7c), ct, testMAC[:]))
	if err != nil || m.Counter != 1 {
		t.Fatalf("unknown group: %v", err)
	}
	// Too short for version byte + MAC.
	for n := 0; n < 1+MACSize; n++ {
		_, err := ParseSignalMessage(rep(0x44, n))
		wantErr(t, err, ErrTruncated)
	}
	_, err = ParseSignalMessage(make([]byte, MaxMessageSize+1))
	wantErr(t, err, ErrMalformed)
}

func TestSignalMessageLastWins(t *testing.T) {
	enc := cat(h(0x44),
		h(0x0a, 1, 0xee), h(0x10, 0x01), h(0x22, 1, 0xee),
		h(0x0a, 33), testRatchetKey, h(0x10, 0x02), h(0x22, 16), rep(0xcc, 16),
		testMAC[:])
	m, err := ParseSignalMessage(enc)
	if err != nil {
		t.Fatal(err)
	}
	if m.Counter != 2 || !bytes.Equal(m.RatchetKey, testRatchetKey) || len(m.Ciphertext) != 16 {
		t.Fatalf("last occurrence did not win: %+v", m.SignalMessage)
	}
}

func TestSignalMessageFieldsDoNotOverlap(t *testing.T) {
	m, err := ParseSignalMessage(sealSignalMessage(t, testSignalMessage()))
	if err != nil {
		t.Fatal(err)
	}
	ct := bytes.Clone(m.Ciphertext)
	_ = append(m.RatchetKey, 0xff, 0xff, 0xff, 0xff) // must reallocate
	_ = append(m.MACInput, 0xff)
	if !bytes.Equal(m.Ciphertext, ct) || m.MAC != testMAC {
		t.Fatal("appending to a parsed field overwrote another")
	}
}

// testKyberCT is a 1569-byte Kyber1024 ciphertext shape: 0x08 || 1568 bytes.
func testKyberCT() []byte {
	ct := make([]byte, 1569)
	ct[0] = 0x08
	for i := 1; i < len(ct); i++ {
		ct[i] = byte(i % 251)
	}
	return ct
}

func testPreKeyMessage(t testing.TB) *PreKeySignalMessage {
	return &PreKeySignalMessage{
		Version:         VersionV4,
		CurrentVersion:  VersionV4,
		RegistrationID:  0x3fff,
		PreKeyID:        0x00abcdef,
		HasPreKeyID:     true,
		SignedPreKeyID:  0x00123456,
		KyberPreKeyID:   0x00fedcba,
		KyberCiphertext: testKyberCT(),
		BaseKey:         testBaseKey,
		IdentityKey:     testIdentity,
		Message:         sealSignalMessage(t, testSignalMessage()),
	}
}

func TestPreKeySignalMessageExactBytes(t *testing.T) {
	m := testPreKeyMessage(t)
	if len(m.KyberCiphertext) != 1569 {
		t.Fatalf("kyber ct %d", len(m.KyberCiphertext))
	}
	inner := m.Message
	want := cat(
		h(0x44),
		h(0x08, 0xef, 0x9b, 0xaf, 0x05), // 1: pre_key_id 0xabcdef
		h(0x12, 33), testBaseKey,        // 2: base_key
		h(0x1a, 33), testIdentity, // 3: identity_key
		h(0x22, byte(len(inner))), inner, // 4: message
		h(0x28, 0xff, 0x7f),                // 5: registration_id 0x3fff
		h(0x30, 0xd6, 0xe8, 0x48),          // 6: signed_pre_key_id 0x123456
		h(0x38, 0xba, 0xb9, 0xfb, 0x07),    // 7: kyber_pre_key_id 0xfedcba
		h(0x42, 0xa1, 0x0c), testKyberCT(), // 8: kyber_ciphertext, 1569 bytes
	)
	if len(inner) > 127 {
		t.Fatalf("inner message too long for the one-byte length above")
	}
	got := must(m.Append(nil))
	if !bytes.Equal(got, want) {
		t.Fatalf("Append =\n%x\nwant\n%x", got, want)
	}
	if m.EncodedLen() != len(want) {
		t.Errorf("EncodedLen %d want %d", m.EncodedLen(), len(want))
	}

	// v3: no pre_key_id, no Kyber; registration id 0 still written.
	m3 := &PreKeySignalMessage{Version: VersionV3, CurrentVersion: VersionV3, SignedPreKeyID: 1, BaseKey: testBaseKey, IdentityKey: testIdentity, Message: h(0x33, 1, 2, 3, 4, 5, 6, 7, 8, 9)}
	want3 := cat(h(0x33), h(0x12, 33), testBaseKey, h(0x1a, 33), testIdentity, h(0x22, 10, 0x33, 1, 2, 3, 4, 5, 6, 7, 8, 9), h(0x28, 0x00), h(0x30, 0x01))
	if got := must(m3.Append(nil)); !bytes.Equal(got, want3) {
		t.Fatalf("v3 Append =\n%x\nwant\n%x", got, want3)
	}
}

func TestPreKeySignalMessageEncodeInvalid(t *testing.T) {
	m := testPreKeyMessage(t)
	m.KyberCiphertext = nil
	_, err := m.Append(nil)
	wantErr(t, err, ErrInvalidField)
	m = testPreKeyMessage(t)
	m.Version = 5
	_, err = m.Append(nil)
	wantErr(t, err, ErrInvalidField)
}

func TestPreKeySignalMessageRoundTrip(t *testing.T) {
	m := testPreKeyMessage(t)
	m3 := &PreKeySignalMessage{Version: VersionV3, CurrentVersion: 3, RegistrationID: 9, SignedPreKeyID: 1 << 31,
		BaseKey: testBaseKey, IdentityKey: testIdentity, Message: sealSignalMessage(t, &SignalMessage{Version: 3, CurrentVersion: 3, RatchetKey: testRatchetKey, Ciphertext: rep(7, 16)})}
	for _, m := range []*PreKeySignalMessage{m, m3} {
		enc := must(m.Append(nil))
		got, err := ParsePreKeySignalMessage(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(&got.PreKeySignalMessage, m) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got.PreKeySignalMessage, *m)
		}
		inner, err := ParseSignalMessage(m.Message)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(&got.Inner, inner) {
			t.Errorf("inner:\n got %+v\nwant %+v", got.Inner, *inner)
		}
	}
}

func TestPreKeySignalMessageRules(t *testing.T) {
	inner := sealSignalMessage(t, testSignalMessage())
	pre := h(0x08, 0x01)
	base := cat(h(0x12, 33), testBaseKey)
	ident := cat(h(0x1a, 33), testIdentity)
	msg := cat(h(0x22, byte(len(inner))), inner)
	reg := h(0x28, 0x01)
	spk := h(0x30, 0x02)
	kid := h(0x38, 0x03)
	kct := cat(h(0x42, 0x04), rep(0x08, 4))
	for name, tc := range map[string]struct {
		enc   []byte
		err   error
		field string
	}{
		"ok v4":             {cat(h(0x44), pre, base, ident, msg, reg, spk, kid, kct), nil, ""},
		"ok v4 any order":   {cat(h(0x44), kct, reg, msg, spk, ident, kid, base), nil, ""},
		"ok v3 no kyber":    {cat(h(0x33), base, ident, msg, spk), nil, ""},
		"ok v3 with kyber":  {cat(h(0x34), base, ident, msg, spk, kid, kct), nil, ""},
		"v4 no kyber":       {cat(h(0x44), pre, base, ident, msg, reg, spk), ErrMissingField, "kyber_ciphertext"},
		"kyber id only":     {cat(h(0x44), base, ident, msg, spk, kid), ErrInvalidField, "kyber_pre_key_id"},
		"kyber ct only":     {cat(h(0x34), base, ident, msg, spk, kct), ErrInvalidField, "kyber_pre_key_id"},
		"kyber ct empty":    {cat(h(0x44), base, ident, msg, spk, kid, h(0x42, 0x00)), ErrInvalidField, "kyber_ciphertext"},
		"no base key":       {cat(h(0x44), ident, msg, spk, kid, kct), ErrMissingField, "base_key"},
		"no identity":       {cat(h(0x44), base, msg, spk, kid, kct), ErrMissingField, "identity_key"},
		"no message":        {cat(h(0x44), base, ident, spk, kid, kct), ErrMissingField, "message"},
		"no signed pre key": {cat(h(0x44), base, ident, msg, kid, kct), ErrMissingField, "signed_pre_key_id"},
		"legacy":            {cat(h(0x22), base, ident, msg, spk), ErrLegacyVersion, ""},
		"unknown":           {cat(h(0x54), base, ident, msg, spk, kid, kct), ErrUnknownVersion, ""},
		"empty":             {nil, ErrTruncated, ""},
		"bad inner":         {cat(h(0x44), base, ident, h(0x22, 3, 0x44, 0, 0), spk, kid, kct), ErrTruncated, ""},
		"inner legacy":      {cat(h(0x44), base, ident, h(0x22, 9, 0x24, 1, 2, 3, 4, 5, 6, 7, 8), spk, kid, kct), ErrLegacyVersion, ""},
		"unknown field":     {cat(h(0x44), h(0x48, 0x01), base, ident, msg, spk, kid, kct, h(0x52, 0x01, 0x00)), nil, ""},
		"spk wrong type":    {cat(h(0x44), base, ident, msg, h(0x32, 0x00), kid, kct), ErrMalformed, "signed_pre_key_id"},
	} {
		m, err := ParsePreKeySignalMessage(tc.enc)
		if tc.err == nil {
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if !bytes.Equal(m.Message, inner) || m.Inner.Counter != 7 || !bytes.Equal(m.BaseKey, testBaseKey) {
				t.Errorf("%s: fields %+v", name, m)
			}
			continue
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: error = %v, want %v", name, err, tc.err)
			continue
		}
		var fe *FieldError
		if tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field) {
			t.Errorf("%s: error %v does not name %s", name, err, tc.field)
		}
	}
}

// TestTruncations parses every prefix of valid messages: each must fail
// (they all lose a required part) without panicking, except where a
// prefix is itself a valid message, which must then re-encode stably.
func TestTruncations(t *testing.T) {
	sm := sealSignalMessage(t, testSignalMessage())
	pk := must(testPreKeyMessage(t).Append(nil))
	skm := testSenderKeyMessage().AppendUnsigned(nil)
	skm = append(skm, rep(0x5e, SignatureSize)...)
	skdm := must(testSKDM().Append(nil))
	for name, tc := range map[string]struct {
		enc   []byte
		parse func([]byte) error
	}{
		"SignalMessage":                {sm, func(b []byte) error { _, err := ParseSignalMessage(b); return err }},
		"PreKeySignalMessage":          {pk, func(b []byte) error { _, err := ParsePreKeySignalMessage(b); return err }},
		"SenderKeyMessage":             {skm, func(b []byte) error { _, err := ParseSenderKeyMessage(b); return err }},
		"SenderKeyDistributionMessage": {skdm, func(b []byte) error { _, err := ParseSenderKeyDistributionMessage(b); return err }},
	} {
		if err := tc.parse(tc.enc); err != nil {
			t.Fatalf("%s: full message: %v", name, err)
		}
		for n := 0; n < len(tc.enc); n++ {
			err := tc.parse(tc.enc[:n])
			if err == nil {
				// A prefix can be a valid message whose last bytes are read
				// as the MAC or signature; it must then be stable.
				if !stableMessage(t, name, tc.enc[:n]) {
					t.Errorf("%s[:%d] accepted but not stable", name, n)
				}
				continue
			}
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) &&
				!errors.Is(err, ErrMissingField) && !errors.Is(err, ErrInvalidField) {
				t.Errorf("%s[:%d]: unexpected error kind %v", name, n, err)
			}
		}
	}
}
