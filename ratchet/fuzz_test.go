package ratchet

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/forwardsecret/signal/curve"
)

// fixedPair is a deterministic Alice and Bob: fixed handshake secrets and
// ratchet keys, so that Alice's messages are the same in every run.
func fixedPair(t testing.TB) (alice, bob *party) {
	t.Helper()
	key := func(label string) curve.KeyPair {
		d := sha256.Sum256([]byte(label))
		k, err := curve.NewPrivateKey(d[:])
		if err != nil {
			t.Fatal(err)
		}
		return curve.NewKeyPair(k)
	}
	root := sha256.Sum256([]byte("fuzz root"))
	chain := sha256.Sum256([]byte("fuzz chain"))
	spk := key("bob spk")
	a, err := NewAlice(root[:], chain[:], spk.Public, key("alice ratchet"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBob(root[:], chain[:], spk)
	if err != nil {
		t.Fatal(err)
	}
	ida, idb := key("alice id").Public, key("bob id").Public
	return &party{s: a, id: ida, peer: idb}, &party{s: b, id: idb, peer: ida}
}

// fuzzSetup returns Bob's live state (encoded) after messages 0 and 3 of
// Alice's chain, and Alice's messages 0..5.
func fuzzSetup(t testing.TB) ([]byte, *party, []testMsg) {
	alice, bob := fixedPair(t)
	var msgs []testMsg
	for i := range 6 {
		msgs = append(msgs, alice.send(t, []byte{byte(i), 'm', 's', 'g'}))
	}
	for _, i := range []int{0, 3} {
		if _, err := bob.recv(msgs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return encoded(t, bob.s), bob, msgs
}

func addSeed(f *testing.F, m testMsg, salt []byte) {
	u := m.h.RatchetKey.U()
	f.Add(u[:], m.h.Counter, m.h.PreviousCounter, m.body, m.tag[:], salt)
}

// FuzzDecrypt feeds random headers and bodies to a live state. Decrypt must
// not panic; it may succeed only for one of Alice's real messages, and
// when it fails the encoded state must be unchanged.
func FuzzDecrypt(f *testing.F) {
	enc, bob, msgs := fuzzSetup(f)
	for _, m := range msgs {
		addSeed(f, m, nil)
	}
	addSeed(f, testMsg{h: Header{RatchetKey: msgs[0].h.RatchetKey, Counter: MaxForwardJump + 65}, body: make([]byte, 32)}, nil) // refused: beyond the fold below
	addSeed(f, testMsg{h: Header{RatchetKey: bob.peer, Counter: 1}, body: make([]byte, 16)}, make([]byte, 32))
	// Every run starts from the same live state, decoded afresh, so that a
	// failure depends on its own input only; a failed Decrypt must leave
	// the state as it was, which each run checks.
	f.Fuzz(func(t *testing.T, rk []byte, counter, prev uint32, body, tag, salt []byte) {
		var s State
		if err := s.UnmarshalBinary(enc); err != nil {
			t.Fatal(err)
		}
		pub, err := curve.NewPublicKey(rk)
		if err != nil {
			return
		}
		// A counter up to MaxForwardJump ahead costs one HMAC per chain
		// step before the MAC check (the designed bound, SECURITY.md's
		// 27,386 per decrypt), and the fuzzer, once it has such an input,
		// keeps mutating it into other long walks: fold those counters
		// into short jumps (one in 64 up to 3,000 steps, past the 2,000
		// kept keys). Larger jumps are refused before any step.
		if counter > 64 && counter <= MaxForwardJump+64 {
			if counter%64 == 63 {
				counter %= 3000
			} else {
				counter %= 64
			}
		}
		h := Header{RatchetKey: pub, Counter: counter, PreviousCounter: prev}
		ser := serialize(h, body)
		pt, err := s.Decrypt(nil, h, body, salt, func(k *MACKey) error {
			return s.VerifySignalMAC(k, bob.peer, bob.id, ser, tag)
		})
		if err == nil {
			for _, m := range msgs {
				// The real messages use no salt, which HKDF takes as
				// HashLen zero bytes; HMAC pads a key with zeros to its
				// block size, so any salt of up to 64 zero bytes is the
				// same salt and must decrypt them too.
				if m.h == h && bytes.Equal(m.body, body) && bytes.Equal(m.tag[:], tag) && len(salt) <= 64 && !slices.ContainsFunc(salt, func(b byte) bool { return b != 0 }) {
					if !bytes.Equal(pt, m.pt) {
						t.Fatalf("decrypted %x, want %x", pt, m.pt)
					}
					return
				}
			}
			t.Fatalf("forged message accepted: %+v", h)
		}
		if after := encoded(t, &s); !bytes.Equal(after, enc) {
			t.Fatalf("failed decrypt (%v) changed the state", err)
		}
		if !errors.Is(err, ErrInvalidMAC) && !errors.Is(err, ErrDuplicateMessage) && !errors.Is(err, ErrInvalidCiphertext) &&
			!errors.Is(err, ErrForwardJumpTooLarge) && !errors.Is(err, ErrInvalidKey) && !errors.Is(err, ErrCounterOverflow) &&
			!errors.Is(err, ErrReceiverChainDropped) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// FuzzUnmarshalBinary: no panics; anything accepted re-encodes to an
// encoding that decodes to the same encoding.
func FuzzUnmarshalBinary(f *testing.F) {
	enc, bob, _ := fuzzSetup(f)
	f.Add(enc)
	f.Add(encoded(f, bob.s))
	f.Add([]byte{'D', 'R', 1})
	alice, _ := fixedPair(f)
	f.Add(encoded(f, alice.s))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s State
		if err := s.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrInvalidState) {
				t.Fatalf("error %v does not wrap ErrInvalidState", err)
			}
			return
		}
		e1 := encoded(t, &s)
		var s2 State
		if err := s2.UnmarshalBinary(e1); err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if e2 := encoded(t, &s2); !bytes.Equal(e1, e2) {
			t.Fatal("encoding not stable")
		}
	})
}

func TestMarshalRoundTrip(t *testing.T) {
	alice, bob := newPair(t)
	for i := range 40 {
		m := alice.send(t, []byte{byte(i)})
		if i%3 != 0 {
			if _, err := bob.recv(m); err != nil {
				t.Fatal(err)
			}
		}
		if i%7 == 0 {
			if _, err := alice.recv(bob.send(t, []byte("r"))); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A legacy whole-key skipped entry, as in old libsignal records.
	sn := bob.s.Snapshot()
	c := &sn.Receivers[len(sn.Receivers)-1]
	c.Skipped = append(c.Skipped, SkippedKey{Index: c.ChainKey.Index - 1, Keys: &MessageKeys{IV: [16]byte{1}}})
	c.ChainKey.Index++
	st, err := FromSnapshot(sn)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*State{alice.s, bob.s, st} {
		e := encoded(t, s)
		var s2 State
		if err := s2.UnmarshalBinary(e); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(encoded(t, &s2), e) {
			t.Fatal("round trip changed the encoding")
		}
		s3, err := FromSnapshot(s.Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(encoded(t, s3), e) {
			t.Fatal("snapshot round trip changed the encoding")
		}
		// Every truncation and every appended byte is refused, and a
		// refused UnmarshalBinary leaves its receiver alone.
		for n := range len(e) {
			if err := s2.UnmarshalBinary(e[:n]); !errors.Is(err, ErrInvalidState) {
				t.Fatalf("truncated to %d: %v", n, err)
			}
		}
		if err := s2.UnmarshalBinary(append(bytes.Clone(e), 0)); !errors.Is(err, ErrInvalidState) {
			t.Fatalf("trailing byte: %v", err)
		}
		if !bytes.Equal(encoded(t, &s2), e) {
			t.Fatal("failed UnmarshalBinary changed the receiver")
		}
	}
	// The restored state keeps working.
	var b2 State
	if err := b2.UnmarshalBinary(encoded(t, bob.s)); err != nil {
		t.Fatal(err)
	}
	bob.s = &b2
	if _, err := bob.recv(alice.send(t, []byte("after"))); err != nil {
		t.Fatal(err)
	}
}

func TestFromSnapshotRejects(t *testing.T) {
	alice, bob := newPair(t)
	for range 3 {
		alice.send(t, nil)
	}
	if _, err := bob.recv(alice.send(t, nil)); err != nil {
		t.Fatal(err)
	}
	base := bob.s.Snapshot()
	mutate := map[string]func(*Snapshot){
		"too many chains": func(sn *Snapshot) {
			for range MaxReceiverChains {
				sn.Receivers = append(sn.Receivers, ReceiverChain{RatchetKey: mustKeyPair(t).Public})
			}
		},
		"repeated chain":      func(sn *Snapshot) { sn.Receivers = append(sn.Receivers, sn.Receivers[0]) },
		"zero ratchet key":    func(sn *Snapshot) { sn.Receivers[0].RatchetKey = curve.PublicKey{} },
		"skipped not below":   func(sn *Snapshot) { sn.Receivers[0].Skipped[0].Index = sn.Receivers[0].ChainKey.Index },
		"skipped repeated":    func(sn *Snapshot) { sn.Receivers[0].Skipped[1].Index = sn.Receivers[0].Skipped[0].Index },
		"floor above index":   func(sn *Snapshot) { sn.Receivers[0].SkippedFloor = sn.Receivers[0].ChainKey.Index + 1 },
		"skipped below floor": func(sn *Snapshot) { sn.Receivers[0].SkippedFloor = 2 },
		"too many skipped": func(sn *Snapshot) {
			sn.Receivers[0].ChainKey.Index = 5000
			for i := range MaxSkippedKeysPerChain + 1 {
				sn.Receivers[0].Skipped = append(sn.Receivers[0].Skipped, SkippedKey{Index: uint32(100 + i)})
			}
		},
		"mismatched sender pair": func(sn *Snapshot) { sn.Sender.RatchetKey.Public = mustKeyPair(t).Public },
		"sender without private": func(sn *Snapshot) { sn.Sender.RatchetKey.Private = nil },
		"dropped is live":        func(sn *Snapshot) { sn.DroppedRatchetKeys = []curve.PublicKey{sn.Receivers[0].RatchetKey} },
	}
	for name, m := range mutate {
		sn := bob.s.Snapshot()
		m(sn)
		if _, err := FromSnapshot(sn); !errors.Is(err, ErrInvalidState) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// Any order of skipped keys is accepted (libsignal stores newest first).
	sn := bob.s.Snapshot()
	sk := sn.Receivers[0].Skipped
	sk[0], sk[len(sk)-1] = sk[len(sk)-1], sk[0]
	st, err := FromSnapshot(sn)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encoded(t, st), encoded(t, bob.s)) {
		t.Error("reordered skipped keys give a different state")
	}
	_ = base
	_ = binary.BigEndian
}
