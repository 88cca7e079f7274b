package spqr

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// Tests added for mutants that survived the suite (docs/mutation.md).

func TestStateKindString(t *testing.T) {
	if got := stateKind(0).String(); got != "invalid" {
		t.Errorf("kind 0: %q", got)
	}
	for k := 1; k < len(kindNames); k++ {
		if got := stateKind(k).String(); got != kindNames[k] || got == "" {
			t.Errorf("kind %d: %q", k, got)
		}
	}
	if got := stateKind(len(kindNames)).String(); got != "invalid" {
		t.Errorf("kind %d: %q", len(kindNames), got)
	}
	if stateKind(1).String() != "KeysUnsampled" || stateKind(11).String() != "Ct2Sampled" {
		t.Error("SPQR's names")
	}
}

func TestStateFormatParts(t *testing.T) {
	if got, want := fmt.Sprint(state{}), "spqr.state(REDACTED, negotiating false, chain false, braid false)"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	full := state{vn: &negotiation{}, chain: &chain{}, braid: &braid{}}
	if got, want := fmt.Sprintf("%v", full), "spqr.state(REDACTED, negotiating true, chain true, braid true)"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// TestMessageFieldLimits: the largest index and chunk index round-trip,
// one more is refused, and so are a short chunk and an 11-byte varint.
func TestMessageFieldLimits(t *testing.T) {
	m := &Message{Epoch: 3, Index: 1<<32 - 1, Type: TypeCt1}
	m.Chunk.Index = 0xffff
	m.Chunk.Data[31] = 9
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseMessage(b)
	if err != nil || *got != *m {
		t.Fatalf("largest index and chunk index: %+v, %v", got, err)
	}
	if _, err := ParseMessage(b[:len(b)-1]); !errors.Is(err, ErrMessageDecode) {
		t.Errorf("chunk one byte short: %v", err)
	}
	over := func(index, chunk uint64) []byte {
		b := appendVarint([]byte{byte(V1)}, 3)
		b = appendVarint(b, index)
		b = append(b, byte(TypeCt1))
		b = appendVarint(b, chunk)
		return append(b, make([]byte, 32)...)
	}
	if _, err := ParseMessage(over(1<<32, 0)); !errors.Is(err, ErrMessageDecode) {
		t.Errorf("index 2^32: %v", err)
	}
	if _, err := ParseMessage(over(0, 0x10000)); !errors.Is(err, ErrMessageDecode) {
		t.Errorf("chunk index 2^16: %v", err)
	}
	// Epoch 1 written in 10 bytes is accepted (SPQR takes non-minimal
	// varints), in 11 it is not.
	for n, ok := range map[int]bool{10: true, 11: false} {
		b := []byte{byte(V1)}
		b = append(b, bytes.Repeat([]byte{0x80}, n-1)...)
		b[1] |= 1
		b = append(b, 0x00, 0x00, byte(TypeNone))
		_, err := ParseMessage(b)
		if ok != (err == nil) {
			t.Errorf("epoch varint of %d bytes: %v", n, err)
		}
	}
}

// TestAppendBinaryAfterPrefix: the stored form can be appended to other
// bytes.
func TestAppendBinaryAfterPrefix(t *testing.T) {
	s, err := NewInitialState(bytes.Repeat([]byte{1}, AuthKeySize), true)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.AppendBinary([]byte("prefix"))
	if err != nil || !bytes.Equal(got, append([]byte("prefix"), whole...)) {
		t.Fatalf("AppendBinary after a prefix: %v", err)
	}
}

// TestEpochWithoutBraid: a state without a Braid (negotiated down, or V0)
// is at epoch 0.
func TestEpochWithoutBraid(t *testing.T) {
	for name, s := range map[string]*State{"V0": {}, "chain only": {st: &state{chain: &chain{}}}} {
		if e := s.Epoch(); e != 0 {
			t.Errorf("%s: epoch %d", name, e)
		}
	}
}
