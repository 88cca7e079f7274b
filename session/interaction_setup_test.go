package session_test

import (
	"bytes"
	"context"
	"testing"
)

// TestInteractionSetup checks the interaction targets' setups: each is the
// same when built again (so a cached setup and a fresh one play the same
// conversation), has the prekeys and the session version of its class,
// and starts conversations in which messages get through.
func TestInteractionSetup(t *testing.T) {
	ctx := context.Background()
	for class := range uint64(interactionClasses) {
		s, again := newInteractionSetup(t, class), newInteractionSetup(t, class)
		if !bytes.Equal(s.record, again.record) ||
			!s.alice.id.PublicKey().Equal(again.alice.id.PublicKey()) ||
			!s.bob.id.PublicKey().Equal(again.bob.id.PublicKey()) ||
			!bytes.Equal(s.bob.spk.Signature, again.bob.spk.Signature) {
			t.Fatalf("class %d: setup differs when built again", class)
		}
		if s.oneTime != (class%2 == 0) || s.pq != (class%3 == 0) ||
			(s.bob.oneTime != nil) != s.oneTime || (s.bob.kem != nil) != s.pq ||
			s.alice.oneTime != nil || s.alice.kem != nil {
			t.Fatalf("class %d: prekeys (oneTime %v, pq %v) are not the class's", class, s.oneTime, s.pq)
		}
		alice, bob := s.start(t)
		info, err := alice.m.Info(ctx, bob.addr())
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 3, true: 4}[s.pq]; info.Version != want || info.Acknowledged {
			t.Fatalf("class %d: Alice's session is version %d (acknowledged %v), want %d", class, info.Version, info.Acknowledged, want)
		}
		if s.oneTime && !bob.store.HasPreKey(s.bob.oneTime.ID) {
			t.Fatalf("class %d: Bob's store lacks the one-time prekey", class)
		}
		// Send, duplicate, deliver both (the copy is a replay), answer,
		// restart both sides, then send and deliver both ways.
		script := []byte{0, 4, 2, 2, 1, 2, 7, 8, 0, 1, 2, 2}
		for _, long := range []bool{false, true} {
			if got := playInteraction(t, class, script, long); got != 4 {
				t.Errorf("class %d (long %v): %d messages delivered, want 4", class, long, got)
			}
		}
	}
}
