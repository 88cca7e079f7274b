package storetest

// The session layer over the stores, through session.Manager.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/session"
)

var conversations = []struct {
	name    string
	oneTime bool
	kem     kemKind
}{
	{"v3", false, noKEM},
	{"v3-one-time", true, noKEM},
	{"v4-last-resort", false, lastResortKEM},
	{"v4-last-resort-one-time", true, lastResortKEM},
	{"v4-one-time-kem", true, oneTimeKEM},
}

func (s *suite) testConversation(t *testing.T) {
	for _, tc := range conversations {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			alice, bob := s.device(t, "alice"), s.device(t, "bob")
			b, otkID, kemID := bob.bundle(t, tc.oneTime, tc.kem)
			if err := alice.m.ProcessBundle(ctx, bob.addr(), b); err != nil {
				t.Fatal(err)
			}
			// The handshake waiting for Bob's answer is in the store.
			alice.restart(t)
			m1 := send(t, alice, bob, "hello 1")
			m2 := send(t, alice, bob, "hello 2")
			if m1.Type != session.TypePreKey || m2.Type != session.TypePreKey {
				t.Fatalf("first messages are %v, %v; want PreKey messages", m1.Type, m2.Type)
			}
			version, wantVersion := byte(0x33), 3
			if tc.kem != noKEM {
				version, wantVersion = 0x44, 4
			}
			if m1.Body[0] != version {
				t.Fatalf("version byte %#x, want %#x", m1.Body[0], version)
			}
			// Out of order: the second PreKey message first.
			recv(t, bob, alice, m2, "hello 2")
			if otkID != 0 && hasPreKey(t, bob.st, otkID) {
				t.Fatal("the one-time prekey is still there after the decrypt that used it")
			}
			if kemID != 0 && hasKEMPreKey(t, bob.st, kemID) {
				t.Fatal("the one-time KEM prekey is still there after the decrypt that used it")
			}
			if !hasKEMPreKey(t, bob.st, lastResortKEMID) {
				t.Fatal("the last-resort KEM prekey is gone")
			}
			recv(t, bob, alice, m1, "hello 1") // the same handshake needs no prekey again
			if _, err := bob.m.Decrypt(ctx, alice.addr(), m1); !errors.Is(err, session.ErrDuplicateMessage) {
				t.Fatalf("replayed PreKey message: %v, want ErrDuplicateMessage", err)
			}
			r := send(t, bob, alice, "reply")
			if r.Type != session.TypeSignal {
				t.Fatalf("reply is a %v", r.Type)
			}
			recv(t, alice, bob, r, "reply")
			if m := send(t, alice, bob, "after reply"); m.Type != session.TypeSignal {
				t.Fatalf("after the reply Alice still sends %v", m.Type)
			} else {
				recv(t, bob, alice, m, "after reply")
			}

			// Messages in flight across a restart of both: the receiver's
			// skipped message keys are in its store.
			late := []session.Message{send(t, alice, bob, "late 0"), send(t, alice, bob, "late 1"), send(t, alice, bob, "late 2")}
			alice.restart(t)
			bob.restart(t)
			for _, i := range []int{2, 0, 1} {
				recv(t, bob, alice, late[i], fmt.Sprint("late ", i))
			}
			if _, err := bob.m.Decrypt(ctx, alice.addr(), late[2]); !errors.Is(err, session.ErrDuplicateMessage) {
				t.Fatalf("replay after a restart: %v, want ErrDuplicateMessage", err)
			}
			if info, err := bob.m.Info(ctx, alice.addr()); err != nil || info.Version != wantVersion || !info.Acknowledged {
				t.Fatalf("Info after a restart = %+v, %v", info, err)
			}

			// Many turns, reordered inside each chain.
			turns := 20
			if testing.Short() {
				turns = 8
			}
			rng := mrand.New(mrand.NewPCG(1, 2))
			for turn := range turns {
				from, to := alice, bob
				if turn%2 == 1 {
					from, to = bob, alice
				}
				msgs := make([]session.Message, 1+rng.IntN(5))
				for i := range msgs {
					msgs[i] = send(t, from, to, fmt.Sprintf("t%d m%d", turn, i))
				}
				for _, i := range rng.Perm(len(msgs)) {
					recv(t, to, from, msgs[i], fmt.Sprintf("t%d m%d", turn, i))
				}
				if turn == turns/2 {
					alice.restart(t)
					bob.restart(t)
				}
			}
		})
	}
}

