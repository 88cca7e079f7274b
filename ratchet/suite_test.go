package ratchet

import (
	"bytes"
	"testing"

	"github.com/forwardsecret/signal/curve"
)

func suitePair(t *testing.T, su Suite) (alice, bob *State) {
	t.Helper()
	root := bytes.Repeat([]byte{7}, 32)
	ck := bytes.Repeat([]byte{9}, 32)
	bk, _ := curve.GenerateKeyPair()
	ak, _ := curve.GenerateKeyPair()
	var err error
	if alice, err = su.NewAlice(root, nil, bk.Public, ak); err != nil {
		t.Fatal(err)
	}
	if bob, err = su.NewBob(root, ck, bk); err != nil {
		t.Fatal(err)
	}
	return alice, bob
}

func roundTrip(t *testing.T, from, to *State, msg string) Header {
	t.Helper()
	h, body, _, err := from.Encrypt(nil, []byte(msg), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := to.Decrypt(nil, h, body, nil, func(*MACKey) error { return nil })
	if err != nil || string(got) != msg {
		t.Fatalf("Decrypt = %q, %v", got, err)
	}
	return h
}

// TestSuiteLabels checks that a Suite's labels change the keys (a state
// under Signal's labels cannot read a message under others), that the
// labels survive Clone and UnmarshalBinary into a state that has them
// set, and that CountPreviousChain sends the count.
func TestSuiteLabels(t *testing.T) {
	su := Suite{RootInfo: "OMEMO Root Chain", MessageKeysInfo: "OMEMO Message Key Material", CountPreviousChain: true}
	a, b := suitePair(t, su)
	roundTrip(t, a, b, "one")
	roundTrip(t, a, b, "two")
	roundTrip(t, a, b, "three")
	roundTrip(t, b, a, "reply")
	h := roundTrip(t, a, b.Clone(), "after reply")
	if h.PreviousCounter != 3 {
		t.Fatalf("PreviousCounter = %d, want 3 (a count)", h.PreviousCounter)
	}

	// The same message under Signal's labels has another MAC key (so a
	// verify function that checks it refuses the message).
	h, body, mac, err := a.Encrypt(nil, []byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	sameMAC := func(k *MACKey) error {
		if *k != mac {
			return ErrInvalidMAC
		}
		return nil
	}
	plain := b.Clone()
	plain.SetSuite(Suite{})
	if _, err := plain.Decrypt(nil, h, body, nil, sameMAC); err != ErrInvalidMAC {
		t.Fatalf("a state with Signal's labels: %v, want ErrInvalidMAC", err)
	}
	enc, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back State
	if err := back.UnmarshalBinary(enc); err != nil {
		t.Fatal(err)
	}
	if back.Suite() != (Suite{}) {
		t.Fatal("a zero State got a suite from an encoding")
	}
	var zero State
	zero.SetSuite(su) // before UnmarshalBinary: kept
	if err := zero.UnmarshalBinary(enc); err != nil || zero.Suite() != su {
		t.Fatalf("SetSuite on a zero State: %v, suite %+v", err, zero.Suite())
	}
	if _, err := zero.Clone().Decrypt(nil, h, body, nil, sameMAC); err != nil {
		t.Fatal(err)
	}
	c := b.Clone()
	if err := c.UnmarshalBinary(enc); err != nil {
		t.Fatal(err)
	}
	if c.Suite() != su {
		t.Fatal("UnmarshalBinary dropped the suite of a usable state")
	}
	if _, err := c.Decrypt(nil, h, body, nil, sameMAC); err != nil {
		t.Fatal(err)
	}
}

// TestZeroSuiteIsSignal checks that Suite{}.NewAlice and NewAlice make the
// same keys (the zero Suite is Signal's), with libsignal's previous counter.
func TestZeroSuiteIsSignal(t *testing.T) {
	root := bytes.Repeat([]byte{1}, 32)
	ck := bytes.Repeat([]byte{2}, 32)
	bk, _ := curve.GenerateKeyPair()
	ak, _ := curve.GenerateKeyPair()
	a1, err := NewAlice(root, ck, bk.Public, ak)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := Suite{}.NewAlice(root, ck, bk.Public, ak)
	if err != nil {
		t.Fatal(err)
	}
	e1, _ := a1.MarshalBinary()
	e2, _ := a2.MarshalBinary()
	if !bytes.Equal(e1, e2) {
		t.Fatal("zero Suite state differs from NewAlice's")
	}
	b, _ := NewBob(root, ck, bk)
	roundTrip(t, a1, b, "1")
	roundTrip(t, a1, b, "2")
	roundTrip(t, b, a1, "r")
	if h := roundTrip(t, a1, b, "3"); h.PreviousCounter != 1 {
		t.Fatalf("PreviousCounter = %d, want libsignal's 1", h.PreviousCounter)
	}
}
