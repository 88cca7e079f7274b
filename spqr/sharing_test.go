package spqr

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestSharing checks what States share (see State): over conversations
// with loss, reordering and late messages (so chains skip keys, take
// stored ones and trim), every Send and Recv
//   - leaves the receiver's encoding as it was,
//   - gives, from the shared State, the encoding and key that a State
//     parsed afresh from the receiver's encoding gives (Recv; Send draws
//     randomness in some steps, so it is compared where it does not),
//   - is unaffected by a sibling step taken afterwards from the same
//     receiver (a second Send, or the Recv of another message),
//
// and every State's EncodedLen is the length of its encoding.
func TestSharing(t *testing.T) {
	for seed := range uint64(4) {
		r := rand.New(rand.NewPCG(seed, 13))
		checkSharing(t, r, scaled(1500))
	}
}

func checkSharing(t *testing.T, r *rand.Rand, steps int) {
	t.Helper()
	sa, sb := newPair(t)
	st := [2]*State{sa, sb}
	var queue [2][]inflight // queue[i]: messages from party i
	enc := func(s *State) []byte {
		t.Helper()
		b := mustMarshal(t, s)
		if s.EncodedLen() != len(b) {
			t.Fatalf("EncodedLen %d, encoding of %d bytes", s.EncodedLen(), len(b))
		}
		return b
	}
	for i := range steps {
		from := r.IntN(2)
		to := 1 - from
		if r.IntN(5) < 2 || len(queue[from]) == 0 { // send
			s := st[from]
			before := enc(s)
			next, m, k, err := s.Send()
			if err != nil {
				t.Fatalf("step %d: send: %v", i, err)
			}
			after := enc(next)
			if _, _, _, err := s.Send(); err != nil { // a sibling
				t.Fatalf("step %d: second send: %v", i, err)
			}
			if !bytes.Equal(enc(s), before) {
				t.Fatalf("step %d: Send changed the receiver", i)
			}
			if !bytes.Equal(enc(next), after) {
				t.Fatalf("step %d: a sibling Send changed the sent state", i)
			}
			st[from] = next
			if r.IntN(6) > 0 { // 1 in 6 is lost
				queue[from] = append(queue[from], inflight{msg: m, key: k, seq: i})
			}
			continue
		}
		// Deliver one of the 40 oldest messages; sometimes hold the
		// newest back a long time (a late message for the skipped keys).
		q := queue[from]
		j := r.IntN(min(40, len(q)))
		m := q[j]
		queue[from] = append(q[:j], q[j+1:]...)
		s := st[to]
		before := enc(s)
		fresh, err := ParseState(before)
		if err != nil {
			t.Fatal(err)
		}
		next, k, err := s.Recv(m.msg)
		if err != nil {
			t.Fatalf("step %d: recv of %d: %v", i, m.seq, err)
		}
		if !bytes.Equal(k, m.key) {
			t.Fatalf("step %d: recv of %d: wrong key", i, m.seq)
		}
		after := enc(next)
		fnext, fk, err := fresh.Recv(m.msg)
		if err != nil || !bytes.Equal(fk, k) || !bytes.Equal(enc(fnext), after) {
			t.Fatalf("step %d: a fresh copy's Recv differs (%v)", i, err)
		}
		if len(queue[from]) > 0 { // a sibling: another message on the same state
			o := queue[from][r.IntN(len(queue[from]))]
			if _, _, err := s.Recv(o.msg); err != nil {
				t.Fatalf("step %d: sibling recv of %d: %v", i, o.seq, err)
			}
		}
		if _, _, err := s.Recv(m.msg); err != nil { // the same message again
			t.Fatalf("step %d: second recv of %d: %v", i, m.seq, err)
		}
		if !bytes.Equal(enc(s), before) {
			t.Fatalf("step %d: Recv changed the receiver", i)
		}
		if !bytes.Equal(enc(next), after) {
			t.Fatalf("step %d: a sibling Recv changed the received state", i)
		}
		st[to] = next
	}
	if st[0].Epoch() < 2 {
		t.Fatalf("epochs did not advance: %d", st[0].Epoch())
	}
}
