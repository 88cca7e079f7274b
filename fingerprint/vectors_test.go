package fingerprint

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/curve"
)

// Known answers transcribed from libsignal:
//
//	repository signalapp/libsignal, commit b056faa6dd02961cff24064c54c089c52e1a0753
//	(file last changed in 4ea5b762ba43c6e5f50f5ecea0aad98e3fa7e651),
//	path rust/protocol/src/fingerprint.rs, module test:
//	constants ALICE_IDENTITY, BOB_IDENTITY, ALICE_STABLE_ID, BOB_STABLE_ID,
//	DISPLAYABLE_FINGERPRINT_V1, {ALICE,BOB}_SCANNABLE_FINGERPRINT_V{1,2};
//	tests fingerprint_test_v1, fingerprint_test_v2 (Java: testVectorsVersion1/2),
//	fingerprint_encodings, fingerprint_mismatching_versions.
const (
	libsignalAliceIdentity = "0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868"
	libsignalBobIdentity   = "05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b"
	libsignalAliceStableID = "+14152222222"
	libsignalBobStableID   = "+14153333333"
	libsignalDisplayV1     = "300354477692869396892869876765458257569162576843440918079131"
	libsignalAliceScanV1   = "080112220a201e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61df1a220a20d62cbf73a11592015b6b9f1682ac306fea3aaf3885b84d12bca631e9d4fb3a4d"
	libsignalBobScanV1     = "080112220a20d62cbf73a11592015b6b9f1682ac306fea3aaf3885b84d12bca631e9d4fb3a4d1a220a201e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61df"
	libsignalAliceScanV2   = "080212220a201e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61df1a220a20d62cbf73a11592015b6b9f1682ac306fea3aaf3885b84d12bca631e9d4fb3a4d"
	libsignalBobScanV2     = "080212220a20d62cbf73a11592015b6b9f1682ac306fea3aaf3885b84d12bca631e9d4fb3a4d1a220a201e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61df"
	libsignalIterations    = 5200
)

func mustKey(t testing.TB, h string) curve.PublicKey {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	k, err := curve.ParsePublicKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLibsignalVectors is libsignal's fingerprint_test_v1 and
// fingerprint_test_v2: both sides' display strings and scannable bytes.
func TestLibsignalVectors(t *testing.T) {
	alice := mustKey(t, libsignalAliceIdentity)
	bob := mustKey(t, libsignalBobIdentity)
	for _, tc := range []struct {
		version            uint32
		aliceScan, bobScan string
	}{
		{1, libsignalAliceScanV1, libsignalBobScanV1},
		{2, libsignalAliceScanV2, libsignalBobScanV2},
	} {
		a, err := New(tc.version, libsignalIterations, Party{ID: []byte(libsignalAliceStableID), IdentityKey: alice}, Party{ID: []byte(libsignalBobStableID), IdentityKey: bob})
		if err != nil {
			t.Fatal(err)
		}
		b, err := New(tc.version, libsignalIterations, Party{ID: []byte(libsignalBobStableID), IdentityKey: bob}, Party{ID: []byte(libsignalAliceStableID), IdentityKey: alice})
		if err != nil {
			t.Fatal(err)
		}
		// The display string does not depend on the version.
		if got := a.DisplayString(); got != libsignalDisplayV1 {
			t.Errorf("v%d alice display = %s, want %s", tc.version, got, libsignalDisplayV1)
		}
		if got := b.DisplayString(); got != libsignalDisplayV1 {
			t.Errorf("v%d bob display = %s, want %s", tc.version, got, libsignalDisplayV1)
		}
		if got := hex.EncodeToString(a.Scannable()); got != tc.aliceScan {
			t.Errorf("v%d alice scannable = %s, want %s", tc.version, got, tc.aliceScan)
		}
		if got := hex.EncodeToString(b.Scannable()); got != tc.bobScan {
			t.Errorf("v%d bob scannable = %s, want %s", tc.version, got, tc.bobScan)
		}
		// Each accepts the other's published bytes, and not its own.
		for _, c := range []struct {
			f    *Fingerprint
			scan string
			want bool
		}{{a, tc.bobScan, true}, {b, tc.aliceScan, true}, {a, tc.aliceScan, false}, {b, tc.bobScan, false}} {
			ok, err := c.f.Compare(mustHex(t, c.scan))
			if err != nil || ok != c.want {
				t.Errorf("v%d Compare = %v, %v; want %v, nil", tc.version, ok, err, c.want)
			}
		}
	}
}

// TestLibsignalEncoding is libsignal's fingerprint_encodings.
func TestLibsignalEncoding(t *testing.T) {
	s := Scannable{Version: 2, Local: []byte(strings.Repeat("\x12", 32)), Remote: []byte(strings.Repeat("\xba", 32))}
	want := "080212220a20" + strings.Repeat("12", 32) + "1a220a20" + strings.Repeat("ba", 32)
	if got := hex.EncodeToString(s.Append(nil)); got != want {
		t.Errorf("encoding = %s, want %s", got, want)
	}
}

// libsignalClientScan is the scannable fingerprint libsignal-client 0.103.0
// produced for internal/wire's byte fixtures
// (internal/wire/testdata/libsignal-client-0.103.0.json,
// "scannable_fingerprint").
const libsignalClientScan = "080212220a20d5c8c6298a95dda785444a6fa236790fde49b9e1b4f82970d062c1b03a80c4131a220a2059e91798dc402de15e416b9ae1101fc2eb9e5401316681a5efa0d6d47085efc9"

// TestLibsignalClientScannable parses libsignal-client's bytes and
// re-encodes them exactly.
func TestLibsignalClientScannable(t *testing.T) {
	b := mustHex(t, libsignalClientScan)
	s, err := ParseScannable(b)
	if err != nil || s.Version != 2 || len(s.Local) != 32 || len(s.Remote) != 32 {
		t.Fatalf("ParseScannable: %v %+v", err, s)
	}
	if got := hex.EncodeToString(s.Append(nil)); got != libsignalClientScan {
		t.Errorf("re-encoding = %s, want %s", got, libsignalClientScan)
	}
}
