package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/cryptotest"

	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// FuzzInteraction is the stateful two-party target: a seed fixes all
// randomness and each action byte drives Alice and Bob: send either way,
// deliver, drop, duplicate, reorder, tamper, or restart a side from its
// encoded store. After every step it checks the invariants of
// ARCHITECTURE.md: no panic; a decrypt either yields exactly the plaintext
// that was sent, once, or fails and leaves the stored record byte-identical.
func FuzzInteraction(f *testing.F) {
	f.Add(uint64(1), []byte{0, 2, 1, 2, 0, 0, 5, 2, 2})
	f.Add(uint64(2), []byte{0, 0, 0, 4, 2, 2, 2, 1, 6, 2, 7, 1, 2})
	f.Add(uint64(3), []byte{0, 3, 0, 2, 8, 1, 1, 5, 2, 2, 0, 7, 2})
	f.Add(uint64(4), bytes.Repeat([]byte{0, 1, 2, 2, 5, 4, 6, 7, 8}, 8))
	f.Fuzz(func(t *testing.T, seed uint64, actions []byte) {
		if len(actions) > 256 {
			actions = actions[:256]
		}
		cryptotest.SetGlobalRandom(t, seed)
		ctx := context.Background()
		alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, seed%2 == 0, seed%3 == 0)); err != nil {
			t.Fatal(err)
		}
		type inflight struct {
			from, to *device
			msg      session.Message
			text     string
		}
		var queue []inflight
		delivered := map[string]bool{}
		n := 0
		deliver := func(m inflight, tampered bool) {
			before := m.to.store.SessionBytes(m.from.addr())
			pt, err := m.to.m.Decrypt(ctx, m.from.addr(), m.msg)
			if err != nil {
				if !bytes.Equal(before, m.to.store.SessionBytes(m.from.addr())) {
					t.Fatalf("failed decrypt (%v) changed the record", err)
				}
				if delivered[m.text] && !tampered && !errors.Is(err, session.ErrDuplicateMessage) {
					t.Fatalf("replay of %q: %v, want ErrDuplicateMessage", m.text, err)
				}
				return
			}
			if tampered && string(pt) != m.text {
				t.Fatalf("tampered message decrypted to %q", pt)
			}
			if string(pt) != m.text {
				t.Fatalf("got %q, want %q", pt, m.text)
			}
			if delivered[m.text] {
				t.Fatalf("%q decrypted twice", m.text)
			}
			delivered[m.text] = true
		}
		for _, a := range actions {
			switch a % 9 {
			case 0, 1: // send
				from, to := alice, bob
				if a%9 == 1 {
					from, to = bob, alice
				}
				text := fmt.Sprint("m", n)
				n++
				msg, err := from.m.Encrypt(ctx, to.addr(), []byte(text))
				if err != nil {
					if errors.Is(err, session.ErrNoSession) {
						continue // Bob has not heard from Alice yet
					}
					t.Fatalf("encrypt: %v", err)
				}
				queue = append(queue, inflight{from, to, msg, text})
			case 2: // deliver the oldest
				if len(queue) > 0 {
					deliver(queue[0], false)
					queue = queue[1:]
				}
			case 3: // drop the oldest
				if len(queue) > 0 {
					queue = queue[1:]
				}
			case 4: // duplicate the oldest
				if len(queue) > 0 {
					queue = append(queue, queue[0])
				}
			case 5: // reorder: newest first
				if len(queue) > 1 {
					queue[0], queue[len(queue)-1] = queue[len(queue)-1], queue[0]
				}
			case 6: // tamper with the oldest and deliver the copy
				if len(queue) > 0 {
					m := queue[0]
					m.msg.Body = bytes.Clone(m.msg.Body)
					m.msg.Body[int(a)%len(m.msg.Body)] ^= 1 << (a % 8)
					deliver(m, true)
				}
			case 7, 8: // restart a side from its encoded store
				d := alice
				if a%9 == 8 {
					d = bob
				}
				b, err := d.store.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				st, err := memstore.Unmarshal(b)
				if err != nil {
					t.Fatalf("restart: %v", err)
				}
				d.store, d.m = st, session.NewManager(session.StoresOf(st))
			}
		}
	})
}
