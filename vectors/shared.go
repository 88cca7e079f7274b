package vectors

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// SharedDir returns the directory of the workspace's shared vector files
// (Wycheproof subsets and others that are too large to embed), which sits at
// ../shared/vectors beside the repository root.
//
// Those files are not part of a user's clone. When the directory is absent,
// SharedDir skips the test with a message saying so, except under CI
// (environment CI=true), where it fails the test instead.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir := sharedDir()
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return dir
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("vectors: shared vector directory %s is missing (CI=true: required)", dir)
	}
	t.Skipf("vectors: shared vector directory %s is absent; skipping (it ships with the development workspace, not with clones)", dir)
	return ""
}

// sharedDir locates ../shared/vectors relative to the module root, found from
// this source file's location (tests run with the package directory as the
// working directory, so the caller's directory is not a reliable anchor).
func sharedDir() string {
	if d := os.Getenv("SIGNAL_SHARED_VECTORS"); d != "" {
		return d
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("..", "..", "shared", "vectors")
	}
	root := filepath.Dir(filepath.Dir(file)) // .../vectors/shared.go -> repo root
	return filepath.Join(root, "..", "shared", "vectors")
}
