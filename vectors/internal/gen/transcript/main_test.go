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

// TestCommittedFilesAreFresh fails when vectors/data/transcript_v3.json or
// transcript_v4.json differs from what the generator produces now. Fix with
// go generate in vectors/.
func TestCommittedFilesAreFresh(t *testing.T) {
	for _, v := range []int{3, 4} {
		name := "transcript_v" + strconv.Itoa(v) + ".json"
		committed, err := os.ReadFile(filepath.Join("..", "..", "..", "data", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(committed, generate(v)) {
			t.Errorf("vectors/data/%s is stale: run go generate in vectors/", name)
		}
	}
}

// TestIndependentOfCheckedPackages: the standard library, plus the
// generators' own XEdDSA for prekey signatures and SPQR (gen/internal/pqr,
// itself standard library only, checked by its own test).
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
			if path == "github.com/forwardsecret/signal/vectors/internal/gen/internal/xed" ||
				path == "github.com/forwardsecret/signal/vectors/internal/gen/internal/pqr" {
				continue
			}
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s; only the standard library, gen/internal/xed and gen/internal/pqr are allowed", name, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no generator source files found")
	}
}

// TestProtobufHelpers pins the hand-written encoding on a known layout.
func TestProtobufHelpers(t *testing.T) {
	got := signalMessage(3, []byte{5, 1}, 0, 300, []byte{0xaa}, nil)
	want := []byte{0x33, 0x0a, 2, 5, 1, 0x10, 0, 0x18, 0xac, 0x02, 0x22, 1, 0xaa}
	if !bytes.Equal(got, want) {
		t.Fatalf("signalMessage = %x, want %x", got, want)
	}
	got = signalMessage(4, []byte{5, 1}, 1, 0, []byte{0xaa}, []byte{1, 1, 1, 0})
	want = []byte{0x44, 0x0a, 2, 5, 1, 0x10, 1, 0x18, 0, 0x22, 1, 0xaa, 0x2a, 4, 1, 1, 1, 0}
	if !bytes.Equal(got, want) {
		t.Fatalf("signalMessage with SPQR = %x, want %x", got, want)
	}
	if f := field(got, 5); !bytes.Equal(f, []byte{1, 1, 1, 0}) {
		t.Fatalf("field 5 = %x", f)
	}
}
