package ratchet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/curve"
)

// model predicts what a receiver's Decrypt must do, from the rules of
// PROTOCOL.md (libsignal's behaviour) written as plainly as possible.
type model struct {
	chains  []*modelChain // oldest first
	dropped []curve.PublicKey
	seen    map[curve.PublicKey]bool
}

type modelChain struct {
	pub    curve.PublicKey
	next   uint32
	stored map[uint32]bool
	order  []uint32 // stored indices, oldest first (may hold used ones)
	floor  uint32
}

type outcome int

const (
	okOutcome outcome = iota
	dupOutcome
	skippedLimitOutcome
	chainLimitOutcome
	jumpLimitOutcome
	macOutcome
)

func (o outcome) String() string {
	return [...]string{"ok", "duplicate", "MaxSkippedKeysPerChain", "MaxReceiverChains", "MaxForwardJump", "bad MAC"}[o]
}

// predict returns the outcome of delivering (pub, counter) and, if apply is
// set and the outcome is ok, updates the model.
func (m *model) predict(pub curve.PublicKey, counter uint32, apply bool) outcome {
	var c *modelChain
	for _, x := range m.chains {
		if x.pub == pub {
			c = x
		}
	}
	if c == nil {
		if slices.Contains(m.dropped, pub) {
			return chainLimitOutcome
		}
		if m.seen[pub] {
			return macOutcome // forgotten entirely: a DH step that cannot authenticate
		}
		if counter > MaxForwardJump {
			return jumpLimitOutcome
		}
		if !apply {
			return okOutcome
		}
		m.seen[pub] = true
		if len(m.chains) == MaxReceiverChains {
			m.dropped = append(m.dropped, m.chains[0].pub)
			if len(m.dropped) > MaxReceiverChains {
				m.dropped = m.dropped[1:]
			}
			m.chains = m.chains[1:]
		}
		c = &modelChain{pub: pub, stored: map[uint32]bool{}}
		m.chains = append(m.chains, c)
	}
	if counter < c.next {
		switch {
		case c.stored[counter]:
			if apply {
				delete(c.stored, counter)
			}
			return okOutcome
		case counter < c.floor:
			return skippedLimitOutcome
		default:
			return dupOutcome
		}
	}
	if counter-c.next > MaxForwardJump {
		return jumpLimitOutcome
	}
	if !apply {
		return okOutcome
	}
	for i := c.next; i < counter; i++ {
		c.stored[i] = true
		c.order = append(c.order, i)
	}
	// Drop the oldest stored keys beyond the bound.
	live := 0
	for _, i := range c.order {
		if c.stored[i] {
			live++
		}
	}
	for live > MaxSkippedKeysPerChain {
		i := c.order[0]
		c.order = c.order[1:]
		if c.stored[i] {
			delete(c.stored, i)
			c.floor = max(c.floor, i+1)
			live--
		}
	}
	c.next = counter + 1
	return okOutcome
}

func checkOutcome(t *testing.T, step int, want outcome, err error) {
	t.Helper()
	var le *LimitError
	ok := false
	switch want {
	case okOutcome:
		ok = err == nil
	case dupOutcome:
		ok = errors.Is(err, ErrDuplicateMessage) && !errors.As(err, &le)
	case skippedLimitOutcome:
		ok = errors.Is(err, ErrSkippedKeyDropped) && errors.Is(err, ErrDuplicateMessage) &&
			errors.As(err, &le) && le.Limit == "MaxSkippedKeysPerChain" && strings.Contains(err.Error(), "2000")
	case chainLimitOutcome:
		ok = errors.Is(err, ErrReceiverChainDropped) && errors.As(err, &le) && strings.Contains(err.Error(), "MaxReceiverChains (5)")
	case jumpLimitOutcome:
		ok = errors.Is(err, ErrForwardJumpTooLarge) && errors.As(err, &le) && strings.Contains(err.Error(), "MaxForwardJump (25000)")
	case macOutcome:
		ok = errors.Is(err, ErrInvalidMAC)
	}
	if !ok {
		t.Fatalf("step %d: got error %v, want %v", step, err, want)
	}
}

type side struct {
	p        *party
	m        *model
	inflight []testMsg // messages to this side, not yet delivered
	done     []testMsg // delivered to this side
	sent     int
}

// TestPropertyRandomInterleavings plays two parties through random
// interleavings of send, deliver, drop, duplicate, reorder, tamper and
// far-future forgeries, with a model of the expected outcome of each
// delivery. Every delivered message must decrypt exactly once, to its own
// plaintext; every failure must name the right cause and leave the
// receiver's encoded state byte-identical.
func TestPropertyRandomInterleavings(t *testing.T) {
	seeds, msgs := 3, 10000
	if testing.Short() {
		seeds, msgs = 2, 2000
	}
	for seed := range seeds {
		t.Run("", func(t *testing.T) { runInterleaving(t, uint64(seed), msgs) })
	}
}

