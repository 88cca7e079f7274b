package erasure

import (
	"bytes"
	"errors"
	"testing"
)

// Tests added for mutants that survived the suite (docs/mutation.md).

func mutMessage(n int) []byte {
	m := make([]byte, n)
	for i := range m {
		m[i] = byte(i*7 + i>>8)
	}
	return m
}

// TestMaxMessageSizeExact: MaxMessageSize bytes are accepted by the
// encoder, the decoder and the decoder's state; two more are not.
func TestMaxMessageSizeExact(t *testing.T) {
	if _, err := NewEncoder(make([]byte, MaxMessageSize)); err != nil {
		t.Errorf("NewEncoder(MaxMessageSize): %v", err)
	}
	if _, err := NewEncoder(make([]byte, MaxMessageSize+2)); !errors.Is(err, ErrTooLong) {
		t.Errorf("NewEncoder(MaxMessageSize+2): %v, want ErrTooLong", err)
	}
}

func TestDecoderSizeLimits(t *testing.T) {
	if _, err := NewDecoder(MaxMessageSize); err != nil {
		t.Errorf("NewDecoder(MaxMessageSize): %v", err)
	}
	for _, n := range []int{MaxMessageSize + 2, -2} {
		if _, err := NewDecoder(n); !errors.Is(err, ErrTooLong) {
			t.Errorf("NewDecoder(%d): %v, want ErrTooLong", n, err)
		}
	}
	empty := func(n int) DecoderState {
		return DecoderState{PtsNeeded: uint32(n / 2), Polys: NumPolys, Points: make([][]byte, NumPolys)}
	}
	if _, err := NewDecoderFromState(empty(MaxMessageSize), MaxMessageSize); err != nil {
		t.Errorf("decoder state for MaxMessageSize: %v", err)
	}
	if _, err := NewDecoderFromState(empty(MaxMessageSize+2), MaxMessageSize+2); !errors.Is(err, ErrTooLong) {
		t.Errorf("decoder state for MaxMessageSize+2 bytes: %v, want ErrTooLong", err)
	}
}

// TestEncoderSetStateShape: exactly one of Points and Polys, with 16
// entries of even length and at most maxValues values each (and none empty
// in Polys).
func TestEncoderSetStateShape(t *testing.T) {
	entries := func(n, size int) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = make([]byte, size)
		}
		return out
	}
	const maxValues = 8
	for _, tc := range []struct {
		name string
		s    EncoderState
		ok   bool
	}{
		{"points at maxValues", EncoderState{Points: entries(NumPolys, 2*maxValues)}, true},
		{"polys at maxValues", EncoderState{Polys: entries(NumPolys, 2*maxValues)}, true},
		{"points and polys", EncoderState{Points: entries(NumPolys, 2), Polys: entries(NumPolys, 2)}, false},
		{"three points entries, polys", EncoderState{Points: entries(3, 2), Polys: entries(NumPolys, 2)}, false},
		{"points, three polys entries", EncoderState{Points: entries(NumPolys, 2), Polys: entries(3, 2)}, false},
		{"odd entry", EncoderState{Points: entries(NumPolys, 3)}, false},
		{"entry over maxValues", EncoderState{Points: entries(NumPolys, 2*maxValues+2)}, false},
		{"empty polys entry", EncoderState{Polys: entries(NumPolys, 0)}, false},
	} {
		e, err := NewEncoderFromState(tc.s, maxValues)
		if tc.ok != (err == nil) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
		if !tc.ok && (!errors.Is(err, ErrInvalidState) || e != nil) {
			t.Errorf("%s: err = %v, want ErrInvalidState", tc.name, err)
		}
	}
}

// TestStateOneAllocation: State makes its 16 entries in one buffer, for
// the encoder and the decoder.
func TestStateOneAllocation(t *testing.T) {
	e, err := NewEncoder(mutMessage(1000))
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() { _ = e.State() }); n > 2 {
		t.Errorf("Encoder.State: %v allocations, want 2", n)
	}
	d, err := NewDecoder(1000)
	if err != nil {
		t.Fatal(err)
	}
	for i := range uint16(40) {
		d.Add(e.Chunk(i))
	}
	if n := testing.AllocsPerRun(20, func() { _ = d.State() }); n > 2 {
		t.Errorf("Decoder.State: %v allocations, want 2", n)
	}
}

// pointCounts returns how many points the decoder keeps per polynomial.
func pointCounts(d *Decoder) []int {
	var out []int
	for _, p := range d.State().Points {
		out = append(out, len(p)/4)
	}
	return out
}

// TestDecoderKeepsWhatItNeeds: systematic chunks are always kept; others
// only while a polynomial lacks points.
func TestDecoderKeepsWhatItNeeds(t *testing.T) {
	const msgLen = 2 * NumPolys * 4 // 4 points per polynomial
	msg := mutMessage(msgLen)
	e, err := NewEncoder(msg)
	if err != nil {
		t.Fatal(err)
	}
	chunks := make([]Chunk, 12)
	for i := range chunks {
		chunks[i] = e.Chunk(uint16(i))
	}
	want4 := bytes.Repeat([]byte{4}, NumPolys)
	counts := func(d *Decoder) []byte {
		var b []byte
		for _, n := range pointCounts(d) {
			b = append(b, byte(n))
		}
		return b
	}

	// Systematic chunks 0..3, then 4 (not systematic, not needed).
	d, _ := NewDecoder(msgLen)
	for i := range 5 {
		d.Add(chunks[i])
	}
	if got := counts(d); !bytes.Equal(got, want4) {
		t.Errorf("after chunks 0..4: %v points, want 4 each", got)
	}
	// Non-systematic chunks 4..8: the first four fill each polynomial, the
	// fifth is not kept.
	d, _ = NewDecoder(msgLen)
	for i := 4; i < 9; i++ {
		d.Add(chunks[i])
	}
	if got := counts(d); !bytes.Equal(got, want4) {
		t.Errorf("after chunks 4..8: %v points, want 4 each", got)
	}
	got, ok := d.Message()
	if !ok || !bytes.Equal(got, msg) {
		t.Fatal("message not decoded from non-systematic chunks")
	}
	// A systematic chunk is kept even when the polynomial is full.
	d.Add(chunks[0])
	if got := counts(d); !bytes.Equal(got, bytes.Repeat([]byte{5}, NumPolys)) {
		t.Errorf("after a late systematic chunk: %v points, want 5 each", got)
	}
}

// TestDecoderSetStateShape: entries are whole points, at most
// 2·necessary+1 of them.
func TestDecoderSetStateShape(t *testing.T) {
	const msgLen = 2 * NumPolys * 4 // necessary = 4
	state := func(size int) DecoderState {
		s := DecoderState{PtsNeeded: msgLen / 2, Polys: NumPolys, Points: make([][]byte, NumPolys)}
		for j := range s.Points {
			b := make([]byte, size)
			for k := 0; k+4 <= size; k += 4 {
				b[k+1] = byte(k / 4) // distinct x
			}
			s.Points[j] = b
		}
		return s
	}
	if _, err := NewDecoderFromState(state(4*(2*4+1)), msgLen); err != nil {
		t.Errorf("2·necessary+1 points: %v", err)
	}
	for _, size := range []int{4 * (2*4 + 2), 5, 6, 7} {
		if _, err := NewDecoderFromState(state(size), msgLen); !errors.Is(err, ErrInvalidState) {
			t.Errorf("entries of %d bytes: %v, want ErrInvalidState", size, err)
		}
	}
}
