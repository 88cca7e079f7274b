package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/ratchet"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

type device struct {
	name  string
	id    *curve.IdentityKeyPair
	store *memstore.Store
	m     *session.Manager
	spk   *x3dh.SignedPreKey
	kem   *x3dh.KEMPreKey
	next  uint32
}

func newDevice(t testing.TB, name string, opts ...session.Option) *device {
	t.Helper()
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	st := memstore.New(id, 1000+uint32(len(name)))
	spk, err := x3dh.GenerateSignedPreKey(id, 7)
	if err != nil {
		t.Fatal(err)
	}
	st.AddSignedPreKey(context.Background(), spk)
	kem, err := x3dh.GenerateKEMPreKey(id, 9, x3dh.Kyber1024)
	if err != nil {
		t.Fatal(err)
	}
	st.AddLastResortKEMPreKey(context.Background(), kem)
	return &device{name: name, id: id, store: st, m: session.NewManager(session.StoresOf(st), opts...), spk: spk, kem: kem, next: 100}
}

func (d *device) addr() session.Address { return session.Address{Name: d.name, DeviceID: 1} }

// bundle publishes a bundle; oneTime adds a fresh one-time prekey, pq a KEM prekey.
func (d *device) bundle(t testing.TB, oneTime, pq bool) *x3dh.Bundle {
	t.Helper()
	var otp *x3dh.OneTimePreKeyPublic
	if oneTime {
		d.next++
		k, err := x3dh.GenerateOneTimePreKey(d.next)
		if err != nil {
			t.Fatal(err)
		}
		d.store.AddPreKey(context.Background(), k)
		p := k.Public()
		otp = &p
	}
	var kp *x3dh.KEMPreKeyPublic
	if pq {
		p := d.kem.Public()
		kp = &p
	}
	regID, _ := d.store.LocalRegistrationID(context.Background())
	b, err := x3dh.NewBundle(regID, 1, d.id.PublicKey(), d.spk.Public(), otp, kp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func send(t testing.TB, from, to *device, text string) session.Message {
	t.Helper()
	msg, err := from.m.Encrypt(context.Background(), to.addr(), []byte(text))
	if err != nil {
		t.Fatalf("%s encrypt: %v", from.name, err)
	}
	return msg
}

func recv(t testing.TB, to, from *device, msg session.Message, want string) {
	t.Helper()
	pt, err := to.m.Decrypt(context.Background(), from.addr(), msg)
	if err != nil {
		t.Fatalf("%s decrypt %q (%v): %v", to.name, want, msg.Type, err)
	}
	if string(pt) != want {
		t.Fatalf("%s got %q, want %q", to.name, pt, want)
	}
}

func TestConversation(t *testing.T) {
	for _, pq := range []bool{false, true} {
		for _, oneTime := range []bool{false, true} {
			t.Run(fmt.Sprintf("pq=%v/oneTime=%v", pq, oneTime), func(t *testing.T) {
				ctx := context.Background()
				alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
				b := bob.bundle(t, oneTime, pq)
				if err := alice.m.ProcessBundle(ctx, bob.addr(), b); err != nil {
					t.Fatal(err)
				}
				m1 := send(t, alice, bob, "hello 1")
				m2 := send(t, alice, bob, "hello 2")
				if m1.Type != session.TypePreKey || m2.Type != session.TypePreKey {
					t.Fatalf("first messages are %v, %v", m1.Type, m2.Type)
				}
				wantVersion := byte(0x33)
				if pq {
					wantVersion = 0x44
				}
				if m1.Body[0] != wantVersion {
					t.Fatalf("version byte %#x, want %#x", m1.Body[0], wantVersion)
				}
				// Out of order: the second PreKey message first.
				recv(t, bob, alice, m2, "hello 2")
				if oneTime && bob.store.HasPreKey(bob.next) {
					t.Fatal("one-time prekey not consumed")
				}
				recv(t, bob, alice, m1, "hello 1")
				if _, err := bob.m.Decrypt(ctx, alice.addr(), m1); !errors.Is(err, session.ErrDuplicateMessage) {
					t.Fatalf("replayed PreKey message: %v, want ErrDuplicateMessage", err)
				}
				r1 := send(t, bob, alice, "reply")
				if r1.Type != session.TypeSignal {
					t.Fatalf("reply type %v", r1.Type)
				}
				recv(t, alice, bob, r1, "reply")
				if m := send(t, alice, bob, "after reply"); m.Type != session.TypeSignal {
					t.Fatalf("after the reply Alice still sends %v", m.Type)
				} else {
					recv(t, bob, alice, m, "after reply")
				}
				// Many turns with reordering inside each chain.
				rng := mrand.New(mrand.NewPCG(1, 2))
				for turn := range 20 {
					from, to := alice, bob
					if turn%2 == 1 {
						from, to = bob, alice
					}
					n := 1 + rng.IntN(6)
					msgs := make([]session.Message, n)
					for i := range msgs {
						msgs[i] = send(t, from, to, fmt.Sprintf("t%d m%d", turn, i))
					}
					for _, i := range rng.Perm(n) {
						recv(t, to, from, msgs[i], fmt.Sprintf("t%d m%d", turn, i))
					}
				}
			})
		}
	}
}

func TestFailedDecryptChangesNothing(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, false)); err != nil {
		t.Fatal(err)
	}
	recv(t, bob, alice, send(t, alice, bob, "hi"), "hi")
	recv(t, alice, bob, send(t, bob, alice, "yo"), "yo")
	msg := send(t, alice, bob, "secret")
	before := bob.store.SessionBytes(alice.addr())
	for i := range msg.Body {
		for _, bit := range []byte{1, 0x80} {
			bad := bytes.Clone(msg.Body)
			bad[i] ^= bit
			if _, err := bob.m.Decrypt(ctx, alice.addr(), session.Message{Type: msg.Type, Body: bad}); err == nil {
				t.Fatalf("flip of byte %d bit %#x accepted", i, bit)
			}
			if !bytes.Equal(before, bob.store.SessionBytes(alice.addr())) {
				t.Fatalf("flip of byte %d changed the stored record", i)
			}
		}
	}
	for n := range len(msg.Body) {
		if _, err := bob.m.Decrypt(ctx, alice.addr(), session.Message{Type: msg.Type, Body: msg.Body[:n]}); err == nil {
			t.Fatalf("truncation to %d accepted", n)
		}
	}
	if !bytes.Equal(before, bob.store.SessionBytes(alice.addr())) {
		t.Fatal("truncations changed the stored record")
	}
	recv(t, bob, alice, msg, "secret")
}

