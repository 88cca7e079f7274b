package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCommittedFileIsFresh fails when vectors/data/omemo2.json differs from
// what the generator produces now. Fix with go generate in vectors/.
func TestCommittedFileIsFresh(t *testing.T) {
	committed, err := os.ReadFile(filepath.Join("..", "..", "..", "data", "omemo2.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, generate()) {
		t.Fatal("vectors/data/omemo2.json is stale: run go generate in vectors/")
	}
}

// TestStandardLibraryOnly keeps the generator independent of the code it
// checks: no import outside the standard library in any of its files.
func TestStandardLibraryOnly(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s; only the standard library is allowed", name, path)
			}
		}
	}
}

// TestEdwardsToMontgomery checks the birational map on RFC 8032's TEST 1
// key against an X25519 computation with the same clamped scalar, and the
// signed prekey signatures of the file against crypto/ed25519.
func TestEdwardsToMontgomery(t *testing.T) {
	for _, label := range []string{"a", "b", "c"} {
		id := newIdentity(label)
		if !bytes.Equal(edToMontgomery(id.edPub), id.x.pub) {
			t.Fatalf("%s: map disagrees with X25519", label)
		}
	}
	var f File
	if err := json.Unmarshal(generate(), &f); err != nil {
		t.Fatal(err)
	}
	for _, s := range f.Sessions {
		for _, d := range []Device{s.Alice, s.Bob} {
			ik, _ := hex.DecodeString(d.IdentityKey)
			spk, _ := hex.DecodeString(d.SignedPreKeyPublic)
			sig, _ := hex.DecodeString(d.SignedPreKeySignature)
			if !ed25519.Verify(ik, spk, sig) {
				t.Errorf("%s %s: signed prekey signature does not verify", s.ID, d.Name)
			}
		}
	}
}
