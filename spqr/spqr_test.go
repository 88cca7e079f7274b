package spqr

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func mustState(t *testing.T, p Params) *State {
	t.Helper()
	s, err := NewState(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustMarshal(t testing.TB, s *State) []byte {
	t.Helper()
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNegotiationMinV1CreatesKeys(t *testing.T) {
	a := mustState(t, Params{Direction: A2B, Version: V1, MinVersion: V1, AuthKey: testAuthKey})
	b := mustState(t, Params{Direction: B2A, Version: V1, MinVersion: V0, AuthKey: testAuthKey})
	if v, neg := a.Version(); v != V1 || !neg {
		t.Fatalf("Version() = %v, %v", v, neg)
	}
	a, ma, ka, err := a.Send()
	if err != nil || ka == nil {
		t.Fatalf("min-V1 sender has no key: %v", err)
	}
	b, _, kb, err := b.Send()
	if err != nil || kb != nil {
		t.Fatalf("min-V0 sender before any reply has a key: %x, %v", kb, err)
	}
	b, kb, err = b.Recv(ma)
	if err != nil || !bytes.Equal(ka, kb) {
		t.Fatalf("recv: %v", err)
	}
	if _, neg := b.Version(); neg {
		t.Fatal("receiving did not end negotiation")
	}
	_, mb, kb, err := b.Send()
	if err != nil || kb == nil {
		t.Fatal("no key after the first receive")
	}
	if _, ka, err = a.Recv(mb); err != nil || !bytes.Equal(ka, kb) {
		t.Fatalf("A recv: %v", err)
	}
}

func TestNegotiateDownToV0(t *testing.T) {
	a := mustState(t, Params{Direction: A2B, Version: V1, MinVersion: V0, AuthKey: testAuthKey})
	b := mustState(t, Params{Direction: B2A, Version: V0})
	if v, neg := b.Version(); v != V0 || neg {
		t.Fatal("V0 state")
	}
	a, ma, _, err := a.Send()
	if err != nil {
		t.Fatal(err)
	}
	b, kb, err := b.Recv(ma)
	if err != nil || kb != nil {
		t.Fatalf("V0 receiving V1: %x, %v", kb, err)
	}
	b, mb, kb, err := b.Send()
	if err != nil || len(mb) != 0 || kb != nil {
		t.Fatal("V0 sends an empty message without key")
	}
	a, ka, err := a.Recv(mb)
	if err != nil || ka != nil {
		t.Fatalf("downgrade: %v", err)
	}
	if v, neg := a.Version(); v != V0 || neg {
		t.Fatalf("after downgrade: %v, %v", v, neg)
	}
	if raw, _ := a.MarshalBinary(); len(raw) != 0 {
		t.Fatal("a V0 state is stored empty")
	}
	_ = b
}

func TestNegotiationRefused(t *testing.T) {
	a := mustState(t, Params{Direction: A2B, Version: V1, MinVersion: V1, AuthKey: testAuthKey})
	b := mustState(t, Params{Direction: B2A, Version: V0})
	_, mb, _, _ := b.Send()
	if _, _, err := a.Recv(mb); !errors.Is(err, ErrMinimumVersion) {
		t.Fatalf("err = %v, want ErrMinimumVersion", err)
	}
	// After negotiation has ended, an empty message is a mismatch.
	a, b = newPair(t)
	a, ma, _, _ := a.Send()
	b, _, _ = b.Recv(ma)
	if _, _, err := b.Recv(nil); !errors.Is(err, ErrVersionMismatch) {
		t.Fatalf("err = %v, want ErrVersionMismatch", err)
	}
	// A message from a future version is ignored.
	next, k, err := b.Recv([]byte{2, 1, 1, 0})
	if err != nil || k != nil || next != b {
		t.Fatalf("future version: %v", err)
	}
	_ = a
}

func TestStateErrors(t *testing.T) {
	for _, p := range []Params{
		{Version: 2, AuthKey: testAuthKey},
		{Version: V0, MinVersion: V1},
		{Version: V1, AuthKey: testAuthKey[:31]},
		{Version: V1, Direction: 2, AuthKey: testAuthKey},
	} {
		if _, err := NewState(p); !errors.Is(err, ErrInvalidParams) {
			t.Errorf("NewState(%+v) err = %v", p, err)
		}
	}
	a, _ := newPair(t)
	raw, _ := a.MarshalBinary()
	for i := range raw {
		if _, err := ParseState(raw[:i]); err != nil && !errors.Is(err, ErrStateDecode) {
			t.Fatalf("truncated state: %v", err)
		}
	}
	if _, err := ParseState([]byte{0x1a, 0x05, 0x08}); !errors.Is(err, ErrStateDecode) {
		t.Fatalf("bad state: %v", err)
	}
	if _, _, err := a.Recv([]byte{1, 0}); !errors.Is(err, ErrMessageDecode) {
		t.Fatalf("bad message: %v", err)
	}
}

// TestTamperedHeaderMAC flips a bit in every header chunk: Bob must refuse
// the header with ErrMAC and keep his state.
func TestTamperedHeaderMAC(t *testing.T) {
	a, b := newPair(t)
	var err error
	for i := 0; ; i++ {
		var m []byte
		if a, m, _, err = a.Send(); err != nil {
			t.Fatal(err)
		}
		pm, _ := ParseMessage(m)
		if pm.Type != TypeHdr {
			t.Fatalf("message %d is %v", i, pm.Type)
		}
		pm.Chunk.Data[3] ^= 1
		m, _ = pm.MarshalBinary()
		nb, _, err := b.Recv(m)
		if err != nil {
			if !errors.Is(err, ErrMAC) || i != 2 {
				t.Fatalf("chunk %d: %v", i, err)
			}
			return
		}
		b = nb
	}
}

func TestStringRedacted(t *testing.T) {
	a, _ := newPair(t)
	s := fmt.Sprintf("%v %+v %#v %v", a, *a, *a, []any{a})
	if strings.Contains(s, "41 41") || strings.Count(s, "redacted") != 4 {
		t.Fatalf("String = %q", s)
	}
	var zero State
	if zero.String() != "spqr.State{V0}" {
		t.Fatal(zero.String())
	}
}

// TestMessageTypesPerState checks which message type each Braid state sends
// during a lockstep run, and that every type appears.
func TestMessageTypesPerState(t *testing.T) {
	a, b := newPair(t)
	seen := map[string]bool{}
	check := func(s *State, m []byte) {
		st := s.st
		pm, err := ParseMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		want := map[stateKind][]MessageType{
			kindKeysSampled: {TypeHdr}, kindHeaderSent: {TypeEk}, kindCt1Received: {TypeEkCt1Ack},
			kindEkSentCt1Received: {TypeCt1Ack}, kindNoHeaderReceived: {TypeNone},
			kindCt1Sampled: {TypeCt1}, kindEkReceivedCt1Sampled: {TypeCt1},
			kindCt1Acknowledged: {TypeNone}, kindCt2Sampled: {TypeCt2},
		}[st.braid.kind]
		if len(want) > 0 && pm.Type != want[0] {
			t.Fatalf("state %v (after send) sent %v", st.braid.kind, pm.Type)
		}
		seen[pm.Type.String()] = true
	}
	for range 120 {
		var m []byte
		var err error
		a, m, _, err = a.Send()
		if err != nil {
			t.Fatal(err)
		}
		check(a, m)
		if b, _, err = b.Recv(m); err != nil {
			t.Fatal(err)
		}
		b, m, _, _ = b.Send()
		check(b, m)
		if a, _, err = a.Recv(m); err != nil {
			t.Fatal(err)
		}
	}
	for _, ty := range []MessageType{TypeNone, TypeHdr, TypeEk, TypeEkCt1Ack, TypeCt1, TypeCt2} {
		if !seen[ty.String()] {
			t.Errorf("type %v never sent", ty)
		}
	}
}
