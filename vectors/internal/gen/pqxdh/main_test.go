package main

import (
	"bytes"
	"os"
	"path/filepath"
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
