package spqr

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"
)

// The stored key history is part of the state's bytes, which must be
// SPQR's (signalapp/SparsePostQuantumRatchet, src/chain.rs: a jump of more
// than max_ooo_keys clears the history; gc runs once the history holds
// max_ooo_keys*11/10+1 keys and drops every key whose index is below
// ctr - max_ooo_keys, moving the last entry into each freed slot). These
// tests pin the boundaries where a one-off would change those bytes without
// changing which messages decrypt (a review of issue 21 found three such
// mutants listed as equivalent).

// historyIndices lists the indices of a key history in stored order.
func historyIndices(prev []byte) []uint32 {
	var idx []uint32
	for i := 0; i+keyHistoryEntry <= len(prev); i += keyHistoryEntry {
		idx = append(idx, binary.BigEndian.Uint32(prev[i:]))
	}
	return idx
}

// historyOf builds a key history holding the given indices in that order
// (each key is 32 bytes of its index's low byte).
func historyOf(indices ...uint32) []byte {
	var b []byte
	for _, x := range indices {
		b = binary.BigEndian.AppendUint32(b, x)
		b = append(b, bytes.Repeat([]byte{byte(x)}, 32)...)
	}
	return b
}

// TestJumpOfExactlyMaxOOOKeepsHistory: a jump of exactly maxOOO keeps the
// keys held (SPQR clears only when at > ctr + max_ooo_keys).
func TestJumpOfExactlyMaxOOOKeepsHistory(t *testing.T) {
	p := ChainParams{MaxOutOfOrderKeys: 10}
	d := chainDir{next: bytes.Repeat([]byte{1}, 32)}
	if _, _, err := d.key(0, 3, p, ^uint32(0)); err != nil { // skips 1, 2
		t.Fatal(err)
	}
	if _, _, err := d.key(0, 13, p, ^uint32(0)); err != nil { // at == ctr + maxOOO
		t.Fatal(err)
	}
	want := []uint32{1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	if got := historyIndices(d.prev); !slices.Equal(got, want) {
		t.Fatalf("history %v, want %v", got, want)
	}
	// One more than maxOOO ahead clears what was held.
	if _, _, err := d.key(0, 24, p, ^uint32(0)); err != nil {
		t.Fatal(err)
	}
	want = []uint32{14, 15, 16, 17, 18, 19, 20, 21, 22, 23}
	if got := historyIndices(d.prev); !slices.Equal(got, want) {
		t.Fatalf("after a jump of maxOOO+1: history %v, want %v", got, want)
	}
}

// TestTrim pins the trim's boundaries (ChainParams{MaxOutOfOrderKeys: 10},
// counter 23: trim size 12, horizon 13).
func TestTrim(t *testing.T) {
	p := ChainParams{MaxOutOfOrderKeys: 10}
	for _, c := range []struct {
		name string
		prev []uint32
		want []uint32
	}{{
		// Indices below ctr - maxOOO go, the one equal to it stays: 1
		// goes (12, the last, takes its place and goes too), 13 stays.
		name: "keeps the horizon",
		prev: []uint32{13, 1, 14, 15, 16, 17, 18, 19, 20, 21, 22, 12},
		want: []uint32{13, 22, 14, 15, 16, 17, 18, 19, 20, 21},
	}, {
		name: "examines the last entry",
		prev: []uint32{13, 15, 17, 19, 21, 23, 14, 16, 18, 20, 22, 1},
		want: []uint32{13, 15, 17, 19, 21, 23, 14, 16, 18, 20, 22},
	}, {
		// One key fewer than the trim size: nothing is dropped, old keys
		// included.
		name: "waits for the trim size",
		prev: []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
		want: []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
	}} {
		d := chainDir{ctr: 23, prev: historyOf(c.prev...)}
		d.trim(p, true)
		if got := historyIndices(d.prev); !slices.Equal(got, c.want) {
			t.Errorf("%s: history %v, want %v", c.name, got, c.want)
		}
	}
}