// testPreKeyUsedOnce: two initiators use the same bundle. A one-time prekey
// (or one-time KEM prekey) lets only the first in; a last-resort KEM prekey
// lets both.
func (s *suite) testPreKeyUsedOnce(t *testing.T) {
	for _, tc := range []struct {
		name     string
		oneTime  bool
		kem      kemKind
		reusable bool
	}{
		{"one-time", true, noKEM, false},
		{"one-time-kem", false, oneTimeKEM, false},
		{"last-resort-kem", false, lastResortKEM, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			bob, a1, a2 := s.device(t, "bob"), s.device(t, "alice1"), s.device(t, "alice2")
			b, _, _ := bob.bundle(t, tc.oneTime, tc.kem)
			for _, a := range []*device{a1, a2} {
				if err := a.m.ProcessBundle(ctx, bob.addr(), b); err != nil {
					t.Fatal(err)
				}
			}
			m1, m2 := send(t, a1, bob, "first"), send(t, a2, bob, "second")
			recv(t, bob, a1, m1, "first")
			for _, restart := range []bool{false, true} {
				if restart {
					bob.restart(t)
				}
				pt, err := bob.m.Decrypt(ctx, a2.addr(), m2)
				if tc.reusable {
					if err != nil || string(pt) != "second" {
						t.Fatalf("second use of a last-resort KEM prekey: %q, %v", pt, err)
					}
					break
				}
				if !errors.Is(err, session.ErrInvalidPreKeyID) {
					t.Fatalf("second use of a one-time key (restart %v): %v, want ErrInvalidPreKeyID", restart, err)
				}
				if recordBytes(t, bob.st, a2.addr()) != nil {
					t.Fatal("the refused second use stored a session")
				}
			}
		})
	}
}

func (s *suite) testFailedDecrypt(t *testing.T) {
	ctx := context.Background()
	alice, bob := s.device(t, "alice"), s.device(t, "bob")
	connect(t, alice, bob, true, noKEM)
	exchange(t, alice, bob, "hi")
	msg := send(t, alice, bob, "secret")
	before := recordBytes(t, bob.st, alice.addr())
	step := 1
	if testing.Short() {
		step = 5
	}
	for i := 0; i < len(msg.Body); i += step {
		bad := bytes.Clone(msg.Body)
		bad[i] ^= 1 << (i % 8)
		if _, err := bob.m.Decrypt(ctx, alice.addr(), session.Message{Type: msg.Type, Body: bad}); err == nil {
			t.Fatalf("a flip in byte %d was accepted", i)
		}
		if !bytes.Equal(before, recordBytes(t, bob.st, alice.addr())) {
			t.Fatalf("a failed decrypt (flip in byte %d) changed the stored record", i)
		}
	}
	for n := 0; n < len(msg.Body); n += step {
		if _, err := bob.m.Decrypt(ctx, alice.addr(), session.Message{Type: msg.Type, Body: msg.Body[:n]}); err == nil {
			t.Fatalf("a truncation to %d bytes was accepted", n)
		}
	}
	if !bytes.Equal(before, recordBytes(t, bob.st, alice.addr())) {
		t.Fatal("failed decrypts (truncations) changed the stored record")
	}
	recv(t, bob, alice, msg, "secret")

	// A PreKey message that fails stores nothing and consumes nothing.
	carol := s.device(t, "carol")
	b, otkID, kemID := bob.bundle(t, true, oneTimeKEM)
	if err := carol.m.ProcessBundle(ctx, bob.addr(), b); err != nil {
		t.Fatal(err)
	}
	pm := send(t, carol, bob, "pq")
	parsed, err := wire.ParsePreKeySignalMessage(pm.Body)
	if err != nil {
		t.Fatal(err)
	}
	m := parsed.PreKeySignalMessage
	m.Message = bytes.Clone(m.Message)
	m.Message[len(m.Message)-1] ^= 1 // the inner message's MAC
	bad, err := m.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.m.Decrypt(ctx, carol.addr(), session.Message{Type: pm.Type, Body: bad}); err == nil {
		t.Fatal("a PreKey message with a bad MAC was accepted")
	}
	switch {
	case recordBytes(t, bob.st, carol.addr()) != nil:
		t.Fatal("a failed PreKey message stored a session")
	case !hasPreKey(t, bob.st, otkID) || !hasKEMPreKey(t, bob.st, kemID):
		t.Fatal("a failed PreKey message consumed a one-time key")
	case hasSavedIdentity(t, bob.st, carol.addr()):
		t.Fatal("a failed PreKey message saved the sender's identity")
	}
	recv(t, bob, carol, pm, "pq")
}