func TestUntrustedIdentity(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, false, false)); err != nil {
		t.Fatal(err)
	}
	recv(t, bob, alice, send(t, alice, bob, "hi"), "hi")
	// Bob reinstalls: a new identity under the same address.
	bob2 := newDevice(t, "bob")
	err := alice.m.ProcessBundle(ctx, bob.addr(), bob2.bundle(t, false, false))
	var ue *session.UntrustedIdentityError
	if !errors.Is(err, session.ErrUntrustedIdentity) || !errors.As(err, &ue) || ue.Address != bob.addr() {
		t.Fatalf("new identity: %v", err)
	}
	if err := alice.store.Trust(ctx, bob.addr(), bob2.id.PublicKey()); err != nil {
		t.Fatal(err)
	}
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob2.bundle(t, false, false)); err != nil {
		t.Fatal(err)
	}
	recv(t, bob2, alice, send(t, alice, bob2, "hi again"), "hi again")
}

func TestStaleSessionRefusesToEncrypt(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	alice := newDevice(t, "alice", session.WithClock(func() time.Time { return now }))
	bob := newDevice(t, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, false, false)); err != nil {
		t.Fatal(err)
	}
	send(t, alice, bob, "one")
	now = now.Add(session.MaxUnacknowledgedSessionAge + time.Minute)
	if _, err := alice.m.Encrypt(ctx, bob.addr(), []byte("late")); !errors.Is(err, session.ErrStaleSession) {
		t.Fatalf("err = %v, want ErrStaleSession", err)
	}
	if ok, _ := alice.m.HasSession(ctx, bob.addr()); ok {
		t.Fatal("HasSession true for a stale session")
	}
}

