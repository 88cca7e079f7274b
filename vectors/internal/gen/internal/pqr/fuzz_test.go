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
	// The run is deterministic (a fixed ChaCha8 seed), so it is made once
	// and each execution starts from a clone of Bob's state: replaying it
	// per execution (four ML-KEM sends and three receives) held the target
	// near 1,600 executions per second.
	_, b0, msgs := run(f)
	for _, m := range msgs {
		f.Add(m)
	}
	f.Add([]byte{})
	f.Add([]byte{2})
	f.Fuzz(func(t *testing.T, field []byte) {
		b := b0.Clone()
		if m, err := Parse(field); err == nil {
			if again, err := Parse(m.Marshal()); err != nil || again != m {
				t.Fatalf("round trip of %x: %+v %v", field, again, err)
			}
			// A key up to MaxJump ahead costs one HKDF per step, a
			// second or so with coverage on, and the fuzzer, once it
			// has such an input, keeps mutating it into others: fold
			// those indexes into short jumps (one in 64 up to 3,000
			// steps, past the kept keys). Larger jumps are refused
			// before any step and stay as they are.
			if m.Index > 64 && m.Index <= MaxJump+64 {
				if m.Index%64 == 63 {
					m.Index %= 3000
				} else {
					m.Index %= 64
				}
				field = m.Marshal()
			}
		}
		c := b.Clone()
		_, _, _ = c.Recv(field) // any outcome; only b's state matters below
		if _, _, err := b.Recv(msgs[3]); err != nil {
			t.Fatalf("genuine message after a trial on a copy: %v", err)
		}
	})
}
