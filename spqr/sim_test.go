package spqr

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

var testAuthKey = bytes.Repeat([]byte{41}, 32)

func newPair(t testing.TB) (alice, bob *State) {
	t.Helper()
	a, err := NewInitialState(testAuthKey, true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewInitialState(testAuthKey, false)
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// TestLockstep alternates one message each way and checks every key, that
// every message has a key, and that epochs advance.
func TestLockstep(t *testing.T) {
	a, b := newPair(t)
	for i := range 250 {
		na, msg, ka, err := a.Send()
		if err != nil {
			t.Fatal(err)
		}
		nb, kb, err := b.Recv(msg)
		if err != nil {
			t.Fatalf("step %d: Bob recv: %v", i, err)
		}
		if ka == nil || !bytes.Equal(ka, kb) {
			t.Fatalf("step %d: keys differ or missing: %x vs %x", i, ka, kb)
		}
		a, b = na, nb
		nb, msg, kb, err = b.Send()
		if err != nil {
			t.Fatal(err)
		}
		na, ka, err = a.Recv(msg)
		if err != nil {
			t.Fatalf("step %d: Alice recv: %v", i, err)
		}
		if kb == nil || !bytes.Equal(ka, kb) {
			t.Fatalf("step %d: keys differ or missing", i)
		}
		a, b = na, nb
	}
	if a.Epoch() < 6 || b.Epoch() < 6 {
		t.Fatalf("epochs after 500 messages: Alice %d, Bob %d", a.Epoch(), b.Epoch())
	}
	t.Logf("after 250 round trips: Alice epoch %d, Bob epoch %d", a.Epoch(), b.Epoch())
}

type inflight struct {
	msg, key []byte
	seq      int
}

type party struct {
	name  string
	st    *State
	queue []inflight // messages to the other party, in send order
	sent  int
}

// simulate runs a random conversation. Messages are dropped with
// probability drop, and delivered from among the oldest `window` undelivered
// messages (reordering). It returns the number of messages delivered.
func simulate(t testing.TB, r *rand.Rand, steps int, pSendA, drop float64, window int) (delivered int, a, b *State) {
	t.Helper()
	sa, sb := newPair(t)
	pa, pb := &party{name: "Alice", st: sa}, &party{name: "Bob", st: sb}
	for range steps {
		from, to := pa, pb
		if r.Float64() >= pSendA {
			from, to = pb, pa
		}
		switch r.IntN(2) {
		case 0: // send
			next, msg, key, err := from.st.Send()
			if err != nil {
				t.Fatalf("%s send: %v", from.name, err)
			}
			if key == nil {
				t.Fatalf("%s send: no key", from.name)
			}
			from.st = next
			from.sent++
			if r.Float64() < drop {
				continue
			}
			from.queue = append(from.queue, inflight{msg, key, from.sent})
		case 1: // deliver one message from `from` to `to`
			if len(from.queue) == 0 {
				continue
			}
			i := r.IntN(min(window, len(from.queue)))
			m := from.queue[i]
			from.queue = append(from.queue[:i], from.queue[i+1:]...)
			next, key, err := to.st.Recv(m.msg)
			if err != nil {
				t.Fatalf("%s recv of message %d: %v", to.name, m.seq, err)
			}
			if !bytes.Equal(key, m.key) {
				t.Fatalf("%s recv of message %d: key mismatch", to.name, m.seq)
			}
			// Round-trip the stored form on every step.
			raw, _ := next.MarshalBinary()
			if to.st, err = ParseState(raw); err != nil {
				t.Fatal(err)
			}
			delivered++
		}
	}
	return delivered, pa.st, pb.st
}

func TestSimulationInOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	n, a, b := simulate(t, r, scaled(6000), 0.5, 0, 1)
	t.Logf("%d delivered; epochs Alice %d, Bob %d", n, a.Epoch(), b.Epoch())
	if a.Epoch() < 4 {
		t.Fatal("epochs did not advance")
	}
}

func TestSimulationLossReorder(t *testing.T) {
	for seed := range uint64(6) {
		r := rand.New(rand.NewPCG(seed, 7))
		n, a, b := simulate(t, r, scaled(4000), 0.3+0.08*float64(seed), 0.2, 4)
		t.Logf("seed %d: %d delivered; epochs Alice %d, Bob %d", seed, n, a.Epoch(), b.Epoch())
		if a.Epoch() < 2 && b.Epoch() < 2 {
			t.Fatal("epochs did not advance")
		}
		if raceOn && seed >= 1 {
			break
		}
	}
}

// TestDuplicateRefused checks that a replayed message is refused and that
// the failure changes nothing.
func TestDuplicateRefused(t *testing.T) {
	a, b := newPair(t)
	a, msg, _, _ := a.Send()
	b2, _, err := b.Recv(msg)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := b2.MarshalBinary()
	if _, _, err := b2.Recv(msg); !errors.Is(err, ErrKeyAlreadyRequested) {
		t.Fatalf("replay: err = %v", err)
	}
	var ke *KeyError
	if _, _, err := b2.Recv(msg); !errors.As(err, &ke) || ke.Index != 1 {
		t.Fatalf("replay: %v is not a KeyError for index 1", err)
	}
	after, _ := b2.MarshalBinary()
	if !bytes.Equal(before, after) {
		t.Fatal("failed Recv changed the state")
	}
	_ = a
}

// TestSimulationChaos: 30% loss and delivery from anywhere among the 64
// oldest in-flight messages.
func TestSimulationChaos(t *testing.T) {
	steps := 6000
	if testing.Short() || raceOn {
		steps = 2500
	}
	for seed := range uint64(3) {
		r := rand.New(rand.NewPCG(seed, 99))
		n, a, b := simulate(t, r, steps, 0.5, 0.3, 64)
		t.Logf("seed %d: %d delivered; epochs Alice %d, Bob %d", seed, n, a.Epoch(), b.Epoch())
		if a.Epoch() < 3 || b.Epoch() < 3 {
			t.Fatal("epochs did not advance")
		}
	}
}

// TestPatterns runs the conversation shapes the session layer will see:
// bursts each way, a long one-sided run, and alternation, with every
// message delivered in order and every key checked.
func TestPatterns(t *testing.T) {
	a, b := newPair(t)
	exchange := func(from, to **State, n int) {
		for range n {
			next, m, k, err := (*from).Send()
			if err != nil {
				t.Fatal(err)
			}
			*from = next
			next, k2, err := (*to).Recv(m)
			if err != nil || !bytes.Equal(k, k2) || k == nil {
				t.Fatalf("recv: %v", err)
			}
			*to = next
		}
	}
	for range 20 { // bursts
		exchange(&a, &b, 25)
		exchange(&b, &a, 25)
	}
	e1 := a.Epoch()
	exchange(&a, &b, 3000) // one-sided: the Braid waits, the chain goes on
	if a.Epoch() != e1 {
		t.Fatalf("epoch moved during a one-sided run: %d -> %d", e1, a.Epoch())
	}
	for range 150 { // alternation
		exchange(&a, &b, 1)
		exchange(&b, &a, 1)
	}
	t.Logf("epochs: after bursts %d, at the end Alice %d, Bob %d", e1, a.Epoch(), b.Epoch())
	if a.Epoch() < e1+3 {
		t.Fatal("epochs did not advance after the one-sided run")
	}
}

// scaled halves a simulation's length under the race detector.
func scaled(steps int) int {
	if raceOn {
		return steps / 2
	}
	return steps
}
