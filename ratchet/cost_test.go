package ratchet

import (
	"errors"
	mrand "math/rand/v2"
	"testing"
)

// TestCostPredictsDecrypt checks Cost against Decrypt over random
// conversations with loss, reordering and replays: Cost.Duplicate exactly
// when Decrypt refuses with ErrDuplicateMessage, NewChain exactly when a
// message that decrypts starts a receiving chain, and ChainSteps is the
// distance the chain's next index moves (plus the message's own step).
func TestCostPredictsDecrypt(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(5, 6))
	for round := range 20 {
		alice, bob := newPair(t)
		var sent []testMsg
		for step := range 200 {
			from, to := alice, bob
			if rng.IntN(4) == 0 {
				from, to = bob, alice
			}
			if from == alice || len(sent) == 0 || rng.IntN(3) == 0 {
				m := from.send(t, []byte("m"))
				if from == alice {
					sent = append(sent, m)
				}
				if from == bob {
					if _, err := to.recv(m); err != nil {
						t.Fatalf("round %d step %d: alice: %v", round, step, err)
					}
				}
				continue
			}
			// Bob receives one of alice's messages (maybe again).
			m := sent[rng.IntN(len(sent))]
			c := bob.s.Cost(m.h)
			before := bob.s.findRecv(m.h.RatchetKey)
			var next uint32
			if before >= 0 {
				next = bob.s.recv[before].n
			}
			_, err := bob.recv(m)
			if dup := errors.Is(err, ErrDuplicateMessage); dup != c.Duplicate {
				t.Fatalf("round %d step %d: Cost %+v, Decrypt %v", round, step, c, err)
			}
			if err != nil {
				if !c.Duplicate && (c != Cost{} || !errors.Is(err, ErrReceiverChainDropped)) {
					t.Fatalf("round %d step %d: Cost %+v, Decrypt %v", round, step, c, err)
				}
				continue
			}
			if c.NewChain != (before < 0) {
				t.Fatalf("round %d step %d: Cost %+v, but the chain was known: %v", round, step, c, before >= 0)
			}
			ci := bob.s.findRecv(m.h.RatchetKey)
			switch {
			case c.NewChain || m.h.Counter >= next:
				if want := m.h.Counter - next + 1; c.ChainSteps != want || c.Work != want+min(want-1, MaxSkippedKeysPerChain)+1 || bob.s.recv[ci].n != m.h.Counter+1 {
					t.Fatalf("round %d step %d: Cost %+v, want %d steps; chain index %d, counter %d", round, step, c, want, bob.s.recv[ci].n, m.h.Counter)
				}
			case c.ChainSteps != 0:
				t.Fatalf("round %d step %d: a stored key costs %d steps", round, step, c.ChainSteps)
			}
		}
	}
}

// TestCostOfRefusals: messages that Decrypt refuses before any step cost no
// steps.
func TestCostOfRefusals(t *testing.T) {
	alice, bob := newPair(t)
	m := alice.send(t, []byte("a"))
	h := m.h
	h.Counter = MaxForwardJump + 1
	if c := bob.s.Cost(h); c != (Cost{}) {
		t.Fatalf("jump past MaxForwardJump: %+v", c)
	}
	h.Counter = MaxForwardJump
	if c := bob.s.Cost(h); c.ChainSteps != MaxForwardJump+1 || c.Work != MaxForwardJump+1+MaxSkippedKeysPerChain+1 || !c.NewChain {
		t.Fatalf("jump of MaxForwardJump: %+v", c)
	}
	h.Counter = 1<<32 - 1
	if c := bob.s.Cost(h); c != (Cost{}) {
		t.Fatalf("counter 2^32-1: %+v", c)
	}
}
