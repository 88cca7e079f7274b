package wire

import (
	"bytes"
	"errors"
	"flag"
	"strconv"
	"testing"
)

// cat concatenates byte strings (test expectations are written out by hand
// from protobuf tags, independently of the encoder).
func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// rep returns n copies of c.
func rep(c byte, n int) []byte { return bytes.Repeat([]byte{c}, n) }

// seq returns n bytes start, start+1, ...
func seq(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// h is shorthand for a literal byte string.
func h(b ...byte) []byte { return b }

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

// must unwraps an encoder result; encoder errors in tests are bugs.
func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz seed files")

// quote writes b as a Go string literal, as the fuzzing corpus format does.
func quote(b []byte) string { return strconv.Quote(string(b)) }

// uvarint is a hand-written base-128 varint, for expected lengths and
// indexes. It widens x to 64 bits first: int(index) of a uint32 index above
// 1<<31 - 1 is negative where int has 32 bits (GOARCH=arm).
func uvarint[T int | uint32](x T) []byte {
	n := uint64(x)
	var b []byte
	for n >= 0x80 {
		b = append(b, byte(n)|0x80)
		n >>= 7
	}
	return append(b, byte(n))
}
