package sqlstore

// The session layer's scenarios (session/*_test.go), run with the SQL
// stores in place of memstore, on each backend.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

type device struct {
	name   string
	id     *curve.IdentityKeyPair
	store  *Store
	m      *session.Manager
	spk    *x3dh.SignedPreKey
	kem    *x3dh.KEMPreKey
	next   uint32
	driver string
	dsn    string
}

// newDevice makes a device with a fresh database of backend b: a signed
// prekey (id 7) and a last-resort Kyber prekey (id 9).
func newDevice(t testing.TB, b backend, name string, opts ...session.Option) *device {
	t.Helper()
	ctx := context.Background()
	driver, dsn := b.newDB(t)
	st := openStore(t, driver, dsn)
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Init(ctx, id, 1000+uint32(len(name))); err != nil {
		t.Fatal(err)
	}
	spk, err := x3dh.GenerateSignedPreKey(id, 7)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddSignedPreKey(ctx, spk); err != nil {
		t.Fatal(err)
	}
	kem, err := x3dh.GenerateKEMPreKey(id, 9, x3dh.Kyber1024)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddKEMPreKey(ctx, kem, true); err != nil {
		t.Fatal(err)
	}
	return &device{name: name, id: id, store: st, m: session.NewManager(session.StoresOf(st), opts...),
		spk: spk, kem: kem, next: 100, driver: driver, dsn: dsn}
}

// reopen gives d a second handle on its database (another *sql.DB), as a
// second process of the same device would have.
func (d *device) reopen(t testing.TB, opts ...session.Option) *device {
	t.Helper()
	st := openStore(t, d.driver, d.dsn)
	c := *d
	c.store, c.m = st, session.NewManager(session.StoresOf(st), opts...)
	return &c
}

func (d *device) addr() session.Address { return session.Address{Name: d.name, DeviceID: 1} }