func TestSimultaneousInitiation(t *testing.T) {
	for _, pq := range []bool{false, true} {
		ctx := context.Background()
		alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, pq)); err != nil {
			t.Fatal(err)
		}
		if err := bob.m.ProcessBundle(ctx, alice.addr(), alice.bundle(t, true, pq)); err != nil {
			t.Fatal(err)
		}
		a1 := send(t, alice, bob, "from alice")
		b1 := send(t, bob, alice, "from bob")
		recv(t, bob, alice, a1, "from alice")
		recv(t, alice, bob, b1, "from bob")
		// One round trip.
		a2 := send(t, alice, bob, "a2")
		recv(t, bob, alice, a2, "a2")
		b2 := send(t, bob, alice, "b2")
		recv(t, alice, bob, b2, "b2")
		for i := range 10 {
			m := send(t, alice, bob, fmt.Sprint("a", i))
			if m.Type != session.TypeSignal {
				t.Fatalf("alice still sends %v", m.Type)
			}
			recv(t, bob, alice, m, fmt.Sprint("a", i))
			m = send(t, bob, alice, fmt.Sprint("b", i))
			if m.Type != session.TypeSignal {
				t.Fatalf("bob still sends %v", m.Type)
			}
			recv(t, alice, bob, m, fmt.Sprint("b", i))
		}
	}
}

func TestNoSession(t *testing.T) {
	ctx := context.Background()
	alice := newDevice(t, "alice")
	if _, err := alice.m.Encrypt(ctx, session.Address{Name: "x", DeviceID: 1}, []byte("x")); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("err = %v", err)
	}
}

// TestEvictedKeyIsDuplicate: after a jump that skips one key more than
// ratchet.MaxSkippedKeysPerChain, the oldest key is evicted and its message
// is a duplicate, as in libsignal, also in v4, where SPQR (asked first)
// has trimmed the same index. The refusal changes nothing stored, and the
// other skipped messages still decrypt.
func TestEvictedKeyIsDuplicate(t *testing.T) {
	for _, pq := range []bool{false, true} {
		t.Run(fmt.Sprintf("pq=%v", pq), func(t *testing.T) {
			ctx := context.Background()
			alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
			if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, false, pq)); err != nil {
				t.Fatal(err)
			}
			recv(t, bob, alice, send(t, alice, bob, "hi"), "hi")
			recv(t, alice, bob, send(t, bob, alice, "yo"), "yo")
			const skipped = ratchet.MaxSkippedKeysPerChain + 1
			msgs := make([]session.Message, skipped+1)
			for i := range msgs {
				msgs[i] = send(t, alice, bob, fmt.Sprint(i))
			}
			recv(t, bob, alice, msgs[skipped], fmt.Sprint(skipped)) // skips 0..skipped-1
			before := bob.store.SessionBytes(alice.addr())
			_, err := bob.m.Decrypt(ctx, alice.addr(), msgs[0])
			if !errors.Is(err, session.ErrDuplicateMessage) {
				t.Fatalf("evicted message: %v, want ErrDuplicateMessage", err)
			}
			if !bytes.Equal(before, bob.store.SessionBytes(alice.addr())) {
				t.Fatal("the refused message changed the stored record")
			}
			for _, i := range []int{1, skipped / 2, skipped - 1} {
				recv(t, bob, alice, msgs[i], fmt.Sprint(i))
			}
		})
	}
}
