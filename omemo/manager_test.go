package omemo

import (
	"context"
	"errors"
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

// TestMemStoreMarshal: a device saved with MemStore.MarshalBinary and
// loaded with UnmarshalMemStore goes on with its OMEMO 2 and 0.3 sessions.
func TestMemStoreMarshal(t *testing.T) {
	for _, v := range versions {
		ctx := context.Background()
		alice := newTestDevice(t, v, "alice@example.org", 1, 3)
		bob := newTestDevice(t, v, "bob@example.org", 2, 3)
		connect(t, alice, bob)
		if _, err := bob.m.Decrypt(ctx, alice.jid, send(t, alice, []byte("1"), bob)); err != nil {
			t.Fatal(err)
		}
		enc, err := bob.store.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		st, err := UnmarshalMemStore(enc)
		if err != nil {
			t.Fatal(err)
		}
		if bob.m, err = NewManager(v, st, bob.jid, bob.id); err != nil {
			t.Fatal(err)
		}
		bob.store = st
		if got, err := bob.m.Decrypt(ctx, alice.jid, send(t, alice, []byte("2"), bob)); err != nil || string(got) != "2" {
			t.Fatalf("%v after reload: %q, %v", v, got, err)
		}
		for _, bad := range [][]byte{nil, enc[:len(enc)-1], append(enc, 0), enc[5:]} {
			if _, err := UnmarshalMemStore(bad); !errors.Is(err, ErrInvalidMemStore) {
				t.Fatalf("%v: bad encoding: %v", v, err)
			}
		}
	}
}