// testFailedHandler: DecryptWith whose handler fails leaves the store as it
// was, so the same message decrypts again.
func (s *suite) testFailedHandler(t *testing.T) {
	ctx := context.Background()
	alice, bob := s.device(t, "alice"), s.device(t, "bob")
	b, otkID, kemID := bob.bundle(t, true, oneTimeKEM)
	if err := alice.m.ProcessBundle(ctx, bob.addr(), b); err != nil {
		t.Fatal(err)
	}
	msg := send(t, alice, bob, "at least once")
	boom := errors.New("storetest: the app's database is down")
	for range 2 {
		err := bob.m.DecryptWith(ctx, alice.addr(), msg, func([]byte) error { return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("DecryptWith: %v, want the handler's error", err)
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
	var got string
	if err := bob.m.DecryptWith(ctx, alice.addr(), msg, func(pt []byte) error { got = string(pt); return nil }); err != nil || got != "at least once" {
		t.Fatalf("DecryptWith after failed handlers: %q, %v", got, err)
	}
	if hasPreKey(t, bob.st, otkID) || hasKEMPreKey(t, bob.st, kemID) {
		t.Fatal("the one-time keys are still there after the decrypt that used them")
	}
	if _, err := bob.m.Decrypt(ctx, alice.addr(), msg); !errors.Is(err, session.ErrDuplicateMessage) {
		t.Fatalf("the message again: %v, want ErrDuplicateMessage", err)
	}
}

func (s *suite) testInvalidPreKeyID(t *testing.T) {
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
			alice, bob := s.device(t, "alice"), s.device(t, "bob")
			connect(t, alice, bob, tc.oneTime, lastResortKEM)
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
			if recordBytes(t, bob.st, alice.addr()) != nil {
				t.Fatal("a message naming a missing prekey stored a session")
			}
			recv(t, bob, alice, msg, "hi")
		})
	}
}

