package x3dh_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh"
	"google.golang.org/protobuf/encoding/protowire"
)

func TestBundleEncoding(t *testing.T) {
	b := newBob(t, x3dh.Kyber1024)
	for _, opk := range []bool{false, true} {
		for _, kpk := range []bool{false, true} {
			bu := b.bundle(t, opk, kpk)
			enc, err := bu.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			got, err := x3dh.ParseBundle(enc)
			if err != nil {
				t.Fatalf("opk=%v kem=%v: %v", opk, kpk, err)
			}
			if got.RegistrationID != bu.RegistrationID || got.DeviceID != bu.DeviceID || !got.IdentityKey.Equal(bu.IdentityKey) ||
				got.SignedPreKey.ID != bu.SignedPreKey.ID || !got.SignedPreKey.PublicKey.Equal(bu.SignedPreKey.PublicKey) ||
				!bytes.Equal(got.SignedPreKey.Signature, bu.SignedPreKey.Signature) ||
				(got.OneTimePreKey != nil) != opk || (got.KEMPreKey != nil) != kpk {
				t.Fatalf("opk=%v kem=%v: round trip changed the bundle", opk, kpk)
			}
			if opk && (*got.OneTimePreKey != *bu.OneTimePreKey) {
				t.Fatal("one-time prekey changed")
			}
			if kpk && (got.KEMPreKey.ID != bu.KEMPreKey.ID || !got.KEMPreKey.PublicKey.Equal(bu.KEMPreKey.PublicKey) ||
				!bytes.Equal(got.KEMPreKey.Signature, bu.KEMPreKey.Signature)) {
				t.Fatal("KEM prekey changed")
			}
			if len(enc) > x3dh.MaxBundleSize {
				t.Fatalf("%d bytes exceed MaxBundleSize", len(enc))
			}
			// A strict prefix is rejected unless it ends exactly where an
			// optional part begins; then it is the bundle without that part.
			for i := range len(enc) {
				p, err := x3dh.ParseBundle(enc[:i])
				if err != nil {
					continue
				}
				if (p.OneTimePreKey == nil) == (bu.OneTimePreKey == nil) && (p.KEMPreKey == nil) == (bu.KEMPreKey == nil) {
					t.Fatalf("prefix of %d bytes accepted as the whole bundle", i)
				}
			}
		}
	}
}

