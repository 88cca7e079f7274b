package he

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/ratchet"
)

func newHEPair(t testing.TB) (alice, bob *State) {
	t.Helper()
	sk := sha256.Sum256([]byte("sk"))
	hka := sha256.Sum256([]byte("hka"))
	nhkb := sha256.Sum256([]byte("nhkb"))
	bobKey := mustKeyPair(t)
	a, err := NewAlice(sk[:], bobKey.Public, hka[:], nhkb[:], mustKeyPair(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBob(sk[:], bobKey, hka[:], nhkb[:])
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

func heSeal(t testing.TB, s *State, pt, ad []byte) []byte {
	t.Helper()
	m, err := s.Seal(nil, pt, ad)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != len(pt)+Overhead {
		t.Fatalf("message of %d bytes for %d", len(m), len(pt))
	}
	return m
}

func TestHERoundTripAndHiding(t *testing.T) {
	alice, bob := newHEPair(t)
	ad := []byte("app ad")
	if _, err := bob.Seal(nil, []byte("x"), ad); !errors.Is(err, ratchet.ErrNoSendingChain) {
		t.Fatalf("Bob before first message: %v", err)
	}
	for round := range 6 {
		for _, dir := range [][2]*State{{alice, bob}, {bob, alice}} {
			var msgs [][]byte
			for i := range 3 {
				msgs = append(msgs, heSeal(t, dir[0], []byte(fmt.Sprintf("r%d m%d", round, i)), ad))
			}
			// Out of order: 2, 0, 1.
			for _, i := range []int{2, 0, 1} {
				pt, err := dir[1].Open(nil, msgs[i], ad)
				if err != nil || string(pt) != fmt.Sprintf("r%d m%d", round, i) {
					t.Fatalf("round %d msg %d: %q %v", round, i, pt, err)
				}
			}
			for _, m := range msgs {
				if _, err := dir[1].Open(nil, m, ad); !errors.Is(err, ratchet.ErrDuplicateMessage) {
					t.Fatalf("replay: %v", err)
				}
			}
		}
	}

	// Hiding: the same counter under the same header key gives different
	// header ciphertexts, and nothing in the clear repeats the ratchet key.
	a2, _ := newHEPair(t)
	h1 := heSeal(t, a2, []byte("same"), ad)
	st := *a2 // a shallow copy sends the same counter again
	h2 := heSeal(t, &st, []byte("same"), ad)
	if bytes.Equal(h1[:HeaderSize], h2[:HeaderSize]) {
		t.Error("equal counters gave equal header ciphertexts")
	}
	u := a2.dhs.Public.U()
	if bytes.Contains(h1, u[:]) {
		t.Error("ratchet key visible in the message")
	}
}

func TestHEFailuresLeaveStateUnchanged(t *testing.T) {
	alice, bob := newHEPair(t)
	ad := []byte("ad")
	m0 := heSeal(t, alice, []byte("zero"), ad)
	m1 := heSeal(t, alice, []byte("one"), ad)
	if _, err := bob.Open(nil, m1, ad); err != nil {
		t.Fatal(err)
	}
	before := encodedHE(t, bob)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		bad := bytes.Clone(m0)
		bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
		if _, err := bob.Open(nil, bad, ad); !errors.Is(err, ratchet.ErrInvalidMAC) {
			t.Fatalf("flip %d: %v", i, err)
		}
	}
	if _, err := bob.Open(nil, m0, []byte("other ad")); !errors.Is(err, ratchet.ErrInvalidMAC) {
		t.Fatalf("wrong ad: %v", err)
	}
	if _, err := bob.Open(nil, m0[:Overhead-1], ad); !errors.Is(err, ratchet.ErrInvalidCiphertext) {
		t.Fatalf("short: %v", err)
	}
	if !bytes.Equal(before, encodedHE(t, bob)) {
		t.Fatal("failed Open changed the state")
	}
	if pt, err := bob.Open(nil, m0, ad); err != nil || string(pt) != "zero" {
		t.Fatalf("m0 after failures: %q %v", pt, err)
	}
}

func TestHEForwardJumpAndBounds(t *testing.T) {
	alice, bob := newHEPair(t)
	ad := []byte(nil)
	if _, err := bob.Open(nil, heSeal(t, alice, nil, ad), ad); err != nil {
		t.Fatal(err)
	}
	for range ratchet.MaxForwardJump + 1 {
		if _, err := alice.Seal(nil, nil, ad); err != nil {
			t.Fatal(err)
		}
	}
	before := encodedHE(t, bob)
	steps := bob.k.Steps
	_, err := bob.Open(nil, heSeal(t, alice, nil, ad), ad)
	var le *ratchet.LimitError
	if !errors.Is(err, ratchet.ErrForwardJumpTooLarge) || !errors.As(err, &le) || le.Got != ratchet.MaxForwardJump+1 {
		t.Fatalf("jump of 25001: %v", err)
	}
	if bob.k.Steps != steps || !bytes.Equal(before, encodedHE(t, bob)) {
		t.Fatal("refused jump took steps or changed the state")
	}
}

// TestHEManyRatchets exercises skipped keys across DH steps, with messages
// of old chains arriving after newer ones.
func TestHEManyRatchets(t *testing.T) {
	alice, bob := newHEPair(t)
	ad := []byte("ad")
	rng := rand.New(rand.NewPCG(3, 4))
	type pending struct {
		m     []byte
		pt    string
		to    *State
		round int
	}
	var late []pending
	p := [2]*State{alice, bob}
	// Bob needs one message before he can send.
	if _, err := bob.Open(nil, heSeal(t, alice, []byte("hi"), ad), ad); err != nil {
		t.Fatal(err)
	}
	for round := range 40 {
		// Messages held back two rounds (one or two DH steps ago on the
		// receiver) must still open, from their stored keys.
		keep := late[:0]
		for _, l := range late {
			if l.round > round-2 {
				keep = append(keep, l)
				continue
			}
			if got, err := l.to.Open(nil, l.m, ad); err != nil || string(got) != l.pt {
				t.Fatalf("late %s at round %d: %q %v", l.pt, round, got, err)
			}
		}
		late = keep
		from, to := p[round&1], p[1-round&1]
		for i := range 1 + rng.IntN(5) {
			pt := fmt.Sprintf("%d/%d", round, i)
			m := heSeal(t, from, []byte(pt), ad)
			if rng.IntN(3) == 0 {
				late = append(late, pending{m, pt, to, round})
				continue
			}
			if got, err := to.Open(nil, m, ad); err != nil || string(got) != pt {
				t.Fatalf("%s: %q %v", pt, got, err)
			}
		}
	}
	for _, l := range late {
		if got, err := l.to.Open(nil, l.m, ad); err != nil || string(got) != l.pt {
			t.Fatalf("late %s: %q %v", l.pt, got, err)
		}
	}
	// Chains beyond ratchet.MaxReceiverChains are forgotten: a message from one
	// fails to open. Bob's first chains are long gone after 40 rounds.
	old := heSeal(t, alice, []byte("x"), ad) // current chain: opens
	if _, err := bob.Open(nil, old, ad); err != nil {
		t.Fatal(err)
	}
	if n := len(bob.skipped); n > ratchet.MaxReceiverChains {
		t.Fatalf("%d stored chains", n)
	}
}

func TestRedaction(t *testing.T) {
	he, _ := newHEPair(t)
	for _, v := range []any{he, *he} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%x", "%s"} {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(out, fmt.Sprintf("%x", he.root[:4])) ||
				strings.Contains(out, fmt.Sprint(he.root[0], " ", he.root[1])) || !strings.Contains(out, "REDACTED") {
				t.Errorf("%s of %T leaks a key: %s", verb, v, out)
			}
		}
	}
}