func (s *suite) testUntrustedIdentity(t *testing.T) {
	ctx := context.Background()
	alice, bob := s.device(t, "alice"), s.device(t, "bob")
	connect(t, alice, bob, false, noKEM)
	exchange(t, alice, bob, "hi")
	before := recordBytes(t, alice.st, bob.addr())

	// Bob reinstalls: a new identity under the same address.
	bob2 := s.device(t, "bob")
	untrusted := func(err error, what string) {
		t.Helper()
		var ue *session.UntrustedIdentityError
		if !errors.Is(err, session.ErrUntrustedIdentity) || !errors.As(err, &ue) || ue.Address != bob.addr() {
			t.Fatalf("%s with a new identity key: %v, want an UntrustedIdentityError for %v", what, err, bob.addr())
		}
		if !bytes.Equal(before, recordBytes(t, alice.st, bob.addr())) {
			t.Fatalf("the refused %s changed the stored record", what)
		}
	}
	b2, _, _ := bob2.bundle(t, false, noKEM)
	untrusted(alice.m.ProcessBundle(ctx, bob.addr(), b2), "ProcessBundle")
	connect(t, bob2, alice, false, lastResortKEM)
	msg := send(t, bob2, alice, "from the new bob")
	_, err := alice.m.Decrypt(ctx, bob.addr(), msg)
	untrusted(err, "Decrypt")
	alice.restart(t)
	untrusted(alice.m.ProcessBundle(ctx, bob.addr(), b2), "ProcessBundle after a restart")

	// Alice's user accepts the new key.
	if err := alice.st.Identity.SaveIdentity(ctx, bob.addr(), bob2.id.PublicKey()); err != nil {
		t.Fatal(err)
	}
	recv(t, alice, bob2, msg, "from the new bob")
	exchange(t, alice, bob2, "again")
	if ok, err := alice.st.Identity.IsTrustedIdentity(ctx, bob.addr(), bob.id.PublicKey(), session.Sending); ok || err != nil {
		t.Fatalf("the old identity key is trusted after the new one was saved: %v, %v", ok, err)
	}
}

func (s *suite) testArchiveAndDelete(t *testing.T) {
	ctx := context.Background()
	alice, bob := s.device(t, "alice"), s.device(t, "bob")
	connect(t, alice, bob, false, lastResortKEM)
	m1 := send(t, alice, bob, "before archive")
	if err := alice.m.ArchiveSession(ctx, bob.addr()); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if ok, err := alice.m.HasSession(ctx, bob.addr()); ok || err != nil {
			t.Fatalf("HasSession after ArchiveSession: %v, %v", ok, err)
		}
		if _, err := alice.m.Encrypt(ctx, bob.addr(), []byte("x")); !errors.Is(err, session.ErrNoSession) {
			t.Fatalf("Encrypt after ArchiveSession: %v, want ErrNoSession", err)
		}
		alice.restart(t)
	}
	recv(t, bob, alice, m1, "before archive")
	// Bob's reply decrypts with the archived state, which is promoted.
	recv(t, alice, bob, send(t, bob, alice, "reply"), "reply")
	alice.restart(t)
	if ok, err := alice.m.HasSession(ctx, bob.addr()); !ok || err != nil {
		t.Fatalf("HasSession after the archived state decrypted: %v, %v", ok, err)
	}
	exchange(t, alice, bob, "promoted")

	if err := alice.m.DeleteSession(ctx, bob.addr()); err != nil {
		t.Fatal(err)
	}
	if recordBytes(t, alice.st, bob.addr()) != nil {
		t.Fatal("a record is left after DeleteSession")
	}
	gone := send(t, bob, alice, "gone")
	if _, err := alice.m.Decrypt(ctx, bob.addr(), gone); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("Decrypt after DeleteSession: %v, want ErrNoSession", err)
	}
	alice.restart(t)
	if recordBytes(t, alice.st, bob.addr()) != nil {
		t.Fatal("a deleted record is back after a restart")
	}
}

func (s *suite) testSimultaneousInitiation(t *testing.T) {
	for _, kem := range []kemKind{noKEM, lastResortKEM} {
		t.Run(map[kemKind]string{noKEM: "v3", lastResortKEM: "v4"}[kem], func(t *testing.T) {
			alice, bob := s.device(t, "alice"), s.device(t, "bob")
			connect(t, alice, bob, true, kem)
			connect(t, bob, alice, true, kem)
			a1 := send(t, alice, bob, "from alice")
			b1 := send(t, bob, alice, "from bob")
			recv(t, bob, alice, a1, "from alice")
			recv(t, alice, bob, b1, "from bob")
			exchange(t, alice, bob, "round trip")
			alice.restart(t)
			bob.restart(t)
			for i := range 5 {
				m := send(t, alice, bob, fmt.Sprint("a", i))
				if m.Type != session.TypeSignal {
					t.Fatalf("Alice still sends %v", m.Type)
				}
				recv(t, bob, alice, m, fmt.Sprint("a", i))
				m = send(t, bob, alice, fmt.Sprint("b", i))
				if m.Type != session.TypeSignal {
					t.Fatalf("Bob still sends %v", m.Type)
				}
				recv(t, alice, bob, m, fmt.Sprint("b", i))
			}
		})
	}
}

