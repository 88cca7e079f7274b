package spqr

import (
	"errors"
	"testing"
)

// noKeyMessage is a message of type None with index 0 (no message key).
func noKeyMessage(t *testing.T, epoch uint64) []byte {
	t.Helper()
	m := Message{Epoch: epoch, Index: 0, Type: TypeNone}
	b, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRecvNoKeyAndEpochAhead (added for surviving mutants, docs/mutation.md):
// a message without a key (index 0) is taken, with no key, in epoch 1 only
// (where a peer may have no chain yet); in a later epoch index 0 is a key
// already used (ErrKeyAlreadyRequested). A message one epoch ahead of a
// Braid that has not sampled ct2 is ErrEpochOutOfRange, as is one two
// epochs ahead.
func TestRecvNoKeyAndEpochAhead(t *testing.T) {
	a, b := newPair(t)
	check := func(s *State, epoch uint64, want error) {
		t.Helper()
		next, key, err := s.Recv(noKeyMessage(t, epoch))
		switch {
		case want == nil && (err != nil || key != nil || next == nil):
			t.Errorf("epoch %d, index 0, to %s: key %x, %v; want no key, no error", epoch, kindOf(s), key, err)
		case want != nil && !errors.Is(err, want):
			t.Errorf("epoch %d, index 0, to %s: %v, want %v", epoch, kindOf(s), err, want)
		}
	}
	check(a, 1, nil)
	check(b, 1, nil)
	check(a, 2, ErrEpochOutOfRange)
	for a.Epoch() < 3 {
		na, msg, _, err := a.Send()
		if err != nil {
			t.Fatal(err)
		}
		nb, _, err := b.Recv(msg)
		if err != nil {
			t.Fatal(err)
		}
		a, b = nb, na
	}
	for _, s := range []*State{a, b} {
		ep := s.Epoch()
		check(s, 1, nil)
		check(s, ep, ErrKeyAlreadyRequested)
		if s.st.braid.kind != kindCt2Sampled {
			check(s, ep+1, ErrEpochOutOfRange)
		}
		check(s, ep+2, ErrEpochOutOfRange)
	}
}
