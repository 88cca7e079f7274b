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

// TestCommittedFileIsFresh fails when vectors/data/recovery.json differs
// from what the generator produces now. Fix with go generate in vectors/.
func TestCommittedFileIsFresh(t *testing.T) {
	committed, err := os.ReadFile(filepath.Join("..", "..", "..", "data", "recovery.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, generate()) {
		t.Fatal("vectors/data/recovery.json is stale: run go generate in vectors/")
	}
}

// TestIndependentOfCheckedPackages: the standard library and protowire;
// nothing of the library.
func TestIndependentOfCheckedPackages(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") && path != "google.golang.org/protobuf/encoding/protowire" {
				t.Errorf("%s imports %s; only the standard library and protowire are allowed", name, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no generator files found")
	}
}

// TestReaderRefusesWhatItShould: the generator's reader, which decides
// every verdict, is itself checked on a few inputs whose answers are
// libsignal's (see the flag libsignal_fixture).
func TestReaderRefusesWhatItShould(t *testing.T) {
	for in, want := range map[string]string{
		"1005":           "",
		"":               "missing_timestamp",
		"0a001005":       "bad_ratchet_key",
		"12050102030405": "malformed",
		"00011005":       "malformed",
	} {
		if _, _, err := readDEM(unhex(in)); err != want {
			t.Errorf("readDEM(%s) = %q, want %q", in, err, want)
		}
	}
	if f, err := forOriginal(unhex(lsSignalV4), 2, 0x2_0000_0001, 0x8086_2021); err != "" || x(encodeDEM(f)) != lsSignalDEM {
		t.Errorf("forOriginal: %x %q", encodeDEM(f), err)
	}
	if f, err := forOriginal(unhex(lsPreKeyV3), 3, 1700000000123, 2); err != "" || x(encodeDEM(f)) != lsPreKeyDEM {
		t.Errorf("forOriginal PreKey: %x %q", encodeDEM(f), err)
	}
}