// testConcurrentUse uses one device (the hub) from many goroutines at
// once, through shared Managers, and, when the session store is a
// session.Locker and the device can be reopened, through two handles at
// once as two processes would. Every message must decrypt, exactly once, to
// what was sent.
//
// Each goroutine first talks both ways with a peer of its own, so the hub's
// stores see concurrent operations on many addresses. Then all goroutines
// encrypt to one peer at once, and decrypt from it at once: same-address
// operations that the Manager (and the Locker across handles) serializes.
// Messages of one address are never reordered across more than one chain,
// which the Double Ratchet would be entitled to refuse.
func (s *suite) testConcurrentUse(t *testing.T) {
	const workers = 8
	rounds, burst := 30, 8
	if testing.Short() {
		rounds, burst = 8, 4
	}
	ctx := context.Background()
	hub := s.device(t, "hub")
	peers := make([]*device, workers)
	for i := range peers {
		peers[i] = s.device(t, fmt.Sprintf("peer%02d", i))
		kem := noKEM
		if i%2 == 0 {
			kem = lastResortKEM
		}
		connect(t, hub, peers[i], true, kem)
		exchange(t, hub, peers[i], "hello")
	}
	hubs := []*session.Manager{hub.m}
	if _, ok := hub.st.Sessions.(session.Locker); ok && hub.dev.Reopen != nil {
		hubs = append(hubs, session.NewManager(hub.reopen(t).Stores))
	}
	var (
		mu   sync.Mutex
		seen = make(map[string]int)
	)
	record := func(pt []byte) {
		mu.Lock()
		seen[string(pt)]++
		mu.Unlock()
	}
	parallel := func(f func(w int, hm *session.Manager) error) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := f(w, hubs[w%len(hubs)]); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}

	// Many addresses at once.
	parallel(func(w int, hm *session.Manager) error {
		rng := mrand.New(mrand.NewPCG(uint64(w), 99))
		for i := range rounds {
			p := peers[w]
			from, to, fromAddr, toAddr := hm, p.m, hub.addr(), p.addr()
			if rng.IntN(3) == 0 {
				from, to, fromAddr, toAddr = p.m, hm, p.addr(), hub.addr()
			}
			text := fmt.Sprintf("w%d-%d", w, i)
			msg, err := from.Encrypt(ctx, toAddr, []byte(text))
			if err != nil {
				return fmt.Errorf("encrypt %s (%s to %s): %w", text, fromAddr.Name, toAddr.Name, err)
			}
			pt, err := to.Decrypt(ctx, fromAddr, msg)
			if err != nil {
				return fmt.Errorf("decrypt %s (%s to %s): %w", text, fromAddr.Name, toAddr.Name, err)
			}
			record(pt)
		}
		return nil
	})

	// One address at once: the hub encrypts to p from every goroutine...
	p := peers[0]
	var out []session.Message
	parallel(func(w int, hm *session.Manager) error {
		for i := range burst {
			msg, err := hm.Encrypt(ctx, p.addr(), []byte(fmt.Sprintf("to p w%d-%d", w, i)))
			if err != nil {
				return fmt.Errorf("encrypt to %s: %w", p.name, err)
			}
			mu.Lock()
			out = append(out, msg)
			mu.Unlock()
		}
		return nil
	})
	rng := mrand.New(mrand.NewPCG(3, 4))
	for _, i := range rng.Perm(len(out)) {
		pt, err := p.m.Decrypt(ctx, hub.addr(), out[i])
		if err != nil {
			t.Fatalf("%s: decrypt of a message the hub encrypted concurrently: %v", p.name, err)
		}
		record(pt)
	}
	// ... and decrypts from p in every goroutine.
	in := make([]session.Message, workers*burst)
	for i := range in {
		in[i] = send(t, p, hub, fmt.Sprint("from p ", i))
	}
	parallel(func(w int, hm *session.Manager) error {
		for i := w; i < len(in); i += workers {
			pt, err := hm.Decrypt(ctx, p.addr(), in[i])
			if err != nil {
				return fmt.Errorf("hub: concurrent decrypt of %q: %w", fmt.Sprint("from p ", i), err)
			}
			record(pt)
		}
		return nil
	})

	if want := workers*rounds + 2*workers*burst; len(seen) != want {
		t.Fatalf("%d distinct plaintexts, want %d", len(seen), want)
	}
	for text, n := range seen {
		if n != 1 {
			t.Fatalf("%q decrypted %d times", text, n)
		}
	}
	hub.restart(t)
	for i, p := range peers {
		exchange(t, hub, p, fmt.Sprint("after ", i))
	}
}