func encodedHE(t testing.TB, s *State) []byte {
	t.Helper()
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHEMarshal(t *testing.T) {
	alice, bob := newHEPair(t)
	ad := []byte("ad")
	var skippedMsg []byte
	for i := range 5 {
		m := heSeal(t, alice, []byte{byte(i)}, ad)
		if i == 1 {
			skippedMsg = m
			continue
		}
		if _, err := bob.Open(nil, m, ad); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := alice.Open(nil, heSeal(t, bob, []byte("r"), ad), ad); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*State{alice, bob} {
		e := encodedHE(t, s)
		var s2 State
		if err := s2.UnmarshalBinary(e); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(encodedHE(t, &s2), e) {
			t.Fatal("round trip changed the encoding")
		}
		for n := range len(e) {
			if err := s2.UnmarshalBinary(e[:n]); !errors.Is(err, ratchet.ErrInvalidState) {
				t.Fatalf("truncated to %d: %v", n, err)
			}
		}
		if err := s2.UnmarshalBinary(append(bytes.Clone(e), 1)); !errors.Is(err, ratchet.ErrInvalidState) {
			t.Fatal("trailing byte accepted")
		}
	}
	var b2 State
	if err := b2.UnmarshalBinary(encodedHE(t, bob)); err != nil {
		t.Fatal(err)
	}
	if pt, err := b2.Open(nil, skippedMsg, ad); err != nil || !bytes.Equal(pt, []byte{1}) {
		t.Fatalf("skipped message after restore: %v", err)
	}
}

func mustKeyPair(t testing.TB) curve.KeyPair {
	t.Helper()
	kp, err := curve.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return kp
}
