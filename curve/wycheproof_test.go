package curve_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/vectorfiles"
)

// The known answers of the vectors module (RFC 7748, libsignal's agreement
// and signature answers) run in vectors/libtest/curve_test.go.

func newKeys(t *testing.T, scalar, u []byte) (*curve.PrivateKey, curve.PublicKey) {
	t.Helper()
	priv, err := curve.NewPrivateKey(scalar)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := curve.NewPublicKey(u)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

type wycheproofXDH struct {
	NumberOfTests int `json:"numberOfTests"`
	TestGroups    []struct {
		Type  string `json:"type"`
		Curve string `json:"curve"`
		Tests []struct {
			TcID    int             `json:"tcId"`
			Comment string          `json:"comment"`
			Flags   []string        `json:"flags"`
			Public  vectorfiles.Hex `json:"public"`
			Private vectorfiles.Hex `json:"private"`
			Shared  vectorfiles.Hex `json:"shared"`
			Result  string          `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// Verdicts for Wycheproof X25519 flags, for "acceptable" results.
type xdhVerdict int

const (
	// computeShared: we accept the key and must produce the listed shared
	// secret (RFC 7748 decoding: mask bit 255, reduce mod p; twist points
	// are multiplied like any other).
	computeShared xdhVerdict = iota
	// rejectZero: the shared secret is all zeros and curve returns
	// ErrZeroSharedSecret (RFC 7748 section 6.1's optional check, which
	// libsignal-compatible code must make).
	rejectZero
)

// x25519FlagVerdicts maps every flag of x25519_test.json to our behaviour.
// Unknown flags fail the test.
var x25519FlagVerdicts = map[string]xdhVerdict{
	"Normal":                 computeShared,
	"Ktv":                    computeShared,
	"EdgeCaseMultiplication": computeShared,
	"EdgeCasePrivateKey":     computeShared,
	"EdgeCaseShared":         computeShared,
	"SpecialPublicKey":       computeShared,
	"Twist":                  computeShared, // crypto/ecdh multiplies twist points
	"NonCanonicalPublic":     computeShared, // accepted and reduced, as RFC 7748 section 5 says
	"ZeroSharedSecret":       rejectZero,
	"LowOrderPublic":         rejectZero, // always with ZeroSharedSecret in this file
	"SmallPublicKey":         rejectZero, // always with ZeroSharedSecret in this file
}

// TestWycheproofX25519 runs Wycheproof's X25519 vectors against curve with
// an explicit verdict per flag.
func TestWycheproofX25519(t *testing.T) {
	dir := vectorfiles.SharedDir(t)
	b, err := os.ReadFile(filepath.Join(dir, "wycheproof", "testvectors_v1", "x25519_test.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f wycheproofXDH
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	total := 0
	for _, g := range f.TestGroups {
		if g.Type != "XdhComp" || g.Curve != "curve25519" {
			t.Fatalf("unexpected group %q/%q", g.Type, g.Curve)
		}
		for _, tc := range g.Tests {
			total++
			verdict := computeShared
			for _, flag := range tc.Flags {
				v, ok := x25519FlagVerdicts[flag]
				if !ok {
					t.Errorf("tcId %d: unknown flag %q: decide a verdict", tc.TcID, flag)
				}
				if v == rejectZero {
					verdict = rejectZero
				}
			}
			zero := bytes.Equal(tc.Shared, make([]byte, 32))
			if zero != (verdict == rejectZero) {
				t.Errorf("tcId %d: flags %v but shared %x", tc.TcID, tc.Flags, tc.Shared)
			}
			switch tc.Result {
			case "valid":
				if verdict != computeShared {
					t.Errorf("tcId %d: valid test with a rejecting flag %v", tc.TcID, tc.Flags)
				}
			case "acceptable":
			default:
				t.Errorf("tcId %d: result %q has no verdict", tc.TcID, tc.Result)
				continue
			}
			priv, pub := newKeys(t, tc.Private, tc.Public)
			got, err := priv.ECDH(pub)
			switch verdict {
			case computeShared:
				if err != nil || !bytes.Equal(got, tc.Shared) {
					t.Errorf("tcId %d (%s %v): ECDH = %x, %v; want %x", tc.TcID, tc.Comment, tc.Flags, got, err, tc.Shared)
					continue
				}
				counts[tc.Result+" (shared secret matches)"]++
			case rejectZero:
				if !errors.Is(err, curve.ErrZeroSharedSecret) || got != nil {
					t.Errorf("tcId %d (%s %v): ECDH = %x, %v; want ErrZeroSharedSecret", tc.TcID, tc.Comment, tc.Flags, got, err)
					continue
				}
				counts[tc.Result+" (ErrZeroSharedSecret)"]++
			}
		}
	}
	if total != f.NumberOfTests || total != 518 {
		t.Errorf("ran %d tests, file says %d (expected 518)", total, f.NumberOfTests)
	}
	t.Logf("Wycheproof X25519: %d tests; passed: %v", total, counts)
}
