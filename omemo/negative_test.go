package omemo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/forwardsecret/signal/ratchet"
	"github.com/forwardsecret/signal/session"
)

var versions = []Version{V2, V03}

// TestManyDevices sends one message to three devices of two users (two of
// Bob's, one other of Alice's own) and checks that each decrypts it.
func TestManyDevices(t *testing.T) {
	for _, v := range versions {
		t.Run(v.String(), func(t *testing.T) {
			ctx := context.Background()
			a1 := newTestDevice(t, v, "alice@example.org", 1, 3)
			a2 := newTestDevice(t, v, "alice@example.org", 2, 3)
			b1 := newTestDevice(t, v, "bob@example.org", 3, 3)
			b2 := newTestDevice(t, v, "bob@example.org", 4, 3)
			for _, d := range []*testDevice{a2, b1, b2} {
				connect(t, a1, d)
			}
			for i := range 3 {
				want := fmt.Sprint("to all ", i)
				e := send(t, a1, []byte(want), b1, b2, a2)
				if len(e.Keys) != 3 {
					t.Fatalf("%d keys", len(e.Keys))
				}
				for _, d := range []*testDevice{b1, b2, a2} {
					got, err := d.m.Decrypt(ctx, a1.jid, e)
					if err != nil || string(got) != want {
						t.Fatalf("device %d: %q, %v", d.id, got, err)
					}
				}
				// Answer from each, so the next round has no key exchange.
				for _, d := range []*testDevice{b1, b2, a2} {
					r := send(t, d, []byte("ack"), a1)
					if got, err := a1.m.Decrypt(ctx, d.jid, r); err != nil || string(got) != "ack" {
						t.Fatalf("ack from %d: %q, %v", d.id, got, err)
					}
				}
				for _, k := range send(t, a1, nil, b1).Keys {
					if k.KeyExchange {
						t.Fatal("key exchange after the peer answered")
					}
				}
				e = send(t, a1, nil, b1) // empty message: no payload
				if e.Payload != nil {
					t.Fatal("empty message has a payload")
				}
			}
			if _, err := b1.m.Decrypt(ctx, a1.jid, send(t, a1, []byte("x"), b2)); !errors.Is(err, ErrNotForUs) {
				t.Fatalf("message for another device: %v", err)
			}
		})
	}
}

