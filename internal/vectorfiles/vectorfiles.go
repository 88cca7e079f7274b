// Package vectorfiles finds, for the root module's tests, the vector files
// that the root module does not ship:
//
//   - the JSON files of the vectors module (github.com/forwardsecret/signal/vectors,
//     directory vectors/data beside the root module's go.mod in a clone of
//     the repository), read with [Load];
//   - the workspace's shared vectors (Wycheproof and others, ../shared/vectors
//     beside the repository), found with [SharedDir].
//
// The root module does not require the vectors module (which requires the
// root module), so the few root tests that need its data read the files by
// path. The vectors module's own tests (vectors/libtest) run the known
// answers that need only this library's exported API.
//
// Either location may be absent: a module downloaded with go get holds
// neither. A test that needs an absent directory is skipped with a message
// saying so, except when the environment has CI=true, where it fails
// instead. A file missing from a directory that is there fails the test.
//
// The package imports testing and is meant for tests and test helpers only.
package vectorfiles

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// modulePath is the root module, whose directory is found from the test's
// working directory.
const modulePath = "github.com/forwardsecret/signal"

// Load reads vectors/data/name (such as "rfc8032.json") from the repository
// and decodes it into v. It skips t (or fails it under CI=true) when the
// directory vectors/data is not there, and fails t when the directory is
// there but the file is missing or does not decode.
func Load(t testing.TB, name string, v any) {
	t.Helper()
	load(t, filepath.Join(root(t), "vectors", "data"), name, v)
}

func load(t testing.TB, dir, name string, v any) {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		absent(t, "vector directory "+dir, "it is the vectors module's, which ships with a clone of the repository, not with the root module", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("vectorfiles: %v", err)
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(v); err != nil {
		t.Fatalf("vectorfiles: %s: %v", filepath.Join(dir, name), err)
	}
}

// SharedDir returns the directory of the workspace's shared vector files
// (Wycheproof subsets and others too large to commit), ../shared/vectors
// beside the repository, or $SIGNAL_SHARED_VECTORS when that is set. It
// skips t (or fails it under CI=true) when the directory is absent.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("SIGNAL_SHARED_VECTORS")
	if dir == "" {
		dir = filepath.Join(root(t), "..", "shared", "vectors")
	}
	fi, err := os.Stat(dir)
	if err == nil && !fi.IsDir() {
		err = fmt.Errorf("not a directory")
	}
	if err != nil {
		absent(t, "shared vector directory "+dir, "it ships with the development workspace, not with clones", err)
	}
	return dir
}

func absent(t testing.TB, what, why string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("vectorfiles: %s is missing (CI=true: required): %v", what, err)
	}
	t.Skipf("vectorfiles: %s is absent; skipping (%s)", what, why)
}

// root returns the directory of the root module: the nearest directory at or
// above the working directory (a test's package directory) whose go.mod
// declares modulePath.
func root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("vectorfiles: %v", err)
	}
	for {
		if declaresModule(filepath.Join(dir, "go.mod")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("vectorfiles: no go.mod of %s at or above the working directory", modulePath)
		}
		dir = parent
	}
}

func declaresModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == modulePath
		}
	}
	return false
}

// Hex is a byte string that appears in the JSON files as hex.
type Hex []byte

// UnmarshalJSON decodes a JSON hex string.
func (h *Hex) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("vectorfiles: bad hex %q: %w", s, err)
	}
	*h = d
	return nil
}

// String returns the lowercase hex encoding.
func (h Hex) String() string { return hex.EncodeToString(h) }