// isLocker reports whether the session store of st is a session.Locker,
// whose unlock(false) undoes every write of a failed operation (so a
// refused decrypt saves no identity either).
func isLocker(st session.Stores) bool {
	_, ok := st.Sessions.(session.Locker)
	return ok
}

// testPreKeyReplay: a PreKey message that used the last-resort KEM prekey
// and no one-time prekey comes again once the record no longer holds its
// base key (the session was deleted, or the message claims another sender
// address), also after a restart. Nothing consumable is left to refuse it
// but the recorded use of the last-resort key (KEM prekey id, signed
// prekey id, base key): it must be refused, and store nothing. (A v3
// message without a one-time prekey cannot be told from a new session;
// libsignal accepts it too.)
func (s *suite) testPreKeyReplay(t *testing.T) {
	ctx := context.Background()
	alice, bob := s.device(t, "alice"), s.device(t, "bob")
	connect(t, alice, bob, false, lastResortKEM)
	msg := send(t, alice, bob, "hello")
	recv(t, bob, alice, msg, "hello")
	if err := bob.m.DeleteSession(ctx, alice.addr()); err != nil {
		t.Fatal(err)
	}
	mallory := session.Address{Name: "mallory", DeviceID: 1}
	refused := func(addr session.Address, when string) {
		t.Helper()
		pt, err := bob.m.Decrypt(ctx, addr, msg)
		if err == nil {
			t.Fatalf("%s: a replayed PreKey message to the last-resort KEM prekey was accepted (%q): StoreSession must record each use of a last-resort KEM prekey (Consumed.KEMPreKeyID, SignedPreKeyID, BaseKey) and refuse it again", when, pt)
		}
		if recordBytes(t, bob.st, addr) != nil {
			t.Fatalf("%s: the refused replay stored a session", when)
		}
		if addr == mallory && isLocker(bob.st) && hasSavedIdentity(t, bob.st, addr) {
			t.Fatalf("%s: the refused replay saved the sender's identity (a session.Locker's unlock(false) must undo the operation's writes)", when)
		}
	}
	refused(alice.addr(), "after DeleteSession")
	refused(mallory, "under another address")
	bob.restart(t)
	refused(alice.addr(), "after DeleteSession and a restart")
	refused(mallory, "under another address after a restart")

	// The last-resort key still opens new sessions.
	carol := s.device(t, "carol")
	connect(t, carol, bob, false, lastResortKEM)
	recv(t, bob, carol, send(t, carol, bob, "new"), "new")
}

// meetTimeout bounds how long a decrypt of testPreKeyTwoAddresses waits in
// its handler for the other one.
const meetTimeout = time.Second

