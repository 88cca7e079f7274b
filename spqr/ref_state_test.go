package spqr

import (
	"bytes"
	"os"
	"testing"
)

// TestReferenceStates continues a conversation from two states that SPQR's
// reference implementation serialized (its libcrux-issue-1275 regression
// states, 30 lockstep steps in). They are not part of this repository: set
// SPQR_REF_STATES=dir with a_state.bin and b_state.bin to run it.
func TestReferenceStates(t *testing.T) {
	dir := os.Getenv("SPQR_REF_STATES")
	if dir == "" {
		t.Skip("SPQR_REF_STATES not set")
	}
	ra, err := os.ReadFile(dir + "/a_state.bin")
	if err != nil {
		t.Fatal(err)
	}
	rb, err := os.ReadFile(dir + "/b_state.bin")
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseState(ra)
	if err != nil {
		t.Fatalf("Alice's reference state: %v", err)
	}
	b, err := ParseState(rb)
	if err != nil {
		t.Fatalf("Bob's reference state: %v", err)
	}
	// Our encoding of an unchanged parsed state is byte-identical.
	for _, raw := range [][]byte{ra, rb} {
		st, _ := parseState(raw)
		if got := mustMarshal(t, st); !bytes.Equal(got, raw) {
			t.Errorf("re-encoding differs: %d vs %d bytes", len(got), len(raw))
		}
	}
	t.Logf("start: Alice %s, Bob %s", kindOf(a), kindOf(b))
	for i := 30; i < 50; i++ {
		var m, ka, kb []byte
		if a, m, ka, err = a.Send(); err != nil {
			t.Fatal(err)
		}
		if b, kb, err = b.Recv(m); err != nil || !bytes.Equal(ka, kb) || ka == nil {
			t.Fatalf("step %d A->B: %v", i, err)
		}
		if b, m, kb, err = b.Send(); err != nil {
			t.Fatal(err)
		}
		if a, ka, err = a.Recv(m); err != nil || !bytes.Equal(ka, kb) || ka == nil {
			t.Fatalf("step %d B->A: %v", i, err)
		}
	}
	t.Logf("end: Alice %s, Bob %s", kindOf(a), kindOf(b))
	if a.Epoch() < 2 || b.Epoch() < 2 {
		t.Fatal("epoch 2 not reached")
	}
}

func kindOf(s *State) string {
	st := s.st
	if st == nil || st.braid == nil {
		return "V0"
	}
	return st.braid.kind.String() + "@" + string(rune('0'+st.braid.epoch))
}
