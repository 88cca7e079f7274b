package erasure

import "testing"

// TestEncoderStateShortMessage: the encoder of a message shorter than one
// value per polynomial has empty Points entries (2 bytes: one value, 15
// empty entries); its state is accepted by Check and SetState, and the
// restored encoder gives the same chunks, systematic and parity. (Empty
// entries are refused only in Polys.)
func TestEncoderStateShortMessage(t *testing.T) {
	for _, n := range []int{0, 2, 2 * (NumPolys - 1)} {
		e, err := NewEncoder(mutMessage(n))
		if err != nil {
			t.Fatal(err)
		}
		s := e.State()
		if s.Polys != nil || len(s.Points) != NumPolys || len(s.Points[NumPolys-1]) != 0 {
			t.Fatalf("%d bytes: state %d points entries, %d polys entries, last points entry %d bytes; want 16 points entries, the last empty",
				n, len(s.Points), len(s.Polys), len(s.Points[NumPolys-1]))
		}
		if err := s.Check(n / 2); err != nil {
			t.Errorf("%d bytes: Check: %v", n, err)
		}
		r, err := NewEncoderFromState(s, n/2)
		if err != nil {
			t.Fatalf("%d bytes: NewEncoderFromState: %v", n, err)
		}
		if r.StateIsPolys() {
			t.Errorf("%d bytes: restored encoder holds polynomials, want points", n)
		}
		for _, idx := range []uint16{0, 1, 2, 100} {
			if got, want := r.Chunk(idx), e.Chunk(idx); got != want {
				t.Errorf("%d bytes: restored chunk %d = %x, want %x", n, idx, got.Data, want.Data)
			}
		}
	}
}