// testPreKeyTwoAddresses: the same PreKey message comes under two sender
// addresses (a replay that claims another address), one after the other,
// and at once. It may open one session only: the first consumes its
// one-time prekey, its one-time KEM prekey, or its use of the last-resort
// KEM prekey. The refused one stores nothing.
//
// At once, the two decrypts wait for each other in their DecryptWith
// handlers, so that with a store that runs them in parallel (a lock per
// address) both have loaded their prekeys before either writes: then only
// StoreSession (or the Locker's commit) can refuse the second. With a
// store that runs one operation at a time, the first waits meetTimeout for
// the second, which cannot start.
func (s *suite) testPreKeyTwoAddresses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		oneTime bool
		kem     kemKind
	}{
		{"one-time", true, noKEM},
		{"one-time-kem", false, oneTimeKEM},
		{"last-resort-kem", false, lastResortKEM},
	} {
		for _, concurrent := range []bool{false, true} {
			name := tc.name + "/sequential"
			if concurrent {
				name = tc.name + "/concurrent"
			}
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				alice, bob := s.device(t, "alice"), s.device(t, "bob")
				connect(t, alice, bob, tc.oneTime, tc.kem)
				msg := send(t, alice, bob, "hello")
				addrs := []session.Address{alice.addr(), {Name: "mallory", DeviceID: 1}}
				errs := make([]error, len(addrs))
				if concurrent {
					var (
						mu   sync.Mutex
						left = len(addrs)
						all  = make(chan struct{})
						wg   sync.WaitGroup
					)
					arrive := func() {
						mu.Lock()
						if left--; left == 0 {
							close(all)
						}
						mu.Unlock()
					}
					for i, addr := range addrs {
						wg.Add(1)
						go func() {
							defer wg.Done()
							arrived := false
							errs[i] = bob.m.DecryptWith(ctx, addr, msg, func([]byte) error {
								arrived = true
								arrive()
								select {
								case <-all:
								case <-time.After(meetTimeout):
								}
								return nil
							})
							if !arrived {
								arrive()
							}
						}()
					}
					wg.Wait()
				} else {
					for i, addr := range addrs {
						_, errs[i] = bob.m.Decrypt(ctx, addr, msg)
					}
				}
				var ok int
				for _, err := range errs {
					if err == nil {
						ok++
					}
				}
				if ok != 1 {
					t.Fatalf("the same PreKey message under two addresses decrypted %d times (errors %v), want once", ok, errs)
				}
				for i, addr := range addrs {
					if errs[i] == nil {
						continue
					}
					if recordBytes(t, bob.st, addr) != nil {
						t.Fatalf("the refused decrypt under %v stored a session", addr)
					}
					if isLocker(bob.st) && hasSavedIdentity(t, bob.st, addr) {
						t.Fatalf("the refused decrypt under %v saved the sender's identity (a session.Locker's unlock(false) must undo the operation's writes)", addr)
					}
				}
			})
		}
	}
}

// messageKey names the message key of a message: its sender's ratchet key
// and its counter.
type messageKey struct {
	ratchetKey string
	counter    uint32
}

func messageKeyOf(t *testing.T, msg session.Message) messageKey {
	t.Helper()
	var sm *wire.ReceivedSignalMessage
	switch msg.Type {
	case session.TypePreKey:
		pm, err := wire.ParsePreKeySignalMessage(msg.Body)
		if err != nil {
			t.Fatal(err)
		}
		sm = &pm.Inner
	default:
		m, err := wire.ParseSignalMessage(msg.Body)
		if err != nil {
			t.Fatal(err)
		}
		sm = m
	}
	return messageKey{string(sm.RatchetKey), sm.Counter}
}