// TestOutOfOrder delivers a conversation's messages shuffled, including the
// key exchanges, in both versions.
func TestOutOfOrder(t *testing.T) {
	for _, v := range versions {
		t.Run(v.String(), func(t *testing.T) {
			ctx := context.Background()
			alice := newTestDevice(t, v, "alice@example.org", 1, 3)
			bob := newTestDevice(t, v, "bob@example.org", 2, 3)
			connect(t, alice, bob)
			rng := rand.New(rand.NewPCG(1, 2))
			for round := range 4 {
				var es []*Encrypted
				for i := range 8 {
					es = append(es, send(t, alice, fmt.Appendf(nil, "%d/%d", round, i), bob))
				}
				order := rng.Perm(len(es))
				for _, i := range order {
					got, err := bob.m.Decrypt(ctx, alice.jid, es[i])
					if err != nil || string(got) != fmt.Sprintf("%d/%d", round, i) {
						t.Fatalf("round %d message %d: %q, %v", round, i, got, err)
					}
				}
				r := send(t, bob, []byte("ok"), alice)
				if _, err := alice.m.Decrypt(ctx, bob.jid, r); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestFailedDecryptChangesNothing tampers with messages in every way and
// checks that each is refused with a matchable error and that the
// receiver's sessions, prekeys and identity store are as before; the
// untampered message then still decrypts.
func TestFailedDecryptChangesNothing(t *testing.T) {
	for _, v := range versions {
		for _, first := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v/keyExchange=%v", v, first), func(t *testing.T) {
				ctx := context.Background()
				alice := newTestDevice(t, v, "alice@example.org", 1, 3)
				bob := newTestDevice(t, v, "bob@example.org", 2, 3)
				connect(t, alice, bob)
				if !first {
					e := send(t, alice, []byte("hello"), bob)
					if _, err := bob.m.Decrypt(ctx, alice.jid, e); err != nil {
						t.Fatal(err)
					}
					if _, err := alice.m.Decrypt(ctx, bob.jid, send(t, bob, []byte("hi"), alice)); err != nil {
						t.Fatal(err)
					}
				}
				good := send(t, alice, []byte("the message"), bob)
				if good.Keys[0].KeyExchange != first {
					t.Fatalf("KeyExchange = %v", good.Keys[0].KeyExchange)
				}
				before := snapshot(bob, alice.addr())
				n := len(good.Keys[0].Data)
				cases := map[string]func(e *Encrypted){
					"payload bit":      func(e *Encrypted) { e.Payload[0] ^= 1 },
					"payload short":    func(e *Encrypted) { e.Payload = e.Payload[:len(e.Payload)-1] },
					"payload dropped":  func(e *Encrypted) { e.Payload = []byte{} },
					"last key byte":    func(e *Encrypted) { e.Keys[0].Data[n-1] ^= 1 },
					"middle key byte":  func(e *Encrypted) { e.Keys[0].Data[n/2] ^= 0x40 },
					"truncated key":    func(e *Encrypted) { e.Keys[0].Data = e.Keys[0].Data[:n-3] },
					"empty key":        func(e *Encrypted) { e.Keys[0].Data = nil },
					"flag flipped":     func(e *Encrypted) { e.Keys[0].KeyExchange = !e.Keys[0].KeyExchange },
					"wrong version":    func(e *Encrypted) { e.Version = 3 - e.Version },
					"first key byte":   func(e *Encrypted) { e.Keys[0].Data[0] ^= 0x40 },
					"not for this one": func(e *Encrypted) { e.Keys[0].DeviceID++ },
				}
				if v == V03 {
					cases["iv"] = func(e *Encrypted) { e.IV[0] ^= 1 }
				}
				if v == V03 && !first {
					// Libsignal's MAC covers a whole SignalMessage. The
					// outer messages of a key exchange (PreKeySignalMessage,
					// OMEMOKeyExchange) and OMEMO 2's OMEMOAuthenticatedMessage
					// are not authenticated themselves, and unknown fields
					// in them are skipped, as protobuf does.
					cases["extra key bytes"] = func(e *Encrypted) { e.Keys[0].Data = append(e.Keys[0].Data, 0x78, 0x01) }
				}
				if !first {
					// A key exchange does not authenticate the sender's
					// device id (nothing in X3DH binds it): under another
					// id it starts a session with that id, as in Signal.
					cases["other sender"] = func(e *Encrypted) { e.SenderDevice++ }
				}
				for name, tamper := range cases {
					e := clone(good)
					tamper(e)
					pt, err := bob.m.Decrypt(ctx, alice.jid, e)
					if err == nil {
						t.Errorf("%s: decrypted to %q", name, pt)
						continue
					}
					if !matchable(err) {
						t.Errorf("%s: error %v matches no sentinel", name, err)
					}
					if after := snapshot(bob, alice.addr()); after != before {
						t.Errorf("%s: state changed (%v)", name, err)
					}
				}
				got, err := bob.m.Decrypt(ctx, alice.jid, good)
				if err != nil || string(got) != "the message" {
					t.Fatalf("untampered: %q, %v", got, err)
				}
				// A replay is refused and changes nothing.
				before = snapshot(bob, alice.addr())
				if _, err := bob.m.Decrypt(ctx, alice.jid, good); err == nil {
					t.Fatal("replay decrypted")
				} else if !matchable(err) {
					t.Fatalf("replay: %v", err)
				}
				if snapshot(bob, alice.addr()) != before {
					t.Fatal("replay changed the state")
				}
			})
		}
	}
}

func matchable(err error) bool {
	for _, s := range []error{ErrInvalidMessage, ErrInvalidPayload, ErrNotForUs, ErrNoSession, ErrUnknownPreKey,
		ErrVersion, ErrTooLarge, session.ErrInvalidMessage, session.ErrDuplicateMessage, session.ErrNoSession,
		session.ErrInvalidPreKeyID, session.ErrUntrustedIdentity, session.ErrVersion} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// TestSkipLimit checks OMEMO 2's MaxSkipV2: a message that skips MaxSkipV2
// keys decrypts, one that skips one more is refused with a
// *ratchet.LimitError and changes nothing (python-omemo draws the line at
// the same place).
func TestSkipLimit(t *testing.T) {
	ctx := context.Background()
	alice := newTestDevice(t, V2, "alice@example.org", 1, 3)
	bob := newTestDevice(t, V2, "bob@example.org", 2, 3)
	connect(t, alice, bob)
	if _, err := bob.m.Decrypt(ctx, alice.jid, send(t, alice, []byte("0"), bob)); err != nil {
		t.Fatal(err)
	}
	// Messages 1 .. MaxSkipV2+1: the last skips MaxSkipV2+1 keys.
	var last *Encrypted
	for range MaxSkipV2 + 2 {
		last = send(t, alice, []byte("n"), bob)
	}
	before := snapshot(bob, alice.addr())
	_, err := bob.m.Decrypt(ctx, alice.jid, last)
	var le *ratchet.LimitError
	if !errors.As(err, &le) || !errors.Is(err, ratchet.ErrForwardJumpTooLarge) || !errors.Is(err, ErrInvalidMessage) {
		t.Fatalf("skipping %d keys: %v", MaxSkipV2+1, err)
	}
	if snapshot(bob, alice.addr()) != before {
		t.Fatal("refused jump changed the state")
	}
	// MaxSkipV2 exactly is fine.
	alice2 := newTestDevice(t, V2, "carol@example.org", 3, 3)
	connect(t, alice2, bob)
	if _, err := bob.m.Decrypt(ctx, alice2.jid, send(t, alice2, []byte("0"), bob)); err != nil {
		t.Fatal(err)
	}
	for range MaxSkipV2 + 1 {
		last = send(t, alice2, []byte("n"), bob)
	}
	if got, err := bob.m.Decrypt(ctx, alice2.jid, last); err != nil || string(got) != "n" {
		t.Fatalf("skipping %d keys: %v", MaxSkipV2, err)
	}
}

// TestUntrusted: a device whose identity key changed is refused (encrypt
// and decrypt) with a *session.UntrustedIdentityError until the app trusts
// the new key.
func TestUntrusted(t *testing.T) {
	for _, v := range versions {
		t.Run(v.String(), func(t *testing.T) {
			ctx := context.Background()
			alice := newTestDevice(t, v, "alice@example.org", 1, 3)
			bob := newTestDevice(t, v, "bob@example.org", 2, 3)
			connect(t, alice, bob)
			if _, err := bob.m.Decrypt(ctx, alice.jid, send(t, alice, []byte("hi"), bob)); err != nil {
				t.Fatal(err)
			}
			// Bob reinstalls: same JID and device id, new identity.
			bob2 := newTestDevice(t, v, bob.jid, bob.id, 3)
			err := alice.m.ProcessBundle(ctx, bob.jid, bob2.bundle)
			var ue *session.UntrustedIdentityError
			if !errors.As(err, &ue) || ue.Identity != bob2.bundle.IdentityKey {
				t.Fatalf("ProcessBundle with a new identity: %v", err)
			}
			// Alice reinstalls and writes to Bob: Bob refuses her key exchange.
			alice2 := newTestDevice(t, v, alice.jid, alice.id, 3)
			connect(t, alice2, bob)
			before := snapshot(bob, alice.addr())
			if _, err := bob.m.Decrypt(ctx, alice.jid, send(t, alice2, []byte("new"), bob)); !errors.Is(err, session.ErrUntrustedIdentity) {
				t.Fatalf("key exchange from a new identity: %v", err)
			}
			if snapshot(bob, alice.addr()) != before {
				t.Fatal("refused identity changed the state")
			}
			if err := bob.store.Trust(ctx, alice.addr(), alice2.bundle.IdentityKey); err != nil {
				t.Fatal(err)
			}
			if got, err := bob.m.Decrypt(ctx, alice.jid, send(t, alice2, []byte("new"), bob)); err != nil || string(got) != "new" {
				t.Fatalf("after Trust: %q, %v", got, err)
			}
		})
	}
}

// TestUnknownPreKey: a key exchange naming a prekey this device no longer
// holds is refused with ErrUnknownPreKey.
func TestUnknownPreKey(t *testing.T) {
	ctx := context.Background()
	alice := newTestDevice(t, V2, "alice@example.org", 1, 1)
	bob := newTestDevice(t, V2, "bob@example.org", 2, 1)
	connect(t, alice, bob)
	e := send(t, alice, []byte("hi"), bob)
	if err := bob.store.RemovePreKey(ctx, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.m.Decrypt(ctx, alice.jid, e); !errors.Is(err, ErrUnknownPreKey) {
		t.Fatalf("%v, want ErrUnknownPreKey", err)
	}
	if _, err := alice.m.Encrypt(ctx, []byte("x"), []session.Address{{Name: "carol@example.org", DeviceID: 9}}); !errors.Is(err, ErrNoSession) {
		t.Fatalf("Encrypt without session: %v", err)
	}
}

// TestEncryptDuplicatesAndDelete: a device listed twice gets one key;
// after DeleteSession, Encrypt needs a new bundle.
func TestEncryptDuplicatesAndDelete(t *testing.T) {
	for _, v := range versions {
		ctx := context.Background()
		alice := newTestDevice(t, v, "alice@example.org", 1, 3)
		bob := newTestDevice(t, v, "bob@example.org", 2, 3)
		connect(t, alice, bob)
		e := send(t, alice, []byte("once"), bob, bob)
		if len(e.Keys) != 1 {
			t.Fatalf("%v: %d keys for one device", v, len(e.Keys))
		}
		if got, err := bob.m.Decrypt(ctx, alice.jid, e); err != nil || string(got) != "once" {
			t.Fatalf("%v: %q, %v", v, got, err)
		}
		if err := alice.m.DeleteSession(ctx, bob.addr()); err != nil {
			t.Fatal(err)
		}
		if ok, err := alice.m.HasSession(ctx, bob.addr()); ok || err != nil {
			t.Fatalf("%v: HasSession after DeleteSession: %v, %v", v, ok, err)
		}
		if _, err := alice.m.Encrypt(ctx, []byte("x"), []session.Address{bob.addr()}); !errors.Is(err, ErrNoSession) {
			t.Fatalf("%v: Encrypt after DeleteSession: %v", v, err)
		}
	}
}

// TestConcurrent encrypts and decrypts from several goroutines on one
// Manager per device (run with -race).
func TestConcurrent(t *testing.T) {
	for _, v := range versions {
		ctx := context.Background()
		alice := newTestDevice(t, v, "alice@example.org", 1, 3)
		bob := newTestDevice(t, v, "bob@example.org", 2, 3)
		connect(t, alice, bob)
		if _, err := bob.m.Decrypt(ctx, alice.jid, send(t, alice, []byte("start"), bob)); err != nil {
			t.Fatal(err)
		}
		const n = 8
		msgs := make(chan *Encrypted, n)
		errs := make(chan error, 2*n)
		for i := range n {
			go func() {
				e, err := alice.m.Encrypt(ctx, []byte{byte(i)}, []session.Address{bob.addr()})
				errs <- err
				msgs <- e
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		seen := make(chan byte, n)
		for range n {
			e := <-msgs
			go func() {
				got, err := bob.m.Decrypt(ctx, alice.jid, e)
				errs <- err
				if err == nil {
					seen <- got[0]
				}
			}()
		}
		sum := 0
		for range n {
			if err := <-errs; err != nil {
				t.Fatalf("%v: %v", v, err)
			}
			sum += int(<-seen)
		}
		if sum != n*(n-1)/2 {
			t.Fatalf("%v: wrong plaintexts", v)
		}
	}
}

// TestHeartbeat: DecryptMessage asks for a heartbeat after a key exchange
// and on the first message of a chain with counter >= HeartbeatCounter,
// not on the others.
func TestHeartbeat(t *testing.T) {
	ctx := context.Background()
	alice := newTestDevice(t, V2, "alice@example.org", 1, 3)
	bob := newTestDevice(t, V2, "bob@example.org", 2, 3)
	connect(t, alice, bob)
	check := func(e *Encrypted, kex, hb bool) {
		t.Helper()
		d, err := bob.m.DecryptMessage(ctx, alice.jid, e)
		if err != nil || d.KeyExchange != kex || d.Heartbeat != hb || string(d.Plaintext) != "m" {
			t.Fatalf("%+v, %v; want KeyExchange %v, Heartbeat %v", d, err, kex, hb)
		}
	}
	check(send(t, alice, []byte("m"), bob), true, true)
	check(send(t, alice, []byte("m"), bob), true, true) // Bob has not answered yet
	if _, err := alice.m.Decrypt(ctx, bob.jid, send(t, bob, nil, alice)); err != nil {
		t.Fatal(err)
	}
	// Alice's next chain starts at counter 0.
	var es []*Encrypted
	for range HeartbeatCounter + 3 {
		es = append(es, send(t, alice, []byte("m"), bob))
	}
	check(es[0], false, false)
	check(es[HeartbeatCounter-1], false, false)
	check(es[HeartbeatCounter+1], false, true) // first at or above the threshold
	check(es[HeartbeatCounter+2], false, false)
	check(es[HeartbeatCounter], false, false) // late
}

// TestDuplicateMatchable: a message decrypted twice is refused with an
// error that the XEP's "ignore silently" rule can match.
func TestDuplicateMatchable(t *testing.T) {
	for _, v := range versions {
		ctx := context.Background()
		alice := newTestDevice(t, v, "alice@example.org", 1, 3)
		bob := newTestDevice(t, v, "bob@example.org", 2, 3)
		connect(t, alice, bob)
		if _, err := bob.m.Decrypt(ctx, alice.jid, send(t, alice, []byte("a"), bob)); err != nil {
			t.Fatal(err)
		}
		if _, err := alice.m.Decrypt(ctx, bob.jid, send(t, bob, nil, alice)); err != nil {
			t.Fatal(err)
		}
		e := send(t, alice, []byte("b"), bob)
		if _, err := bob.m.Decrypt(ctx, alice.jid, e); err != nil {
			t.Fatal(err)
		}
		_, err := bob.m.Decrypt(ctx, alice.jid, e)
		if !errors.Is(err, ratchet.ErrDuplicateMessage) && !errors.Is(err, session.ErrDuplicateMessage) {
			t.Fatalf("%v: replay: %v", v, err)
		}
	}
}