// bundle publishes a bundle; oneTime adds a fresh one-time prekey, pq the
// KEM prekey (the last-resort one, or a fresh one-time one if kemOneTime).
func (d *device) bundle(t testing.TB, oneTime, pq bool, kemOneTime ...bool) *x3dh.Bundle {
	t.Helper()
	ctx := context.Background()
	var otp *x3dh.OneTimePreKeyPublic
	if oneTime {
		d.next++
		k, err := x3dh.GenerateOneTimePreKey(d.next)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.store.AddPreKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		p := k.Public()
		otp = &p
	}
	var kp *x3dh.KEMPreKeyPublic
	if pq {
		k := d.kem
		if len(kemOneTime) > 0 && kemOneTime[0] {
			d.next++
			var err error
			if k, err = x3dh.GenerateKEMPreKey(d.id, d.next, x3dh.Kyber1024); err != nil {
				t.Fatal(err)
			}
			if err := d.store.AddKEMPreKey(ctx, k, false); err != nil {
				t.Fatal(err)
			}
		}
		p := k.Public()
		kp = &p
	}
	regID, err := d.store.LocalRegistrationID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := x3dh.NewBundle(regID, 1, d.id.PublicKey(), d.spk.Public(), otp, kp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (d *device) sessionBytes(t testing.TB, addr session.Address) []byte {
	t.Helper()
	b, err := d.store.SessionBytes(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (d *device) hasPreKey(t testing.TB, id uint32) bool {
	t.Helper()
	ok, err := d.store.HasPreKey(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ok
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
	forEachBackend(t, func(t *testing.T, be backend) {
		for _, pq := range []bool{false, true} {
			for _, oneTime := range []bool{false, true} {
				t.Run(fmt.Sprintf("pq=%v/oneTime=%v", pq, oneTime), func(t *testing.T) {
					ctx := context.Background()
					alice, bob := newDevice(t, be, "alice"), newDevice(t, be, "bob")
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
					recv(t, bob, alice, m2, "hello 2")
					if oneTime && bob.hasPreKey(t, bob.next) {
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
					// Both restart: new handles on the same databases.
					alice, bob = alice.reopen(t), bob.reopen(t)
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
	})
}

// A one-time KEM prekey is removed by the decrypt that uses it.
func TestOneTimeKEMPreKeyConsumed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		alice, bob := newDevice(t, be, "alice"), newDevice(t, be, "bob")
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true, true)); err != nil {
			t.Fatal(err)
		}
		kemID := bob.next
		if _, k, _ := bob.store.PreKeyCount(ctx); k != 1 {
			t.Fatalf("%d one-time KEM prekeys before, want 1", k)
		}
		recv(t, bob, alice, send(t, alice, bob, "pq"), "pq")
		if _, err := bob.store.LoadKEMPreKey(ctx, kemID); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("one-time KEM prekey after use: %v", err)
		}
		if o, k, _ := bob.store.PreKeyCount(ctx); o != 0 || k != 0 {
			t.Fatalf("prekeys left: %d, %d", o, k)
		}
		// The last-resort key stays.
		if _, err := bob.store.LoadKEMPreKey(ctx, bob.kem.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestFailedDecryptChangesNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		alice, bob := newDevice(t, be, "alice"), newDevice(t, be, "bob")
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, false)); err != nil {
			t.Fatal(err)
		}
		recv(t, bob, alice, send(t, alice, bob, "hi"), "hi")
		recv(t, alice, bob, send(t, bob, alice, "yo"), "yo")
		msg := send(t, alice, bob, "secret")
		before := bob.sessionBytes(t, alice.addr())
		step := 1
		if testing.Short() {
			step = 7
		}
		for i := 0; i < len(msg.Body); i += step {
			bad := bytes.Clone(msg.Body)
			bad[i] ^= 0x80
			if _, err := bob.m.Decrypt(ctx, alice.addr(), session.Message{Type: msg.Type, Body: bad}); err == nil {
				t.Fatalf("flip of byte %d accepted", i)
			}
		}
		for n := 0; n < len(msg.Body); n += step {
			if _, err := bob.m.Decrypt(ctx, alice.addr(), session.Message{Type: msg.Type, Body: msg.Body[:n]}); err == nil {
				t.Fatalf("truncation to %d accepted", n)
			}
		}
		if !bytes.Equal(before, bob.sessionBytes(t, alice.addr())) {
			t.Fatal("failed decrypts changed the stored record")
		}
		recv(t, bob, alice, msg, "secret")
	})
}

func TestUntrustedIdentity(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		alice, bob := newDevice(t, be, "alice"), newDevice(t, be, "bob")
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, false, false)); err != nil {
			t.Fatal(err)
		}
		recv(t, bob, alice, send(t, alice, bob, "hi"), "hi")
		bob2 := newDevice(t, be, "bob")
		err := alice.m.ProcessBundle(ctx, bob.addr(), bob2.bundle(t, false, false))
		var ue *session.UntrustedIdentityError
		if !errors.Is(err, session.ErrUntrustedIdentity) || !errors.As(err, &ue) || ue.Address != bob.addr() {
			t.Fatalf("new identity: %v", err)
		}
		if err := alice.store.Trust(ctx, bob.addr(), bob2.id.PublicKey()); err != nil {
			t.Fatal(err)
		}
		if k, ok, err := alice.store.Identity(ctx, bob.addr()); err != nil || !ok || !k.Equal(bob2.id.PublicKey()) {
			t.Fatalf("Identity after Trust: %v %v", ok, err)
		}
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob2.bundle(t, false, false)); err != nil {
			t.Fatal(err)
		}
		recv(t, bob2, alice, send(t, alice, bob2, "hi again"), "hi again")
	})
}

func TestStaleSessionRefusesToEncrypt(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		now := time.Now()
		alice := newDevice(t, be, "alice", session.WithClock(func() time.Time { return now }))
		bob := newDevice(t, be, "bob")
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
	})
}

func TestSimultaneousInitiation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		for _, pq := range []bool{false, true} {
			ctx := context.Background()
			alice, bob := newDevice(t, be, "alice"), newDevice(t, be, "bob")
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
	})
}

func TestNoSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		alice := newDevice(t, be, "alice")
		if _, err := alice.m.Encrypt(context.Background(), session.Address{Name: "x", DeviceID: 1}, []byte("x")); !errors.Is(err, session.ErrNoSession) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestInvalidPreKeyID(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		for _, tc := range []struct {
			name    string
			oneTime bool
			mutate  func(*wire.PreKeySignalMessage)
		}{
			{"signed", false, func(m *wire.PreKeySignalMessage) { m.SignedPreKeyID = 4242 }},
			{"one-time", true, func(m *wire.PreKeySignalMessage) { m.PreKeyID = 4242 }},
			{"kem", false, func(m *wire.PreKeySignalMessage) { m.KyberPreKeyID = 4242 }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				alice, bob := newDevice(t, be, "alice"), newDevice(t, be, "bob")
				if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, tc.oneTime, true)); err != nil {
					t.Fatal(err)
				}
				msg := send(t, alice, bob, "hi")
				pm, err := wire.ParsePreKeySignalMessage(msg.Body)
				if err != nil {
					t.Fatal(err)
				}
				m := pm.PreKeySignalMessage
				tc.mutate(&m)
				body, err := m.Append(nil)
				if err != nil {
					t.Fatal(err)
				}
				_, err = bob.m.Decrypt(ctx, alice.addr(), session.Message{Type: session.TypePreKey, Body: body})
				if !errors.Is(err, session.ErrInvalidPreKeyID) {
					t.Fatalf("err = %v, want ErrInvalidPreKeyID", err)
				}
				if bob.sessionBytes(t, alice.addr()) != nil {
					t.Fatal("a session was stored")
				}
				recv(t, bob, alice, msg, "hi")
			})
		}
	})
}

func TestArchiveAndDelete(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		alice, bob := newDevice(t, be, "alice"), newDevice(t, be, "bob")
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, false, true)); err != nil {
			t.Fatal(err)
		}
		m1 := send(t, alice, bob, "before archive")
		if err := alice.m.ArchiveSession(ctx, bob.addr()); err != nil {
			t.Fatal(err)
		}
		if ok, _ := alice.m.HasSession(ctx, bob.addr()); ok {
			t.Fatal("HasSession after archive")
		}
		recv(t, bob, alice, m1, "before archive")
		recv(t, alice, bob, send(t, bob, alice, "reply"), "reply")
		if ok, _ := alice.m.HasSession(ctx, bob.addr()); !ok {
			t.Fatal("archived state not promoted")
		}
		if err := alice.m.DeleteSession(ctx, bob.addr()); err != nil {
			t.Fatal(err)
		}
		if _, err := alice.m.Decrypt(ctx, bob.addr(), send(t, bob, alice, "gone")); !errors.Is(err, session.ErrNoSession) {
			t.Fatalf("decrypt after delete: %v", err)
		}
	})
}

func TestDecryptWithHandlerFailureCommitsNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		alice, bob := newDevice(t, be, "alice"), newDevice(t, be, "bob")
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true, true)); err != nil {
			t.Fatal(err)
		}
		kemID := bob.next
		otkID := bob.next - 1
		msg := send(t, alice, bob, "at least once")
		boom := errors.New("app database down")
		err := bob.m.DecryptWith(ctx, alice.addr(), msg, func(pt []byte) error {
			if string(pt) != "at least once" {
				t.Errorf("handler got %q", pt)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the handler's", err)
		}
		if bob.sessionBytes(t, alice.addr()) != nil || !bob.hasPreKey(t, otkID) {
			t.Fatal("a failed handler committed state or consumed the prekey")
		}
		if _, err := bob.store.LoadKEMPreKey(ctx, kemID); err != nil {
			t.Fatalf("a failed handler consumed the KEM prekey: %v", err)
		}
		if _, ok, _ := bob.store.Identity(ctx, alice.addr()); ok {
			t.Fatal("a failed handler saved the peer identity")
		}
		var got string
		if err := bob.m.DecryptWith(ctx, alice.addr(), msg, func(pt []byte) error { got = string(pt); return nil }); err != nil || got != "at least once" {
			t.Fatalf("second attempt: %q, %v", got, err)
		}
		if _, err := bob.m.Decrypt(ctx, alice.addr(), msg); !errors.Is(err, session.ErrDuplicateMessage) {
			t.Fatalf("after commit: %v, want ErrDuplicateMessage", err)
		}
		if bob.hasPreKey(t, otkID) {
			t.Fatal("one-time prekey not consumed")
		}
	})
}

