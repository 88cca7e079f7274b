package main

import (
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCommittedFileIsFresh fails when vectors/data/pqxdh.json differs from
// what the generator produces now. Fix with go generate in vectors/.
func TestCommittedFileIsFresh(t *testing.T) {
	committed, err := os.ReadFile(filepath.Join("..", "..", "..", "data", "pqxdh.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, generate()) {
		t.Fatal("vectors/data/pqxdh.json is stale: run go generate in vectors/")
	}
}

// TestFixedIsDeterministic guards the label-derived inputs.
func TestFixedIsDeterministic(t *testing.T) {
	a, b := fixed("v", "l", 64), fixed("v", "l", 64)
	if !bytes.Equal(a, b) || bytes.Equal(a[:32], a[32:]) || bytes.Equal(fixed("v", "m", 32), a[:32]) {
		t.Fatal("fixed is not a deterministic, label-separated stream")
	}
}

// TestStandardLibraryOnly keeps the generator independent of the code it
// checks: it may import the standard library and nothing else.
func TestStandardLibraryOnly(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
			t.Errorf("generator imports %s; only the standard library is allowed", path)
		}
	}
}