// testManyManagers: several session.Managers use one device's stores at
// once, as parts of an app that each make their own Manager do, or several
// processes: through the same handle, and through a second one when
// Device.Reopen is set. Each Manager serializes only its own calls; the
// session.Locker must serialize the rest. No two messages may be encrypted
// with the same message key (ratchet key and counter), every message must
// decrypt, and a message delivered to two Managers at once must decrypt
// once.
//
// A store that is not a session.Locker supports one Manager at a time (and
// must document it): the test is skipped.
func (s *suite) testManyManagers(t *testing.T) {
	const managers, perManager = 4, 2
	burst := 8
	if testing.Short() {
		burst = 4
	}
	ctx := context.Background()
	hub, p := s.device(t, "hub"), s.device(t, "peer")
	if !isLocker(hub.st) {
		t.Skip("storetest: the session store is not a session.Locker, so it supports one session.Manager at a time (its documentation must say so); several Managers are not checked")
	}
	var ms []*session.Manager
	for range managers {
		ms = append(ms, session.NewManager(hub.st))
	}
	if hub.dev.Reopen != nil {
		other := hub.reopen(t).Stores
		ms = append(ms, session.NewManager(other), session.NewManager(other))
	}
	connect(t, hub, p, true, lastResortKEM)

	// encryptAll encrypts from every Manager at once.
	encryptAll := func(phase string) []session.Message {
		t.Helper()
		var (
			mu   sync.Mutex
			msgs []session.Message
			wg   sync.WaitGroup
		)
		errs := make(chan error, len(ms)*perManager)
		for i, m := range ms {
			for g := range perManager {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := range burst {
						msg, err := m.Encrypt(ctx, p.addr(), fmt.Appendf(nil, "%s m%d g%d #%d", phase, i, g, j))
						if err != nil {
							errs <- fmt.Errorf("%s: Manager %d: encrypt: %w", phase, i, err)
							return
						}
						mu.Lock()
						msgs = append(msgs, msg)
						mu.Unlock()
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		seen := make(map[messageKey]int)
		for i, msg := range msgs {
			k := messageKeyOf(t, msg)
			if j, dup := seen[k]; dup {
				t.Fatalf("%s: messages %d and %d of Managers sharing the store use the same message key (counter %d): the session.Locker does not serialize them", phase, j, i, k.counter)
			}
			seen[k] = i
		}
		if len(msgs) != len(ms)*perManager*burst {
			t.Fatalf("%s: %d messages, want %d", phase, len(msgs), len(ms)*perManager*burst)
		}
		return msgs
	}
	decryptAll := func(phase string, msgs []session.Message) {
		t.Helper()
		texts := make(map[string]bool)
		for _, i := range mrand.New(mrand.NewPCG(5, 6)).Perm(len(msgs)) {
			pt, err := p.m.Decrypt(ctx, hub.addr(), msgs[i])
			if err != nil {
				t.Fatalf("%s: %s: decrypt of a message encrypted by Managers sharing the store: %v", phase, p.name, err)
			}
			if texts[string(pt)] {
				t.Fatalf("%s: %q decrypted twice", phase, pt)
			}
			texts[string(pt)] = true
		}
	}

	decryptAll("before the answer", encryptAll("before the answer"))
	recv(t, hub, p, send(t, p, hub, "answer"), "answer")
	decryptAll("after the answer", encryptAll("after the answer"))

	// Every message from p goes to two Managers at once.
	in := make([]session.Message, len(ms)*burst)
	for i := range in {
		in[i] = send(t, p, hub, fmt.Sprint("from p ", i))
	}
	ok := make([]atomic.Int32, len(in))
	errs := make(chan error, 2*len(in))
	var wg sync.WaitGroup
	for i, msg := range in {
		for k := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m := ms[(i+k)%len(ms)]
				pt, err := m.Decrypt(ctx, p.addr(), msg)
				switch {
				case err == nil && string(pt) != fmt.Sprint("from p ", i):
					errs <- fmt.Errorf("message %d decrypted to %q", i, pt)
				case err == nil:
					ok[i].Add(1)
				case !errors.Is(err, session.ErrDuplicateMessage):
					errs <- fmt.Errorf("message %d: %w (want a plaintext, or ErrDuplicateMessage for the second delivery)", i, err)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range ok {
		if n := ok[i].Load(); n != 1 {
			t.Fatalf("message %d, delivered to two Managers at once, decrypted %d times", i, n)
		}
	}
	hub.restart(t)
	exchange(t, hub, p, "after")
}
