// Package wycheproof reads the ML-KEM test files of Wycheproof
// (C2SP/wycheproof, testvectors_v1) from the shared vector directory, for
// the tests of the packages on internal/mlkem. It imports testing and is
// meant for _test.go files only. The directory is found by
// [vectorfiles.SharedDir].
package wycheproof

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/forwardsecret/signal/internal/vectorfiles"
)

// Test is one test case of any of the ML-KEM files; a field the file does not
// have stays nil.
type Test struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	Flags   []string `json:"flags"`
	Result  string   `json:"result"` // "valid" or "invalid"

	Seed Bytes `json:"seed"` // d || z
	EK   Bytes `json:"ek"`
	DK   Bytes `json:"dk"` // expanded decapsulation key
	M    Bytes `json:"m"`  // encapsulation randomness
	C    Bytes `json:"c"`  // ciphertext
	K    Bytes `json:"K"`  // shared key
}

// Flag reports whether the test carries flag.
func (t Test) Flag(flag string) bool { return slices.Contains(t.Flags, flag) }

// Bytes decodes the hex strings of the files.
type Bytes []byte

// UnmarshalJSON decodes a JSON hex string.
func (b *Bytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	*b = d
	return err
}

// Load reads the file name (such as "mlkem_768_test.json") and returns its
// tests. It fails t if a test group is of another parameter set than
// parameterSet ("ML-KEM-768" or "ML-KEM-1024") or if the file has no tests,
// and skips t (fails it under CI=true) as vectorfiles.SharedDir does when the
// shared directory is absent.
func Load(t *testing.T, name, parameterSet string) []Test {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vectorfiles.SharedDir(t), "wycheproof", "testvectors_v1", name))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		TestGroups []struct {
			ParameterSet string `json:"parameterSet"`
			Tests        []Test `json:"tests"`
		} `json:"testGroups"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	var tests []Test
	for _, g := range f.TestGroups {
		if g.ParameterSet != parameterSet {
			t.Fatalf("%s: parameter set %q, want %q", name, g.ParameterSet, parameterSet)
		}
		tests = append(tests, g.Tests...)
	}
	if len(tests) == 0 {
		t.Fatalf("%s: no tests", name)
	}
	return tests
}