func runInterleaving(t *testing.T, seed uint64, maxMsgs int) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	alice, bob := newPair(t)
	if seed%2 == 1 {
		// Odd seeds salt every message (the SPQR hook): stored seeds
		// must meet their salt when the late message arrives.
		alice.salt, bob.salt = headerSalt, headerSalt
	}
	sides := [2]*side{
		{p: alice, m: &model{seen: map[curve.PublicKey]bool{}}},
		{p: bob, m: &model{seen: map[curve.PublicKey]bool{}}},
	}
	total, bursts := 0, 0
	counts := map[string]int{}
	send := func(from int) {
		s, r := sides[from], sides[1-from]
		pt := binary.BigEndian.AppendUint64([]byte{byte(from)}, uint64(s.sent))
		pt = append(pt, bytes.Repeat([]byte{'.'}, rng.IntN(40))...)
		s.sent++
		total++
		r.inflight = append(r.inflight, s.p.send(t, pt))
	}
	// Bob must hear from Alice before he can ratchet; start with one.
	send(0)
	for step := 0; total < maxMsgs; step++ {
		to := rng.IntN(2)
		r := sides[to]
		switch x := rng.IntN(100); {
		case x < 30: // send a few
			for range 1 + rng.IntN(4) {
				send(1 - to)
			}
			counts["send"]++
		case x < 36: // now and then a long burst, most of which will be lost
			if bursts == 2 || rng.IntN(4) != 0 {
				continue
			}
			bursts++
			for range 2000 + rng.IntN(200) {
				send(1 - to)
			}
			counts["burst"]++
		case x < 78: // deliver a random in-flight message (reordering)
			if len(r.inflight) == 0 {
				continue
			}
			// Prefer recent messages so that chains move on.
			i := len(r.inflight) - 1 - min(rng.IntN(8), len(r.inflight)-1)
			if rng.IntN(4) == 0 {
				i = rng.IntN(len(r.inflight))
			}
			m := r.inflight[i]
			r.inflight = slices.Delete(r.inflight, i, i+1)
			deliver(t, step, r, m, false)
			counts["deliver"]++
		case x < 82: // drop
			if len(r.inflight) == 0 {
				continue
			}
			i := rng.IntN(len(r.inflight))
			r.inflight = slices.Delete(r.inflight, i, i+1)
			counts["drop"]++
		case x < 88: // duplicate an already delivered message
			if len(r.done) == 0 {
				continue
			}
			deliver(t, step, r, r.done[rng.IntN(len(r.done))], false)
			counts["duplicate"]++
		case x < 94: // tamper with an in-flight message (it stays in flight)
			if len(r.inflight) == 0 {
				continue
			}
			deliver(t, step, r, r.inflight[rng.IntN(len(r.inflight))], true)
			counts["tamper"]++
		default: // forge a header far ahead on a chain the receiver knows
			if len(r.m.chains) == 0 {
				continue
			}
			c := r.m.chains[rng.IntN(len(r.m.chains))]
			m := testMsg{h: Header{RatchetKey: c.pub, Counter: c.next + MaxForwardJump + 1 + uint32(rng.IntN(1000))}, body: make([]byte, 16)}
			deliver(t, step, r, m, true)
			counts["forge"]++
		}
	}
	// Deliver some of what is left, in random order (late arrivals).
	for _, r := range sides {
		rng.Shuffle(len(r.inflight), func(i, j int) { r.inflight[i], r.inflight[j] = r.inflight[j], r.inflight[i] })
		for _, m := range r.inflight[:min(len(r.inflight), 300)] {
			deliver(t, -1, r, m, false)
		}
	}
	t.Logf("seed %d: %d messages, %d DH steps; events %v; outcomes %v", seed, total, len(sides[0].m.seen)+len(sides[1].m.seen), counts, outcomes)
	outcomes = map[outcome]int{}
}

var outcomes = map[outcome]int{}

func deliver(t *testing.T, step int, r *side, m testMsg, tamper bool) {
	t.Helper()
	want := r.m.predict(m.h.RatchetKey, m.h.Counter, false)
	if tamper && want == okOutcome {
		want = macOutcome
	}
	if tamper {
		m.tag[0] ^= 1
	}
	// Encoding a state with thousands of stored keys is slow; take the
	// before-image whenever a failure is possible (the model predicts one;
	// when it predicts success, a failure fails the test anyway).
	var before []byte
	if want != okOutcome {
		before = encoded(t, r.p.s)
	}
	pt, err := r.p.recv(m)
	checkOutcome(t, step, want, err)
	outcomes[want]++
	if err != nil {
		if after := encoded(t, r.p.s); !bytes.Equal(before, after) {
			t.Fatalf("step %d: failed decrypt (%v) changed the encoded state", step, err)
		}
		return
	}
	r.m.predict(m.h.RatchetKey, m.h.Counter, true)
	if !bytes.Equal(pt, m.plaintext()) {
		t.Fatalf("step %d: decrypted %x, want %x", step, pt, m.plaintext())
	}
	r.done = append(r.done, m)
	// The stored skipped keys never exceed the bounds.
	if len(r.p.s.recv) > MaxReceiverChains || len(r.p.s.dropped) > MaxReceiverChains {
		t.Fatalf("step %d: %d receiving chains, %d dropped keys", step, len(r.p.s.recv), len(r.p.s.dropped))
	}
	for _, c := range r.p.s.recv {
		if len(c.skipped) > MaxSkippedKeysPerChain {
			t.Fatalf("step %d: %d skipped keys stored", step, len(c.skipped))
		}
	}
}
