package wire

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestKeyRecordsExactBytes(t *testing.T) {
	pk := &PreKeyRecord{ID: 300, PublicKey: testBaseKey, PrivateKey: rep(0x11, 32)}
	want := cat(h(0x08, 0xac, 0x02), h(0x12, 33), testBaseKey, h(0x1a, 32), rep(0x11, 32))
	if got := pk.Append(nil); !bytes.Equal(got, want) || pk.EncodedLen() != len(want) {
		t.Fatalf("PreKeyRecord =\n%x\nwant\n%x", got, want)
	}
	back, err := ParsePreKeyRecord(want)
	if err != nil || !reflect.DeepEqual(back, pk) {
		t.Fatalf("PreKeyRecord round trip: %v", err)
	}

	// Timestamp is fixed64, little-endian milliseconds.
	spk := &SignedPreKeyRecord{ID: 1, PublicKey: testBaseKey, PrivateKey: rep(0x11, 32), Signature: rep(0x5e, 64), Timestamp: 0x0102030405060708}
	want = cat(h(0x08, 0x01), h(0x12, 33), testBaseKey, h(0x1a, 32), rep(0x11, 32), h(0x22, 64), rep(0x5e, 64),
		h(0x29, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01))
	if got := spk.Append(nil); !bytes.Equal(got, want) || spk.EncodedLen() != len(want) {
		t.Fatalf("SignedPreKeyRecord =\n%x\nwant\n%x", got, want)
	}
	back2, err := ParseSignedPreKeyRecord(want)
	if err != nil || !reflect.DeepEqual(back2, spk) {
		t.Fatalf("SignedPreKeyRecord round trip: %v", err)
	}
	// ID 0 and timestamp 0 are omitted (proto3).
	if got := (&SignedPreKeyRecord{Signature: h(1)}).Append(nil); !bytes.Equal(got, h(0x22, 1, 1)) {
		t.Fatalf("zero fields written: %x", got)
	}

	ik := &IdentityKeyPairRecord{PublicKey: testIdentity, PrivateKey: rep(0x22, 32)}
	want = cat(h(0x0a, 33), testIdentity, h(0x12, 32), rep(0x22, 32))
	if got := ik.Append(nil); !bytes.Equal(got, want) || ik.EncodedLen() != len(want) {
		t.Fatalf("IdentityKeyPairRecord =\n%x\nwant\n%x", got, want)
	}
	back3, err := ParseIdentityKeyPairRecord(want)
	if err != nil || !reflect.DeepEqual(back3, ik) {
		t.Fatalf("IdentityKeyPairRecord round trip: %v", err)
	}

	for name, err := range map[string]error{
		"timestamp as varint": second(ParseSignedPreKeyRecord(h(0x28, 0x01))),
		"id as fixed64":       second(ParsePreKeyRecord(h(0x09, 1, 2, 3, 4, 5, 6, 7, 8))),
		"public key varint":   second(ParseIdentityKeyPairRecord(h(0x08, 0x01))),
	} {
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := ParseSignedPreKeyRecord(h(0x29, 1, 2, 3)); !errors.Is(err, ErrTruncated) {
		t.Errorf("short fixed64: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestCombinedFingerprints(t *testing.T) {
	f := &CombinedFingerprints{Version: 2, Local: rep(0x11, 32), Remote: rep(0x22, 32)}
	want := cat(h(0x08, 0x02), h(0x12, 34, 0x0a, 32), rep(0x11, 32), h(0x1a, 34, 0x0a, 32), rep(0x22, 32))
	if got := f.Append(nil); !bytes.Equal(got, want) || f.EncodedLen() != len(want) {
		t.Fatalf("Append =\n%x\nwant\n%x", got, want)
	}
	back, err := ParseCombinedFingerprints(want)
	if err != nil || !reflect.DeepEqual(back, f) {
		t.Fatalf("round trip: %v %+v", err, back)
	}
	for name, tc := range map[string]struct {
		enc   []byte
		field string
	}{
		"no version":        {cat(h(0x12, 3, 0x0a, 1, 1), h(0x1a, 3, 0x0a, 1, 2)), "version"},
		"no local":          {cat(h(0x08, 1), h(0x1a, 3, 0x0a, 1, 2)), "local_fingerprint.content"},
		"local w/o content": {cat(h(0x08, 1), h(0x12, 0), h(0x1a, 3, 0x0a, 1, 2)), "local_fingerprint.content"},
		"no remote":         {cat(h(0x08, 1), h(0x12, 3, 0x0a, 1, 1)), "remote_fingerprint.content"},
	} {
		_, err := ParseCombinedFingerprints(tc.enc)
		var fe *FieldError
		if !errors.Is(err, ErrMissingField) || !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Repeated sub-messages merge; unknown fields are skipped.
	got, err := ParseCombinedFingerprints(cat(h(0x08, 1), h(0x12, 3, 0x0a, 1, 1), h(0x12, 2, 0x10, 0x05), h(0x22, 0), h(0x1a, 3, 0x0a, 1, 2)))
	if err != nil || !bytes.Equal(got.Local, h(1)) || !bytes.Equal(got.Remote, h(2)) {
		t.Fatalf("merge: %v %+v", err, got)
	}
}

func TestKeyRecordRedaction(t *testing.T) {
	sec := []byte{0x5e, 0xc2, 0xe7, 0x5e, 0xc2, 0xe7}
	for _, v := range []any{
		PreKeyRecord{PrivateKey: sec}, &PreKeyRecord{PrivateKey: sec},
		SignedPreKeyRecord{PrivateKey: sec}, &SignedPreKeyRecord{PrivateKey: sec},
		IdentityKeyPairRecord{PrivateKey: sec}, &IdentityKeyPairRecord{PrivateKey: sec},
	} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%x", "%s"} {
			if out := fmt.Sprintf(verb, v); strings.Contains(strings.ToLower(out), "5ec2e7") || strings.Contains(out, "94 194") {
				t.Errorf("%T leaks under %s: %s", v, verb, out)
			}
		}
	}
}

func checkKeyRecords(t testing.TB, b []byte) {
	if r, err := ParsePreKeyRecord(b); err == nil {
		r2, err := ParsePreKeyRecord(r.Append(nil))
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("PreKeyRecord unstable: %v", err)
		}
	} else if !ourError(err) {
		t.Fatal(err)
	}
	if r, err := ParseSignedPreKeyRecord(b); err == nil {
		r2, err := ParseSignedPreKeyRecord(r.Append(nil))
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("SignedPreKeyRecord unstable: %v", err)
		}
	} else if !ourError(err) {
		t.Fatal(err)
	}
	if r, err := ParseIdentityKeyPairRecord(b); err == nil {
		r2, err := ParseIdentityKeyPairRecord(r.Append(nil))
		if err != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("IdentityKeyPairRecord unstable: %v", err)
		}
	} else if !ourError(err) {
		t.Fatal(err)
	}
}

func checkCombinedFingerprints(t testing.TB, b []byte) {
	f, err := ParseCombinedFingerprints(b)
	if err != nil {
		if !ourError(err) {
			t.Fatal(err)
		}
		return
	}
	enc := f.Append(nil)
	f2, err := ParseCombinedFingerprints(enc)
	if err != nil || !reflect.DeepEqual(f, f2) {
		t.Fatalf("unstable: %v", err)
	}
	if !bytes.Equal(f2.Append(nil), enc) {
		t.Fatal("encoding is not a fixed point")
	}
}

// FuzzParseKeyRecords feeds the same bytes to the three key-record parsers.
func FuzzParseKeyRecords(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) { checkKeyRecords(t, b) })
}

func FuzzParseCombinedFingerprints(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) { checkCombinedFingerprints(t, b) })
}
