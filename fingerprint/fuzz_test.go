package fingerprint

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseScannable feeds arbitrary bytes to the scannable parser and to
// Compare. Every failure must be ErrMalformed (or a version mismatch from
// Compare); every success must re-encode to bytes that parse to the same
// value and encode identically again.
func FuzzParseScannable(f *testing.F) {
	for _, s := range []string{libsignalAliceScanV1, libsignalBobScanV1, libsignalAliceScanV2, libsignalBobScanV2} {
		f.Add(mustHex(f, s))
	}
	f.Add([]byte{})
	f.Add([]byte{0x08, 0x01, 0x12, 0x00, 0x1a, 0x00})
	alice, bob := mustKey(f, libsignalAliceIdentity), mustKey(f, libsignalBobIdentity)
	fp, err := New(Version1, MinIterations, Party{ID: []byte(libsignalAliceStableID), IdentityKey: alice}, Party{ID: []byte(libsignalBobStableID), IdentityKey: bob})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		s, err := ParseScannable(b)
		if !bytes.Equal(in, b) {
			t.Fatal("parser modified its input")
		}
		if _, cerr := fp.Compare(b); cerr != nil && !errors.Is(cerr, ErrMalformed) && !errors.Is(cerr, ErrVersionMismatch) {
			t.Fatalf("Compare error %v matches no sentinel", cerr)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			return
		}
		enc := s.Append(nil)
		s2, err := ParseScannable(enc)
		if err != nil {
			t.Fatalf("re-encoding does not parse: %v", err)
		}
		if s2.Version != s.Version || !bytes.Equal(s2.Local, s.Local) || !bytes.Equal(s2.Remote, s.Remote) {
			t.Fatal("round trip changed the value")
		}
		if !bytes.Equal(s2.Append(nil), enc) {
			t.Fatal("encoding not stable")
		}
	})
}
