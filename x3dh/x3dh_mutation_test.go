package x3dh

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"google.golang.org/protobuf/encoding/protowire"
)

// Tests added for mutants that survived the suite (docs/mutation.md). The
// decoder's checks of field order, presence and grouping each name their
// reason; the canonical re-encoding check at the end would reject the same
// inputs, so these tests pin the reasons as well as the rejection.

type mutationFixture struct {
	identity *curve.IdentityKeyPair
	signed   *SignedPreKey
	oneTime  *OneTimePreKey
	kem      *KEMPreKey
	bundle   *Bundle // with every part
	fields   map[protowire.Number][]byte
}

func newMutationFixture(t *testing.T) *mutationFixture {
	t.Helper()
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	spk, err := GenerateSignedPreKey(id, 7)
	if err != nil {
		t.Fatal(err)
	}
	opk, err := GenerateOneTimePreKey(11)
	if err != nil {
		t.Fatal(err)
	}
	kpk, err := GenerateKEMPreKey(id, 13, MLKEM1024)
	if err != nil {
		t.Fatal(err)
	}
	o, k := opk.Public(), kpk.Public()
	b, err := NewBundle(1234, 2, id.PublicKey(), spk.Public(), &o, &k)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	fields := map[protowire.Number][]byte{}
	for in := enc; len(in) > 0; {
		num, _, n := protowire.ConsumeField(in)
		if n < 0 {
			t.Fatal(protowire.ParseError(n))
		}
		fields[num] = in[:n]
		in = in[n:]
	}
	if len(fields) != fieldKEMSig {
		t.Fatalf("%d fields in a full bundle, want %d", len(fields), fieldKEMSig)
	}
	return &mutationFixture{identity: id, signed: spk, oneTime: opk, kem: kpk, bundle: b, fields: fields}
}

// encode concatenates the full bundle's fields in the order given.
func (f *mutationFixture) encode(nums ...protowire.Number) []byte {
	var out []byte
	for _, n := range nums {
		out = append(out, f.fields[n]...)
	}
	return out
}

func TestDecodeBundleReasons(t *testing.T) {
	f := newMutationFixture(t)
	required := []protowire.Number{1, 2, 3, 4, 5, 6}
	with := func(extra ...protowire.Number) []protowire.Number {
		return append(append([]protowire.Number{}, required...), extra...)
	}
	tests := []struct {
		name   string
		fields []protowire.Number
		reason string
	}{
		{"repeated field", []protowire.Number{1, 1, 2, 3, 4, 5, 6}, "unknown, repeated or out of order"},
		{"fields out of order", []protowire.Number{2, 1, 3, 4, 5, 6}, "unknown, repeated or out of order"},
		{"first field missing", []protowire.Number{2, 3, 4, 5, 6}, "field 1 missing"},
		{"last required field missing", []protowire.Number{1, 2, 3, 4, 5}, "field 6 missing"},
		{"one-time id alone", with(7), "one-time prekey id and key must come together"},
		{"one-time key alone", with(8), "one-time prekey id and key must come together"},
		{"KEM id alone", with(9), "KEM prekey id, key and signature must come together"},
		{"KEM id and key", with(9, 10), "KEM prekey id, key and signature must come together"},
		{"KEM key and signature", with(10, 11), "KEM prekey id, key and signature must come together"},
		{"KEM signature alone", with(11), "KEM prekey id, key and signature must come together"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := decodeBundle(f.encode(tc.fields...))
			if !errors.Is(err, ErrBundleEncoding) || b != nil {
				t.Fatalf("err = %v, want ErrBundleEncoding", err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("err = %q, want the reason %q", err, tc.reason)
			}
		})
	}
	for _, tc := range []struct {
		name     string
		fields   []protowire.Number
		opk, kem bool
	}{
		{"required only", required, false, false},
		{"with one-time", with(7, 8), true, false},
		{"with KEM", with(9, 10, 11), false, true},
		{"with both", with(7, 8, 9, 10, 11), true, true},
	} {
		b, err := decodeBundle(f.encode(tc.fields...))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if (b.OneTimePreKey != nil) != tc.opk || (b.KEMPreKey != nil) != tc.kem {
			t.Fatalf("%s: one-time %v, KEM %v", tc.name, b.OneTimePreKey != nil, b.KEMPreKey != nil)
		}
	}
}

// TestDecodeBundleUint32Limit: ids are 32 bits; the largest is kept, one
// more is rejected.
func TestDecodeBundleUint32Limit(t *testing.T) {
	f := newMutationFixture(t)
	varint := func(v uint64) []byte {
		return protowire.AppendVarint(protowire.AppendTag(nil, fieldRegistrationID, protowire.VarintType), v)
	}
	rest := f.encode(2, 3, 4, 5, 6)
	b, err := decodeBundle(append(varint(0xFFFFFFFF), rest...))
	if err != nil {
		t.Fatalf("registration id 0xFFFFFFFF: %v", err)
	}
	if b.RegistrationID != 0xFFFFFFFF {
		t.Fatalf("registration id = %#x", b.RegistrationID)
	}
	_, err = decodeBundle(append(varint(1<<32), rest...))
	if !errors.Is(err, ErrBundleEncoding) || !strings.Contains(err.Error(), "exceeds 32 bits") {
		t.Fatalf("registration id 2^32: err = %v", err)
	}
}

