package omemo

import (
	"context"
	"fmt"
	"testing"
)

func TestConversation(t *testing.T) {
	for _, v := range []Version{V2, V03} {
		t.Run(v.String(), func(t *testing.T) {
			ctx := context.Background()
			alice := newTestDevice(t, v, "alice@example.org", 11, 5)
			bob := newTestDevice(t, v, "bob@example.org", 22, 5)
			connect(t, alice, bob)
			for i := range 30 {
				from, to := alice, bob
				if i%3 == 2 {
					from, to = bob, alice
				}
				want := fmt.Sprintf("message %d", i)
				e := send(t, from, []byte(want), to)
				if i == 0 && !e.Keys[0].KeyExchange {
					t.Fatal("first message is not a key exchange")
				}
				got, err := to.m.Decrypt(ctx, from.jid, e)
				if err != nil || string(got) != want {
					t.Fatalf("message %d: %q, %v", i, got, err)
				}
			}
		})
	}
}
