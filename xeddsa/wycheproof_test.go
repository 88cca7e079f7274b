package xeddsa_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/forwardsecret/signal/internal/vectorfiles"
	"github.com/forwardsecret/signal/xeddsa/internal/core"
)

type wycheproofEdDSA struct {
	Algorithm     string `json:"algorithm"`
	NumberOfTests int    `json:"numberOfTests"`
	TestGroups    []struct {
		Type      string `json:"type"`
		PublicKey struct {
			PK vectorfiles.Hex `json:"pk"`
		} `json:"publicKey"`
		Tests []struct {
			TcID    int             `json:"tcId"`
			Comment string          `json:"comment"`
			Flags   []string        `json:"flags"`
			Msg     vectorfiles.Hex `json:"msg"`
			Sig     vectorfiles.Hex `json:"sig"`
			Result  string          `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// ed25519FlagVerdicts is the expected outcome of VerifyEdwards per flag. The
// file has no "acceptable" results; a flag missing here fails the test, so a
// new Wycheproof release gets a decision rather than silent acceptance.
var ed25519FlagVerdicts = map[string]bool{
	"Valid":                 true,  // ordinary valid signature
	"Ktv":                   true,  // known valid signature (RFC 8032 and others)
	"TinkOverflow":          true,  // valid; caused an overflow in Tink
	"InvalidKtv":            false, // known invalid signature
	"InvalidSignature":      false, // edge-case values (0, group order) in R or s
	"InvalidEncoding":       false, // non-canonical R or s
	"SignatureMalleability": false, // s >= L
	"SignatureWithGarbage":  false, // trailing bytes: wrong length
	"TruncatedSignature":    false, // wrong length
	"CompressedSignature":   false, // r and s overlap / zero bytes cut: wrong length or invalid
}

// TestWycheproofEd25519 runs Wycheproof's Ed25519 verification vectors
// against the Edwards verification core that XEdDSA reduces to.
func TestWycheproofEd25519(t *testing.T) {
	dir := vectorfiles.SharedDir(t)
	b, err := os.ReadFile(filepath.Join(dir, "wycheproof", "testvectors_v1", "ed25519_test.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f wycheproofEdDSA
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	total := 0
	for _, g := range f.TestGroups {
		if g.Type != "EddsaVerify" {
			t.Fatalf("unexpected group type %q", g.Type)
		}
		for _, tc := range g.Tests {
			total++
			want := tc.Result == "valid"
			switch tc.Result {
			case "valid", "invalid":
			default:
				t.Errorf("tcId %d: unexpected result %q (decide its verdict)", tc.TcID, tc.Result)
				continue
			}
			for _, flag := range tc.Flags {
				v, ok := ed25519FlagVerdicts[flag]
				if !ok {
					t.Errorf("tcId %d: unknown flag %q", tc.TcID, flag)
				} else if v != want {
					t.Errorf("tcId %d: flag %q says %v, result says %q", tc.TcID, flag, v, tc.Result)
				}
			}
			got := core.VerifyEdwards(g.PublicKey.PK, tc.Msg, tc.Sig)
			if got != want {
				t.Errorf("tcId %d (%s, %v): VerifyEdwards = %v, want %v", tc.TcID, tc.Comment, tc.Flags, got, want)
				continue
			}
			counts[tc.Result]++
		}
	}
	if total != f.NumberOfTests || total != 151 {
		t.Errorf("ran %d tests, file says %d (expected 151)", total, f.NumberOfTests)
	}
	t.Logf("Wycheproof Ed25519: %d tests, passed: valid %d, invalid %d", total, counts["valid"], counts["invalid"])
}