// TestDecodeBundleSizeLimit: an input of exactly MaxBundleSize bytes is
// decoded; one byte more is refused before decoding.
func TestDecodeBundleSizeLimit(t *testing.T) {
	f := newMutationFixture(t)
	b := *f.bundle
	var enc []byte
	for n := 64; n < MaxBundleSize; n++ {
		b.SignedPreKey.Signature = bytes.Repeat([]byte{0x5a}, n)
		e, err := b.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if len(e) == MaxBundleSize {
			enc = e
			break
		}
	}
	if enc == nil {
		t.Fatal("no signature length gives an encoding of MaxBundleSize bytes")
	}
	got, err := decodeBundle(enc)
	if err != nil {
		t.Fatalf("%d bytes: %v", len(enc), err)
	}
	if !bytes.Equal(got.SignedPreKey.Signature, b.SignedPreKey.Signature) {
		t.Fatal("signature changed")
	}
	// One byte more: the signature one byte longer.
	b.SignedPreKey.Signature = append(b.SignedPreKey.Signature, 0x5a)
	enc, err = b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) != MaxBundleSize+1 {
		t.Fatalf("%d bytes, want %d", len(enc), MaxBundleSize+1)
	}
	if _, err := decodeBundle(enc); !errors.Is(err, ErrBundleEncoding) || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("%d bytes: err = %v, want the size limit", len(enc), err)
	}
}

// TestInitiationStringKEM: the summary names the KEM part exactly when the
// message has a KEM ciphertext.
func TestInitiationStringKEM(t *testing.T) {
	in := Initiation{Version: V4, Message: Message{SignedPreKeyID: 7, HasOneTimePreKey: true, OneTimePreKeyID: 11, KEMPreKeyID: 13, KEMCiphertext: make([]byte, 1569)}}
	zero := curve.PublicKey{}.String()
	want := "x3dh.Initiation{version: v4 (PQXDH), keys: REDACTED, message: {identity " + zero + ", base key " + zero +
		", signed prekey 7, one-time prekey 11, KEM prekey 13, KEM ciphertext 1569 bytes}}"
	if got := fmt.Sprint(in); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	in = Initiation{Version: V3, Message: Message{SignedPreKeyID: 7}}
	want = "x3dh.Initiation{version: v3 (X3DH), keys: REDACTED, message: {identity " + zero + ", base key " + zero + ", signed prekey 7}}"
	if got := fmt.Sprint(in); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestResponderKeysString: each key present is named, each absent one is
// not.
func TestResponderKeysString(t *testing.T) {
	f := newMutationFixture(t)
	k := ResponderKeys{SignedPreKey: f.signed.KeyPair}
	spk := f.signed.KeyPair.Public.String()
	if got, want := fmt.Sprint(k), "x3dh.ResponderKeys(REDACTED, signed prekey "+spk+")"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	k.Identity, k.OneTimePreKey, k.KEMPreKey = f.identity, &f.oneTime.KeyPair, &f.kem.KeyPair
	want := "x3dh.ResponderKeys(REDACTED, identity " + f.identity.PublicKey().String() + ", signed prekey " + spk +
		", one-time prekey " + f.oneTime.KeyPair.Public.String() + ", KEM prekey ML-KEM-1024)"
	if got := fmt.Sprint(k); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestRespondOneTimeMismatchReason: the error says which side has the
// one-time prekey.
func TestRespondOneTimeMismatchReason(t *testing.T) {
	f := newMutationFixture(t)
	alice, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	for _, withOPK := range []bool{true, false} {
		b := *f.bundle
		if !withOPK {
			b.OneTimePreKey = nil
		}
		in, err := Initiate(V4, alice, &b)
		if err != nil {
			t.Fatal(err)
		}
		keys := &ResponderKeys{Identity: f.identity, SignedPreKey: f.signed.KeyPair, KEMPreKey: &f.kem.KeyPair}
		if !withOPK {
			keys.OneTimePreKey = &f.oneTime.KeyPair
		}
		_, err = Respond(V4, keys, &in.Message)
		want := fmt.Sprintf("(message: %v, keys: %v)", withOPK, !withOPK)
		if !errors.Is(err, ErrOneTimePreKeyMismatch) || !strings.Contains(err.Error(), want) {
			t.Errorf("one-time prekey in message %v: err = %v, want %s", withOPK, err, want)
		}
	}
}
