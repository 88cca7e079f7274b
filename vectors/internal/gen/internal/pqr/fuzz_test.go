package pqr

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// FuzzRecv feeds arbitrary SPQR fields to Bob's state after a few genuine
// messages: no panic, Parse and Marshal round-trip what parses, and a failed
// Recv on a copy leaves the original able to take the next genuine message.
// Seeds: the genuine messages of a short run.
func FuzzRecv(f *testing.F) {
	auth := bytes.Repeat([]byte{3}, 32)
	run := func(tb testing.TB) (*State, *State, [][]byte) {
		a, b := New(auth, true), New(auth, false)
		rng := rand.NewChaCha8([32]byte{9})
		var msgs [][]byte
		for i := 0; i < 4; i++ {
			m, _, _, err := a.Send(drawer(rng))
			if err != nil {
				tb.Fatal(err)
			}
			msgs = append(msgs, m)
		}
		for _, m := range msgs[:3] {
			if _, _, err := b.Recv(m); err != nil {
				tb.Fatal(err)
			}
		}
		return a, b, msgs
	}
	_, _, msgs := run(f)
	for _, m := range msgs {
		f.Add(m)
	}
	f.Add([]byte{})
	f.Add([]byte{2})
	f.Fuzz(func(t *testing.T, field []byte) {
		_, b, msgs := run(t)
		if m, err := Parse(field); err == nil {
			if again, err := Parse(m.Marshal()); err != nil || again != m {
				t.Fatalf("round trip of %x: %+v %v", field, again, err)
			}
		}
		c := b.Clone()
		_, _, _ = c.Recv(field) // any outcome; only b's state matters below
		if _, _, err := b.Recv(msgs[3]); err != nil {
			t.Fatalf("genuine message after a trial on a copy: %v", err)
		}
	})
}