// TestConcurrentUse: goroutines send messages between one device and many
// peers in both directions through shared Managers; every plaintext must
// be decrypted exactly once.
func TestConcurrentUse(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		const (
			workers = 8
			peers   = 8
		)
		total := 800
		if testing.Short() {
			total = 160
		}
		ctx := context.Background()
		hub := newDevice(t, be, "hub")
		others := make([]*device, peers)
		for i := range others {
			others[i] = newDevice(t, be, fmt.Sprintf("peer%02d", i))
			if err := hub.m.ProcessBundle(ctx, others[i].addr(), others[i].bundle(t, true, i%2 == 0)); err != nil {
				t.Fatal(err)
			}
			recv(t, others[i], hub, send(t, hub, others[i], "hello"), "hello")
			recv(t, hub, others[i], send(t, others[i], hub, "welcome"), "welcome")
		}
		var (
			mu   sync.Mutex
			seen = make(map[string]int)
			wg   sync.WaitGroup
			errs = make(chan error, workers)
		)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := mrand.New(mrand.NewPCG(uint64(w), 99))
				for i := range total / workers {
					p := others[rng.IntN(peers)]
					from, to := hub, p
					if rng.IntN(3) == 0 {
						from, to = p, hub
					}
					text := fmt.Sprintf("w%d-%d", w, i)
					msg, err := from.m.Encrypt(ctx, to.addr(), []byte(text))
					if err != nil {
						errs <- fmt.Errorf("encrypt %s: %w", text, err)
						return
					}
					pt, err := to.m.Decrypt(ctx, from.addr(), msg)
					if err != nil {
						errs <- fmt.Errorf("decrypt %s: %w", text, err)
						return
					}
					mu.Lock()
					seen[string(pt)]++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if want := total / workers * workers; len(seen) != want {
			t.Fatalf("%d distinct plaintexts, want %d", len(seen), want)
		}
		for text, n := range seen {
			if n != 1 {
				t.Fatalf("%q decrypted %d times", text, n)
			}
		}
	})
}

func TestBadBundleSignature(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		alice, bob := newDevice(t, be, "alice"), newDevice(t, be, "bob")
		for _, pq := range []bool{false, true} {
			b := bob.bundle(t, false, pq)
			b.SignedPreKey.Signature = bytes.Clone(b.SignedPreKey.Signature)
			b.SignedPreKey.Signature[3] ^= 1
			err := alice.m.ProcessBundle(ctx, bob.addr(), b)
			if !errors.Is(err, session.ErrSignature) || !errors.Is(err, x3dh.ErrBadSignedPreKeySignature) {
				t.Fatalf("bad signed-prekey signature: %v", err)
			}
			if pq {
				b = bob.bundle(t, false, true)
				b.KEMPreKey.Signature = bytes.Clone(b.KEMPreKey.Signature)
				b.KEMPreKey.Signature[3] ^= 1
				err := alice.m.ProcessBundle(ctx, bob.addr(), b)
				if !errors.Is(err, session.ErrSignature) || !errors.Is(err, x3dh.ErrBadKEMSignature) {
					t.Fatalf("bad KEM signature: %v", err)
				}
			}
		}
		if ok, _ := alice.m.HasSession(ctx, bob.addr()); ok {
			t.Fatal("session after refused bundles")
		}
		if alice.sessionBytes(t, bob.addr()) != nil {
			t.Fatal("a refused bundle stored a record")
		}
	})
}

func TestVersionErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		alice, bob := newDevice(t, be, "alice"), newDevice(t, be, "bob")
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, false, false)); err != nil {
			t.Fatal(err)
		}
		msg := send(t, alice, bob, "hi")
		for _, b0 := range []byte{0x22, 0x23, 0x55, 0x11} {
			bad := bytes.Clone(msg.Body)
			bad[0] = b0
			if _, err := bob.m.Decrypt(ctx, alice.addr(), session.Message{Type: msg.Type, Body: bad}); !errors.Is(err, session.ErrVersion) {
				t.Errorf("first byte %#x: err = %v, want ErrVersion", b0, err)
			}
		}
		if _, err := bob.m.Decrypt(ctx, alice.addr(), session.Message{Type: 9, Body: msg.Body}); !errors.Is(err, session.ErrInvalidMessage) {
			t.Errorf("unknown type: %v", err)
		}
		if bob.sessionBytes(t, alice.addr()) != nil {
			t.Fatal("refused messages stored a record")
		}
		recv(t, bob, alice, msg, "hi")
	})
}