func TestBundleEncodingRejections(t *testing.T) {
	b := newBob(t, x3dh.MLKEM1024)
	bu := b.bundle(t, true, true)
	enc, err := bu.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	// A registration id of 1234 is 0x08 0xd2 0x09; write it in 4 bytes.
	if !bytes.HasPrefix(enc, []byte{0x08, 0xd2, 0x09}) {
		t.Fatalf("unexpected prefix %x", enc[:3])
	}
	longVarint := append([]byte{0x08, 0xd2, 0x89, 0x00}, enc[3:]...)
	field := func(num protowire.Number, v []byte) []byte {
		out := protowire.AppendTag(nil, num, protowire.BytesType)
		return protowire.AppendBytes(out, v)
	}
	sigFlipped := bytes.Clone(enc)
	i := bytes.Index(sigFlipped, bu.SignedPreKey.Signature)
	sigFlipped[i] ^= 1
	kemSigFlipped := bytes.Clone(enc)
	i = bytes.Index(kemSigFlipped, bu.KEMPreKey.Signature)
	kemSigFlipped[i] ^= 1
	badKeyType := bytes.Clone(enc)
	i = bytes.Index(badKeyType, bu.IdentityKey.Bytes())
	badKeyType[i] = 0x06
	badKEMType := bytes.Clone(enc)
	i = bytes.Index(badKEMType, bu.KEMPreKey.PublicKey.Bytes())
	badKEMType[i] = 0x07

	// Drop the one-time prekey's key (field 8) but keep its id.
	noOPKKey, _ := b.bundle(t, false, true).MarshalBinary()
	opkID := protowire.AppendVarint(protowire.AppendTag(nil, 7, protowire.VarintType), 11)
	at := bytes.Index(noOPKKey, protowire.AppendTag(nil, 9, protowire.VarintType))
	noOPKKey = append(append(append([]byte{}, noOPKKey[:at]...), opkID...), noOPKKey[at:]...)

	noKEMSig, _ := b.bundle(t, false, true).MarshalBinary()
	noKEMSig = noKEMSig[:len(noKEMSig)-2-len(bu.KEMPreKey.Signature)]

	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, x3dh.ErrBundleEncoding},
		{"trailing byte", append(bytes.Clone(enc), 0), x3dh.ErrBundleEncoding},
		{"unknown field", append(bytes.Clone(enc), field(12, []byte{1})...), x3dh.ErrBundleEncoding},
		{"repeated field", append(bytes.Clone(enc), field(11, bu.KEMPreKey.Signature)...), x3dh.ErrBundleEncoding},
		{"field out of order", append(field(3, bu.IdentityKey.Bytes()), enc...), x3dh.ErrBundleEncoding},
		{"non-minimal varint", longVarint, x3dh.ErrBundleEncoding},
		{"wrong wire type", append([]byte{0x0a, 0x00}, enc[3:]...), x3dh.ErrBundleEncoding},
		{"too long", make([]byte, x3dh.MaxBundleSize+1), x3dh.ErrBundleEncoding},
		{"identity key of the wrong type", badKeyType, curve.ErrBadKeyType},
		{"KEM key of unknown type", badKEMType, x3dh.ErrUnknownKEMType},
		{"one-time prekey id without key", noOPKKey, x3dh.ErrBundleEncoding},
		{"KEM prekey without signature", noKEMSig, x3dh.ErrBundleEncoding},
		{"bad signed prekey signature", sigFlipped, x3dh.ErrBadSignedPreKeySignature},
		{"bad KEM signature", kemSigFlipped, x3dh.ErrBadKEMSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := x3dh.ParseBundle(tc.data)
			if !errors.Is(err, tc.want) || got != nil {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// bundleSeeds returns encodings of real bundles for the fuzz target.
func bundleSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, kt := range []x3dh.KEMType{x3dh.Kyber1024, x3dh.MLKEM1024} {
		b := newBob(t, kt)
		for _, opk := range []bool{false, true} {
			for _, kpk := range []bool{false, true} {
				enc, err := b.bundle(t, opk, kpk).MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				seeds = append(seeds, enc)
			}
		}
	}
	return seeds
}

// FuzzBundle checks that ParseBundle never panics, that every error is one
// of the package's (or the key parsers') sentinels, and that decoding and
// encoding are inverse: whatever decodes re-encodes to the same bytes.
func FuzzBundle(f *testing.F) {
	for _, s := range bundleSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := x3dh.DecodeBundle(data)
		if err != nil {
			if !errors.Is(err, x3dh.ErrBundleEncoding) {
				t.Fatalf("decode error %v does not wrap ErrBundleEncoding", err)
			}
			if _, err2 := x3dh.ParseBundle(data); err2 == nil {
				t.Fatal("ParseBundle accepted what the decoder refused")
			}
			return
		}
		re, err := b.MarshalBinary()
		if err != nil || !bytes.Equal(re, data) {
			t.Fatalf("re-encoding differs (%v)", err)
		}
		pb, err := x3dh.ParseBundle(data)
		switch {
		case err == nil:
			if pb.Verify() != nil {
				t.Fatal("parsed bundle fails Verify")
			}
		case errors.Is(err, x3dh.ErrInvalidBundle), errors.Is(err, x3dh.ErrBadSignedPreKeySignature),
			errors.Is(err, x3dh.ErrBadKEMSignature):
		default:
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// TestFuzzCorpusPresent guards against seed corpora that silently vanish.
func TestFuzzCorpusPresent(t *testing.T) {
	for _, name := range []string{"FuzzBundle", "FuzzRespond"} {
		entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", name))
		if err != nil || len(entries) == 0 {
			t.Errorf("testdata/fuzz/%s: no corpus (%v)", name, err)
		}
	}
}
