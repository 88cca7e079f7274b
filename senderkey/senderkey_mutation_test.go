package senderkey

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Tests added for mutants that survived the suite (docs/mutation.md).

// TestSkippedKeysAfterASecondJump: a jump from a chain that is already far
// along keeps the keys it skips (the bound on kept keys counts from the
// chain's position, not from zero).
func TestSkippedKeysAfterASecondJump(t *testing.T) {
	alice, bob := newMember("alice", 1), newMember("bob", 1)
	distribute(t, alice, bob)
	var msgs [][]byte
	for i := range 1601 {
		msgs = append(msgs, encrypt(t, alice, []byte(fmt.Sprint("m", i))))
	}
	ctx := context.Background()
	for _, i := range []int{1500, 1600, 1550, 1599, 1501, 10} {
		got, err := bob.c.Decrypt(ctx, alice.addr, msgs[i])
		if err != nil || string(got) != fmt.Sprint("m", i) {
			t.Fatalf("message %d: %q, %v", i, got, err)
		}
	}
}

// TestLegacyDistributionMissingField: each missing field of a legacy
// distribution message is named, the last one (the signing key) too.
func TestLegacyDistributionMissingField(t *testing.T) {
	alice := newMember("alice", 1)
	dm := distribute(t, alice)
	b := dm.LegacyBytes()
	noKey := b[:len(b)-2-33] // tag, length and the 33-byte signing key
	_, err := ParseLegacyDistributionMessage(noKey, testDist)
	if !errors.Is(err, ErrInvalidMessage) || !strings.Contains(err.Error(), "lacks field 4") {
		t.Fatalf("err = %v, want the missing field 4 named", err)
	}
}

func TestStateFormatCanSign(t *testing.T) {
	for _, canSign := range []bool{false, true} {
		s := state{chainID: 3}
		if canSign {
			s.signingPriv = make([]byte, 32)
		}
		got := fmt.Sprint(s)
		if want := fmt.Sprintf("can sign %t)", canSign); !strings.HasSuffix(got, want) {
			t.Errorf("%q, want it to end in %q", got, want)
		}
	}
}

func TestForwardJumpErrorText(t *testing.T) {
	e := &ForwardJumpError{Iteration: 30000, Current: 100}
	want := "senderkey: message iteration 30000 is 29900 ahead of chain iteration 100, more than MaxForwardJump (25000)"
	if got := e.Error(); got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
