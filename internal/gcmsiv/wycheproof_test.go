package gcmsiv

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/forwardsecret/signal/internal/vectorfiles"
)

type wycheproofAEAD struct {
	Algorithm     string `json:"algorithm"`
	NumberOfTests int    `json:"numberOfTests"`
	TestGroups    []struct {
		KeySize int `json:"keySize"` // bits
		IvSize  int `json:"ivSize"`  // bits
		TagSize int `json:"tagSize"` // bits
		Tests   []struct {
			TcID    int             `json:"tcId"`
			Comment string          `json:"comment"`
			Flags   []string        `json:"flags"`
			Key     vectorfiles.Hex `json:"key"`
			IV      vectorfiles.Hex `json:"iv"`
			AAD     vectorfiles.Hex `json:"aad"`
			Msg     vectorfiles.Hex `json:"msg"`
			CT      vectorfiles.Hex `json:"ct"`
			Tag     vectorfiles.Hex `json:"tag"`
			Result  string          `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// wycheproofAESGCMSIVTests is the number of tests in
// testvectors_v1/aes_gcm_siv_test.json.
const wycheproofAESGCMSIVTests = 202

// TestWycheproof runs Wycheproof's AES-GCM-SIV vectors: every valid test
// must seal to exactly ct || tag and open to msg; every invalid one must
// fail to open with ErrOpen (or be refused by New or the nonce check when
// its key or nonce size is not AES-GCM-SIV's). There are no "acceptable"
// results in this file; one would fail the test.
func TestWycheproof(t *testing.T) {
	path := filepath.Join(vectorfiles.SharedDir(t), "wycheproof", "testvectors_v1", "aes_gcm_siv_test.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f wycheproofAEAD
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if f.Algorithm != "AES-GCM-SIV" {
		t.Fatalf("algorithm %q", f.Algorithm)
	}

	var total, validPass, invalidPass, rejectedSize int
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			total++
			c, err := New(tc.Key)
			if err != nil {
				if !errors.Is(err, ErrKeySize) || len(tc.Key) == 16 || len(tc.Key) == 32 {
					t.Errorf("tcId %d: New: %v", tc.TcID, err)
				} else if tc.Result == "valid" {
					t.Errorf("tcId %d: valid test with a %d-byte key was refused", tc.TcID, len(tc.Key))
				} else {
					rejectedSize++
				}
				continue
			}
			ct := append(append([]byte(nil), tc.CT...), tc.Tag...)
			if len(tc.IV) != NonceSize || g.TagSize != 8*TagSize {
				if tc.Result == "valid" {
					t.Errorf("tcId %d: valid test with a %d-byte nonce and %d-bit tag is not supported", tc.TcID, len(tc.IV), g.TagSize)
				} else if _, err := c.Open(nil, tc.IV, ct, tc.AAD); err == nil {
					t.Errorf("tcId %d: Open accepted a %d-byte nonce or %d-bit tag", tc.TcID, len(tc.IV), g.TagSize)
				} else {
					rejectedSize++
				}
				continue
			}
			pt, openErr := c.Open(nil, tc.IV, ct, tc.AAD)
			switch tc.Result {
			case "valid":
				sealed := c.Seal(nil, tc.IV, tc.Msg, tc.AAD)
				ok := true
				if !bytes.Equal(sealed, ct) {
					t.Errorf("tcId %d (%s): Seal = %x, want %x", tc.TcID, tc.Comment, sealed, ct)
					ok = false
				}
				if openErr != nil || !bytes.Equal(pt, tc.Msg) {
					t.Errorf("tcId %d (%s): Open = %x, %v; want %x", tc.TcID, tc.Comment, pt, openErr, tc.Msg)
					ok = false
				}
				if ok {
					validPass++
				}
			case "invalid":
				if openErr == nil {
					t.Errorf("tcId %d (%s, %v): Open accepted an invalid ciphertext", tc.TcID, tc.Comment, tc.Flags)
				} else if !errors.Is(openErr, ErrOpen) {
					t.Errorf("tcId %d: Open error %v, want ErrOpen", tc.TcID, openErr)
				} else {
					invalidPass++
				}
			default:
				t.Errorf("tcId %d: result %q has no verdict here", tc.TcID, tc.Result)
			}
		}
	}
	if total != f.NumberOfTests || total != wycheproofAESGCMSIVTests {
		t.Errorf("ran %d tests; the file says %d, this test expects %d", total, f.NumberOfTests, wycheproofAESGCMSIVTests)
	}
	t.Logf("Wycheproof AES-GCM-SIV: %d tests: %d valid passed (sealed and opened), %d invalid rejected by Open, %d rejected for their key or nonce size",
		total, validPass, invalidPass, rejectedSize)
}
