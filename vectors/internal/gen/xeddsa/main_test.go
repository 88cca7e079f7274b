package main

import (
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/forwardsecret/signal/vectors"
	"github.com/forwardsecret/signal/vectors/internal/gen/internal/xed"
)

// TestCommittedFileIsFresh fails when vectors/data/xeddsa_suite.json differs
// from what the generator produces now. Fix with go generate in vectors/.
func TestCommittedFileIsFresh(t *testing.T) {
	committed, err := os.ReadFile(filepath.Join("..", "..", "..", "data", "xeddsa_suite.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, generate()) {
		t.Fatal("vectors/data/xeddsa_suite.json is stale: run go generate in vectors/")
	}
}

// TestReproducesLibsignalAnswers checks the generators' XEdDSA against the
// answers transcribed from libsignal-protocol-c and curve25519-java
// (data/xeddsa.json): the independent implementation must agree with the
// libsignal family before its vectors mean anything.
func TestReproducesLibsignalAnswers(t *testing.T) {
	f, err := vectors.XEdDSA()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range f.XEdDSA {
		u, _, _ := xed.PublicKey(v.Private)
		if !bytes.Equal(u, v.PublicU()) {
			t.Errorf("%s: public key %x, want %x", v.ID, u, v.PublicU())
		}
		sb := v.Scheme != vectors.SchemeSpec
		if !xed.Verify(v.PublicU(), v.Message, v.Signature, sb) {
			t.Errorf("%s: signature does not verify", v.ID)
		}
		if v.Operation == "sign" {
			got := xed.Sign(v.Private, v.Message, v.Random, sb).Signature
			if !bytes.Equal(got, v.Signature) {
				t.Errorf("%s: signature\n got %x\nwant %x", v.ID, got, v.Signature)
			}
			n++
		}
	}
	for _, v := range f.VXEdDSA {
		if v.Random != nil && v.ExpectedSignature() != nil {
			s := xed.VRFSign(v.Private, v.Message, v.Random)
			if !bytes.Equal(s.Signature, v.ExpectedSignature()) || !bytes.Equal(s.V, v.VRF) {
				t.Errorf("%s: VRF signature\n got %x %x\nwant %x %x", v.ID, s.Signature, s.V, v.ExpectedSignature(), v.VRF)
			}
			n++
		}
		if sig := v.ExpectedSignature(); sig != nil {
			out, ok := xed.VRFVerify(v.PublicU(), v.Message, sig)
			if !ok || !bytes.Equal(out, v.VRF) {
				t.Errorf("%s: VRF verify %v, output %x, want %x", v.ID, ok, out, v.VRF)
			}
		}
	}
	if n < 4 {
		t.Fatalf("only %d answers reproduced", n)
	}
}

// TestIndependentOfCheckedPackages keeps the generator and its XEdDSA away
// from the packages the vectors check.
func TestIndependentOfCheckedPackages(t *testing.T) {
	for _, file := range []string{"main.go", filepath.Join("..", "internal", "xed", "xed.go")} {
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case path == "filippo.io/edwards25519", path == "github.com/forwardsecret/signal/vectors/internal/gen/internal/xed":
			case bytes.ContainsRune([]byte(path), '.'):
				t.Errorf("%s imports %s", file, path)
			}
		}
	}
}
