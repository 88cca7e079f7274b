package peer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Dir returns the interop directory (the module root holding c/, python/,
// node/, gomau/). INTEROP_DIR overrides it; otherwise it is found from this
// source file's location.
func Dir() string {
	if d := os.Getenv("INTEROP_DIR"); d != "" {
		return d
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "."
	}
	return filepath.Dir(filepath.Dir(file))
}

// Python is the interpreter for the python peer: Debian's, which has python3-axolotl.
var Python = env("INTEROP_PYTHON", "/usr/bin/python3")

// Node is the node binary for the node peers.
var Node = env("INTEROP_NODE", "node")

var buildMu sync.Mutex

func cacheDir() (string, error) {
	base := os.Getenv("INTEROP_CACHE")
	if base == "" {
		uc, err := os.UserCacheDir()
		if err != nil {
			uc = os.TempDir()
		}
		base = filepath.Join(uc, "forwardsecret-interop")
	}
	return base, os.MkdirAll(base, 0o755)
}

// hashFiles hashes the named files (missing files hash as empty).
func hashFiles(paths ...string) string {
	h := sha256.New()
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		fmt.Fprintf(h, "%s %d\n", filepath.Base(p), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func run(ctx context.Context, dir string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// buildC compiles interop/c/peer.c into the cache dir (once per source hash).
func buildC(ctx context.Context) (string, error) {
	src := filepath.Join(Dir(), "c", "peer.c")
	if _, err := os.Stat(src); err != nil {
		return "", fmt.Errorf("%w: c: %v", ErrUnavailable, err)
	}
	flags, err := run(ctx, "", "pkg-config", "--cflags", "--libs", "libsignal-protocol-c", "libcjson", "libcrypto")
	if err != nil {
		return "", fmt.Errorf("%w: c: pkg-config libsignal-protocol-c libcjson libcrypto: %v: %s (apt-get install -y libsignal-protocol-c-dev libcjson-dev libssl-dev pkg-config)",
			ErrUnavailable, err, strings.TrimSpace(flags))
	}
	dir, err := cacheDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "c-peer-"+hashFiles(src))
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	args := []string{"-O2", "-Wall", "-o", bin + ".tmp", src}
	args = append(args, strings.Fields(flags)...)
	if out, err := run(ctx, "", "gcc", args...); err != nil {
		return "", fmt.Errorf("peer c: gcc: %v\n%s", err, out)
	}
	return bin, os.Rename(bin+".tmp", bin)
}

// buildGomau builds interop/gomau (package main of the interop module).
func buildGomau(ctx context.Context) (string, error) {
	root := Dir()
	dir, err := cacheDir()
	if err != nil {
		return "", err
	}
	// Every Go file of the peer (main.go and the files of its other ops).
	srcs, _ := filepath.Glob(filepath.Join(root, "gomau", "*.go"))
	bin := filepath.Join(dir, "gomau-peer-"+hashFiles(
		append(srcs, filepath.Join(root, "go.mod"), filepath.Join(root, "go.sum"))...))
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("peer gomau: %w: no go command on PATH", ErrUnavailable)
	}
	if out, err := run(ctx, root, gobin, "build", "-o", bin+".tmp", "./gomau"); err != nil {
		return "", fmt.Errorf("peer gomau: go build: %v\n%s", err, out)
	}
	return bin, os.Rename(bin+".tmp", bin)
}

// command returns the argv that runs a peer of the given kind, building it
// first when needed.
func command(ctx context.Context, kind string) ([]string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	root := Dir()
	switch kind {
	case KindC:
		bin, err := buildC(ctx)
		if err != nil {
			return nil, err
		}
		return []string{bin}, nil
	case KindGomau:
		bin, err := buildGomau(ctx)
		if err != nil {
			return nil, err
		}
		return []string{bin}, nil
	case KindPython:
		if out, err := run(ctx, "", Python, "-c", "import axolotl"); err != nil {
			return nil, fmt.Errorf("%w: python: %s cannot import axolotl: %v: %s (apt-get install -y python3-axolotl)",
				ErrUnavailable, Python, err, strings.TrimSpace(out))
		}
		return []string{Python, "-u", filepath.Join(root, "python", "peer.py")}, nil
	case KindNode, KindNodeV4:
		mod, script := "libsignal", "peer-libsignal.js"
		if kind == KindNodeV4 {
			mod, script = "@signalapp/libsignal-client", "peer-libsignal-client.js"
		}
		nodeDir := filepath.Join(root, "node")
		if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", mod, "package.json")); err != nil {
			return nil, fmt.Errorf("%w: %s: %s not installed (cd interop/node && npm ci)", ErrUnavailable, kind, mod)
		}
		if _, err := exec.LookPath(Node); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrUnavailable, kind, err)
		}
		return []string{Node, filepath.Join(nodeDir, script)}, nil
	}
	return nil, fmt.Errorf("peer: unknown kind %q", kind)
}
