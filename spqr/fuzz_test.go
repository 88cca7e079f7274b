package spqr

import (
	"bytes"
	"errors"
	"testing"
	"testing/cryptotest"
)

// isPackageError reports whether err wraps one of the package's sentinels.
func isPackageError(err error) bool {
	for _, s := range []error{ErrStateDecode, ErrMessageDecode, ErrMAC, ErrEpochOutOfRange,
		ErrVersionMismatch, ErrMinimumVersion, ErrKeyJump, ErrKeyTrimmed, ErrKeyAlreadyRequested,
		ErrErroneousData, ErrSendEpochDecreased, ErrChainNotAvailable} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// lockstepMessages returns real messages of a lockstep run, for seeds.
func lockstepMessages(tb testing.TB, n int) (msgs [][]byte, states []*State) {
	a, b := newPair(tb)
	for range n {
		var m []byte
		a, m, _, _ = a.Send()
		msgs = append(msgs, m)
		b, _, _ = b.Recv(m)
		b, m, _, _ = b.Send()
		msgs = append(msgs, m)
		a, _, _ = a.Recv(m)
		states = append(states, a, b)
	}
	return msgs, states
}

// FuzzParseMessage checks that the SPQR message parser never panics, that
// it fails only with ErrMessageDecode, and that what it accepts re-encodes
// to a message that parses to the same value.
func FuzzParseMessage(f *testing.F) {
	msgs, _ := lockstepMessages(f, 45)
	for _, m := range msgs {
		f.Add(m)
	}
	f.Add([]byte{})
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMessage(b)
		if err != nil {
			if !errors.Is(err, ErrMessageDecode) {
				t.Fatal(err)
			}
			return
		}
		enc, _ := m.MarshalBinary()
		if len(enc) > MaxMessageSize || len(enc) > len(b) {
			t.Fatalf("re-encoding is %d bytes from %d", len(enc), len(b))
		}
		m2, err := ParseMessage(enc)
		if err != nil || *m2 != *m {
			t.Fatal("re-encoding does not round-trip")
		}
	})
}

// FuzzState parses arbitrary stored states and, when they parse, sends and
// receives with them: no panics, only package errors, and a failed Recv
// leaves the state unchanged.
func FuzzState(f *testing.F) {
	msgs, states := lockstepMessages(f, 45)
	for i, s := range states {
		if i%5 == 0 {
			raw, _ := s.MarshalBinary()
			f.Add(raw, msgs[i])
		}
	}
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, raw, msg []byte) {
		cryptotest.SetGlobalRandom(t, 1)
		s, err := ParseState(raw)
		if err != nil {
			if !errors.Is(err, ErrStateDecode) {
				t.Fatal(err)
			}
			return
		}
		before, _ := s.MarshalBinary()
		if _, err := ParseState(before); err != nil {
			t.Fatalf("stored state does not re-parse: %v", err)
		}
		if _, _, _, err := s.Send(); err != nil && !isPackageError(err) {
			t.Fatalf("Send: %v", err)
		}
		// A key up to MaxJump (25,000) ahead costs one HKDF per step, a
		// few hundred milliseconds with coverage on, and the fuzzer, once
		// it has such a message, keeps mutating it into others. So the
		// walk is bounded with RecvWithin (Recv is RecvWithin without a
		// bound): 64 steps, or 3,000 (past the 2,000 kept keys) for one
		// input in 64. A longer jump is refused before any step.
		budget := uint32(64)
		if len(raw)%64 == 63 {
			budget = 3000
		}
		if _, _, _, err := s.RecvWithin(msg, budget); err != nil && !isPackageError(err) {
			t.Fatalf("Recv: %v", err)
		}
		after, _ := s.MarshalBinary()
		if !bytes.Equal(before, after) {
			t.Fatal("Send/Recv modified the receiver")
		}
	})
}

// FuzzBraid plays a two-party conversation driven by the input: each byte
// is an action (bits 0-1: Alice sends, Bob sends, deliver to Bob, deliver to
// Alice; bits 2-4: which of the 8 oldest in-flight messages; bit 5: drop it
// instead). Every delivered message must be accepted and yield the sender's
// key.
func FuzzBraid(f *testing.F) {
	f.Add([]byte{0, 2, 1, 3, 0, 2, 1, 3})
	f.Add(bytes.Repeat([]byte{0, 1, 2, 3}, 200))
	f.Add(bytes.Repeat([]byte{0, 0, 0, 2, 2, 1, 3, 3, 0x22, 0x0e}, 100))
	f.Fuzz(func(t *testing.T, actions []byte) {
		cryptotest.SetGlobalRandom(t, uint64(len(actions)))
		if len(actions) > 1000 {
			actions = actions[:1000]
		}
		a, b := newPair(t)
		type flight struct{ msg, key []byte }
		var toB, toA []flight
		for _, act := range actions {
			switch act & 3 {
			case 0, 1:
				s, q := &a, &toB
				if act&3 == 1 {
					s, q = &b, &toA
				}
				next, m, k, err := (*s).Send()
				if err != nil {
					t.Fatal(err)
				}
				if k == nil {
					t.Fatal("V1 message without key")
				}
				*s = next
				*q = append(*q, flight{m, k})
			case 2, 3:
				s, q := &b, &toB
				if act&3 == 3 {
					s, q = &a, &toA
				}
				if len(*q) == 0 {
					continue
				}
				i := int(act>>2&7) % len(*q)
				fl := (*q)[i]
				*q = append((*q)[:i], (*q)[i+1:]...)
				if act&0x20 != 0 {
					continue // dropped
				}
				next, k, err := (*s).Recv(fl.msg)
				if err != nil {
					t.Fatalf("Recv: %v", err)
				}
				if !bytes.Equal(k, fl.key) {
					t.Fatal("key mismatch")
				}
				*s = next
			}
		}
	})
}
