package spqr

import (
	"errors"
	"testing"
)

// noneMessage is a message of type None (index 0: no message key).
func noneMessage(t *testing.T, epoch uint64, index uint32) []byte {
	t.Helper()
	m := Message{Epoch: epoch, Index: index, Type: TypeNone}
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
// epochs ahead, whatever its index, and the error names the message's
// epoch.
func TestRecvNoKeyAndEpochAhead(t *testing.T) {
	a, b := newPair(t)
	check := func(s *State, epoch uint64, index uint32, want error) {
		t.Helper()
		next, key, err := s.Recv(noneMessage(t, epoch, index))
		switch {
		case want == nil && (err != nil || key != nil || next == nil):
			t.Errorf("epoch %d, index %d, to %s: key %x, %v; want no key, no error", epoch, index, kindOf(s), key, err)
		case want != nil && !errors.Is(err, want):
			t.Errorf("epoch %d, index %d, to %s: %v, want %v", epoch, index, kindOf(s), err, want)
		case want == ErrEpochOutOfRange && err.Error() != epochError(epoch).Error():
			// The Braid refuses it; the chain (an epoch behind) would
			// refuse it too, naming another epoch.
			t.Errorf("epoch %d, index %d, to %s: %q, want %q", epoch, index, kindOf(s), err, epochError(epoch))
		}
	}
	check(a, 1, 0, nil)
	check(b, 1, 0, nil)
	check(a, 2, 0, ErrEpochOutOfRange)
	check(a, 2, 1, ErrEpochOutOfRange)
	for i := 0; a.Epoch() < 3; i++ {
		if i == 1000 { // epoch 3 takes about 200 messages
			t.Fatalf("epoch %d after %d messages, want 3", a.Epoch(), i)
		}
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
		check(s, 1, 0, nil)
		check(s, ep, 0, ErrKeyAlreadyRequested)
		if s.st.braid.kind != kindCt2Sampled {
			check(s, ep+1, 1, ErrEpochOutOfRange)
		}
		check(s, ep+2, 1, ErrEpochOutOfRange)
	}
}
