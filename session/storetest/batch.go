package storetest

// Manager.DecryptBatch over the stores.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
)

// batch decrypts msgs at to with DecryptBatch and returns n, the
// plaintexts the handler saw, by index, and the error.
func batch(t *testing.T, m *session.Manager, from *device, msgs []session.Message, fail func(i int) error) (int, map[int][]string, error) {
	t.Helper()
	seen := map[int][]string{}
	n, err := m.DecryptBatch(context.Background(), from.addr(), msgs, func(i int, pt []byte) error {
		if i < 0 || i >= len(msgs) {
			t.Errorf("handler called with index %d of %d", i, len(msgs))
		}
		seen[i] = append(seen[i], string(pt))
		if fail != nil {
			return fail(i)
		}
		return nil
	})
	if n < 0 || n > len(msgs) || (n < len(msgs)) != (err != nil) {
		t.Fatalf("DecryptBatch = %d, %v for %d messages", n, err, len(msgs))
	}
	return n, seen, err
}

// sendN sends n messages "tag i" from from to to.
func sendN(t *testing.T, from, to *device, tag string, n int) []session.Message {
	t.Helper()
	out := make([]session.Message, n)
	for i := range out {
		out[i] = send(t, from, to, fmt.Sprint(tag, " ", i))
	}
	return out
}

// wantSeen checks that the handler saw messages [0, n) of tag once each,
// with the plaintexts "tag i" (offset by first), and no other.
func wantSeen(t *testing.T, seen map[int][]string, tag string, first, n int) {
	t.Helper()
	for i := range n {
		if got := seen[i]; len(got) != 1 || got[0] != fmt.Sprint(tag, " ", first+i) {
			t.Fatalf("handler of message %d saw %q, want %q once", i, got, fmt.Sprint(tag, " ", first+i))
		}
	}
	if len(seen) != n {
		t.Fatalf("handler ran for %d messages, want %d", len(seen), n)
	}
}

