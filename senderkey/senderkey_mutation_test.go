package senderkey

import (
	"context"
	"fmt"
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
