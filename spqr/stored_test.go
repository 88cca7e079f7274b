package spqr

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"testing/cryptotest"
)

// TestStoredSteps runs the same lossy, reordered conversation twice: once
// on live States, once as a store that serializes them does (every step on
// a State parsed from the previous step's encoding: with ParseStateOwned on
// a fresh copy, or ParseState, in turn). Randomness is reset before each
// step, so both runs draw the same keys. After every step both must give
// the same message, key and encoding: a parsed State's Braid, whose
// encoder and decoder stay encoded until a step advances them and which
// re-encodes as stored while a step leaves it unchanged, behaves as a
// decoded one, in every Braid state the conversations reach.
func TestStoredSteps(t *testing.T) {
	kinds := map[stateKind]bool{}
	for seed := range uint64(3) {
		checkStoredSteps(t, rand.New(rand.NewPCG(seed, 29)), scaled(1200), kinds)
	}
}

// checkStoredSteps runs one conversation of TestStoredSteps and adds the
// Braid states it reached to kinds.
func checkStoredSteps(t *testing.T, r *rand.Rand, steps int, kinds map[stateKind]bool) {
	t.Helper()
	la, lb := newPair(t)
	live := [2]*State{la, lb}
	stored := [2][]byte{mustMarshal(t, la), mustMarshal(t, lb)}
	load := func(i, party int) *State {
		t.Helper()
		b := stored[party]
		var s *State
		var err error
		if i%2 == 0 {
			s, err = ParseStateOwned(bytes.Clone(b))
		} else {
			s, err = ParseState(b)
		}
		if err != nil {
			t.Fatalf("step %d: stored state does not parse: %v", i, err)
		}
		return s
	}
	var queue [2][]inflight
	for i := range steps {
		from := r.IntN(2)
		to := 1 - from
		if r.IntN(5) < 2 || len(queue[from]) == 0 {
			cryptotest.SetGlobalRandom(t, uint64(i))
			next, m, k, err := live[from].Send()
			if err != nil {
				t.Fatalf("step %d: send: %v", i, err)
			}
			cryptotest.SetGlobalRandom(t, uint64(i))
			snext, sm, sk, err := load(i, from).Send()
			if err != nil {
				t.Fatalf("step %d: send on the stored state: %v", i, err)
			}
			if !bytes.Equal(m, sm) || !bytes.Equal(k, sk) {
				t.Fatalf("step %d: send on the stored state gives another message or key", i)
			}
			live[from], stored[from] = next, mustMarshal(t, snext)
			if r.IntN(6) > 0 {
				queue[from] = append(queue[from], inflight{msg: m, key: k, seq: i})
			}
		} else {
			q := queue[from]
			j := r.IntN(min(40, len(q)))
			m := q[j]
			queue[from] = append(q[:j], q[j+1:]...)
			next, k, err := live[to].Recv(m.msg)
			if err != nil || !bytes.Equal(k, m.key) {
				t.Fatalf("step %d: recv of %d: %v", i, m.seq, err)
			}
			snext, sk, err := load(i, to).Recv(m.msg)
			if err != nil || !bytes.Equal(sk, k) {
				t.Fatalf("step %d: recv of %d on the stored state: %v", i, m.seq, err)
			}
			live[to], stored[to] = next, mustMarshal(t, snext)
		}
		for p := range 2 {
			if enc := mustMarshal(t, live[p]); !bytes.Equal(enc, stored[p]) {
				t.Fatalf("step %d: party %d: the stored run's encoding differs from the live run's", i, p)
			}
			if b := live[p].st.braid; b != nil {
				kinds[b.kind] = true
			}
		}
	}
}