func (s *suite) testBatch(t *testing.T) {
	ctx := context.Background()
	t.Run("Equivalence", func(t *testing.T) {
		for _, tc := range conversations {
			t.Run(tc.name, func(t *testing.T) {
				alice, bob := s.device(t, "alice"), s.device(t, "bob")
				b, otkID, kemID := bob.bundle(t, tc.oneTime, tc.kem)
				if err := alice.m.ProcessBundle(ctx, bob.addr(), b); err != nil {
					t.Fatal(err)
				}
				// PreKey messages (one handshake) and, after an answer,
				// messages across DH ratchet steps and out of order.
				first := sendN(t, alice, bob, "first", 5)
				n, seen, err := batch(t, bob.m, alice, first, nil)
				if n != len(first) || err != nil {
					t.Fatalf("batch of PreKey messages: %d, %v", n, err)
				}
				wantSeen(t, seen, "first", 0, n)
				if otkID != 0 && hasPreKey(t, bob.st, otkID) || kemID != 0 && hasKEMPreKey(t, bob.st, kemID) {
					t.Fatal("a one-time key is still there after the batch that used it")
				}
				for _, m := range first {
					if _, err := bob.m.Decrypt(ctx, alice.addr(), m); !errors.Is(err, session.ErrDuplicateMessage) {
						t.Fatalf("a message of the batch again: %v, want ErrDuplicateMessage", err)
					}
				}
				rng := mrand.New(mrand.NewPCG(3, 4))
				var all []session.Message
				var texts []string
				for turn := range 4 {
					recv(t, alice, bob, send(t, bob, alice, fmt.Sprint("answer ", turn)), fmt.Sprint("answer ", turn))
					for i := range 6 {
						text := fmt.Sprint("t", turn, " ", i)
						all = append(all, send(t, alice, bob, text))
						texts = append(texts, text)
					}
				}
				perm := rng.Perm(len(all))
				msgs := make([]session.Message, len(all))
				for i, j := range perm {
					msgs[i] = all[j]
				}
				n, seen, err = batch(t, bob.m, alice, msgs, nil)
				if n != len(msgs) || err != nil {
					t.Fatalf("batch: %d of %d, %v", n, len(msgs), err)
				}
				for i, j := range perm {
					if got := seen[i]; len(got) != 1 || got[0] != texts[j] {
						t.Fatalf("message %d: handler saw %q, want %q", i, got, texts[j])
					}
				}
				bob.restart(t)
				for _, m := range msgs {
					if _, err := bob.m.Decrypt(ctx, alice.addr(), m); !errors.Is(err, session.ErrDuplicateMessage) {
						t.Fatalf("a message of the batch after a restart: %v, want ErrDuplicateMessage", err)
					}
				}
				exchange(t, alice, bob, "after")
			})
		}
	})

	t.Run("PartialFailure", func(t *testing.T) {
		alice, bob := s.device(t, "alice"), s.device(t, "bob")
		connect(t, alice, bob, true, lastResortKEM)
		exchange(t, alice, bob, "hi")
		msgs := sendN(t, alice, bob, "m", 6)
		bad := session.Message{Type: msgs[2].Type, Body: bytes.Clone(msgs[2].Body)}
		bad.Body[len(bad.Body)-1] ^= 1
		in := []session.Message{msgs[0], msgs[1], bad, msgs[3]}
		n, seen, err := batch(t, bob.m, alice, in, nil)
		if n != 2 || !errors.Is(err, session.ErrInvalidMessage) {
			t.Fatalf("batch with a forged third message: %d, %v; want 2, ErrInvalidMessage", n, err)
		}
		wantSeen(t, seen, "m", 0, 2)
		before := recordBytes(t, bob.st, alice.addr())
		// The failed message and those after it were left as they were.
		n, seen, err = batch(t, bob.m, alice, []session.Message{msgs[2], msgs[3], msgs[0], msgs[4]}, nil)
		if n != 2 || !errors.Is(err, session.ErrDuplicateMessage) {
			t.Fatalf("retry with a duplicate: %d, %v; want 2, ErrDuplicateMessage", n, err)
		}
		wantSeen(t, seen, "m", 2, 2)
		if bytes.Equal(before, recordBytes(t, bob.st, alice.addr())) {
			t.Fatal("the committed part of the batch did not change the record")
		}
		n, seen, err = batch(t, bob.m, alice, msgs[4:], nil)
		if n != 2 || err != nil {
			t.Fatalf("the rest: %d, %v", n, err)
		}
		wantSeen(t, seen, "m", 4, 2)
		// A batch whose first message fails changes nothing.
		before = recordBytes(t, bob.st, alice.addr())
		if n, _, err := batch(t, bob.m, alice, []session.Message{bad, send(t, alice, bob, "x")}, nil); n != 0 || !errors.Is(err, session.ErrDuplicateMessage) && !errors.Is(err, session.ErrInvalidMessage) {
			t.Fatalf("batch of a forged message: %d, %v", n, err)
		}
		if !bytes.Equal(before, recordBytes(t, bob.st, alice.addr())) {
			t.Fatal("a batch whose first message failed changed the record")
		}
	})

	t.Run("HandlerError", func(t *testing.T) {
		alice, bob := s.device(t, "alice"), s.device(t, "bob")
		b, otkID, kemID := bob.bundle(t, true, oneTimeKEM)
		if err := alice.m.ProcessBundle(ctx, bob.addr(), b); err != nil {
			t.Fatal(err)
		}
		msgs := sendN(t, alice, bob, "m", 5)
		boom := errors.New("storetest: the app's database is down")
		// A failure of the first handler leaves everything as it was.
		for range 2 {
			n, _, err := batch(t, bob.m, alice, msgs, func(int) error { return boom })
			if n != 0 || !errors.Is(err, boom) {
				t.Fatalf("batch whose first handler fails: %d, %v", n, err)
			}
			switch {
			case recordBytes(t, bob.st, alice.addr()) != nil:
				t.Fatal("a failed handler stored a session")
			case !hasPreKey(t, bob.st, otkID) || !hasKEMPreKey(t, bob.st, kemID):
				t.Fatal("a failed handler consumed a one-time key")
			case hasSavedIdentity(t, bob.st, alice.addr()):
				t.Fatal("a failed handler saved the sender's identity")
			}
			bob.restart(t)
		}
		// A failure of the third: the first two are committed (and the
		// prekeys consumed), the third and after are left.
		n, seen, err := batch(t, bob.m, alice, msgs, func(i int) error {
			if i == 2 {
				return boom
			}
			return nil
		})
		if n != 2 || !errors.Is(err, boom) {
			t.Fatalf("batch whose third handler fails: %d, %v; want 2 and the handler's error", n, err)
		}
		if len(seen) != 3 {
			t.Fatalf("handlers ran for %d messages, want 3", len(seen))
		}
		if hasPreKey(t, bob.st, otkID) || hasKEMPreKey(t, bob.st, kemID) {
			t.Fatal("the one-time keys are still there after the batch committed their session")
		}
		bob.restart(t)
		for _, m := range msgs[:2] {
			if _, err := bob.m.Decrypt(ctx, alice.addr(), m); !errors.Is(err, session.ErrDuplicateMessage) {
				t.Fatalf("a committed message again: %v, want ErrDuplicateMessage", err)
			}
		}
		n, seen, err = batch(t, bob.m, alice, msgs[2:], nil)
		if n != 3 || err != nil {
			t.Fatalf("the rest: %d, %v", n, err)
		}
		wantSeen(t, seen, "m", 2, 3)
		exchange(t, alice, bob, "after")
	})

	t.Run("Untrusted", func(t *testing.T) {
		alice, bob := s.device(t, "alice"), s.device(t, "bob")
		connect(t, alice, bob, false, noKEM)
		exchange(t, alice, bob, "hi")
		other, err := curve.GenerateIdentityKeyPair()
		if err != nil {
			t.Fatal(err)
		}
		if err := bob.dev.Writer.Trust(ctx, alice.addr(), other.PublicKey()); err != nil {
			t.Fatal(err)
		}
		before := recordBytes(t, bob.st, alice.addr())
		n, seen, err := batch(t, bob.m, alice, sendN(t, alice, bob, "m", 3), nil)
		var ue *session.UntrustedIdentityError
		if n != 0 || !errors.As(err, &ue) || len(seen) != 0 {
			t.Fatalf("batch from an untrusted identity: %d, %v, handlers %d", n, err, len(seen))
		}
		if !bytes.Equal(before, recordBytes(t, bob.st, alice.addr())) {
			t.Fatal("a refused batch changed the record")
		}
	})

	t.Run("NewSessionInside", func(t *testing.T) {
		// Messages of the old session, then PreKey messages of a new one
		// (the peer started again): two transactions, one call.
		alice, bob := s.device(t, "alice"), s.device(t, "bob")
		connect(t, alice, bob, false, lastResortKEM)
		exchange(t, alice, bob, "hi")
		old := sendN(t, alice, bob, "m", 3)
		if err := alice.m.ArchiveSession(ctx, bob.addr()); err != nil {
			t.Fatal(err)
		}
		b, otkID, _ := bob.bundle(t, true, lastResortKEM)
		if err := alice.m.ProcessBundle(ctx, bob.addr(), b); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			m := send(t, alice, bob, fmt.Sprint("m ", 3+i))
			if m.Type != session.TypePreKey {
				t.Fatalf("message of the new session is a %v", m.Type)
			}
			old = append(old, m)
		}
		n, seen, err := batch(t, bob.m, alice, old, nil)
		if n != len(old) || err != nil {
			t.Fatalf("batch across a new session: %d, %v", n, err)
		}
		wantSeen(t, seen, "m", 0, n)
		if hasPreKey(t, bob.st, otkID) {
			t.Fatal("the new session's one-time prekey is still there")
		}
		exchange(t, alice, bob, "after")
	})

	t.Run("ConcurrentWriters", func(t *testing.T) {
		// A batch of one sender while another Manager (another handle
		// when the store can reopen) decrypts the same sender's other
		// messages and encrypts to it: every message is decrypted once,
		// by one of them.
		alice, bob := s.device(t, "alice"), s.device(t, "bob")
		connect(t, alice, bob, false, lastResortKEM)
		exchange(t, alice, bob, "hi")
		other := bob.m
		if isLocker(bob.st) && bob.dev.Reopen != nil {
			other = session.NewManager(bob.reopen(t).Stores)
		}
		rounds := 6
		if testing.Short() {
			rounds = 3
		}
		for round := range rounds {
			msgs := sendN(t, alice, bob, fmt.Sprint("r", round), 40)
			var wg sync.WaitGroup
			var batchErr, otherErr error
			var n int
			var seen map[int][]string
			wg.Go(func() {
				seen = map[int][]string{}
				var mu sync.Mutex
				n, batchErr = bob.m.DecryptBatch(ctx, alice.addr(), msgs[:20], func(i int, pt []byte) error {
					mu.Lock()
					seen[i] = append(seen[i], string(pt))
					mu.Unlock()
					return nil
				})
			})
			wg.Go(func() {
				for i := 39; i >= 20; i-- {
					pt, err := other.Decrypt(ctx, alice.addr(), msgs[i])
					if err == nil && string(pt) != fmt.Sprint("r", round, " ", i) {
						err = fmt.Errorf("message %d decrypted to %q", i, pt)
					}
					if err == nil && i%5 == 0 {
						_, err = other.Encrypt(ctx, alice.addr(), []byte("meanwhile"))
					}
					if err != nil {
						otherErr = err
						return
					}
				}
			})
			wg.Wait()
			if batchErr != nil || otherErr != nil || n != 20 {
				t.Fatalf("round %d: batch %d, %v; other writer %v", round, n, batchErr, otherErr)
			}
			// Handlers run under the lock, after the check of a
			// snapshot: once each, even when the batch was decrypted
			// again.
			wantSeen(t, seen, fmt.Sprint("r", round), 0, 20)
			for _, m := range msgs {
				if _, err := bob.m.Decrypt(ctx, alice.addr(), m); !errors.Is(err, session.ErrDuplicateMessage) {
					t.Fatalf("round %d: a message again: %v, want ErrDuplicateMessage", round, err)
				}
			}
			exchange(t, alice, bob, fmt.Sprint("round ", round))
		}
	})
}
