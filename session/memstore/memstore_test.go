package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

// peer is one device over a memstore, with a signed prekey (id 7) and a
// last-resort Kyber1024 prekey (id 9).
type peer struct {
	name string
	id   *curve.IdentityKeyPair
	st   *memstore.Store
	m    *session.Manager
	spk  *x3dh.SignedPreKey
	kem  *x3dh.KEMPreKey
	next uint32
}

func newPeer(t testing.TB, name string) *peer {
	t.Helper()
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{name: name, id: id, st: memstore.New(id, 1000+uint32(len(name))), next: 100}
	if p.spk, err = x3dh.GenerateSignedPreKey(id, 7); err != nil {
		t.Fatal(err)
	}
	p.st.AddSignedPreKey(context.Background(), p.spk)
	if p.kem, err = x3dh.GenerateKEMPreKey(id, 9, x3dh.Kyber1024); err != nil {
		t.Fatal(err)
	}
	p.st.AddLastResortKEMPreKey(context.Background(), p.kem)
	p.m = session.NewManager(session.StoresOf(p.st))
	return p
}

func (p *peer) addr() session.Address { return session.Address{Name: p.name, DeviceID: 1} }

// bundle publishes a bundle with a fresh one-time prekey if oneTime, and
// with a fresh one-time KEM prekey if oneTimeKEM (the last-resort one
// otherwise).
func (p *peer) bundle(t testing.TB, oneTime, oneTimeKEM bool) *x3dh.Bundle {
	t.Helper()
	var otp *x3dh.OneTimePreKeyPublic
	if oneTime {
		p.next++
		k, err := x3dh.GenerateOneTimePreKey(p.next)
		if err != nil {
			t.Fatal(err)
		}
		p.st.AddPreKey(context.Background(), k)
		pub := k.Public()
		otp = &pub
	}
	kp := p.kem.Public()
	if oneTimeKEM {
		p.next++
		k, err := x3dh.GenerateKEMPreKey(p.id, p.next, x3dh.Kyber1024)
		if err != nil {
			t.Fatal(err)
		}
		p.st.AddKEMPreKey(context.Background(), k)
		kp = k.Public()
	}
	regID, _ := p.st.LocalRegistrationID(context.Background())
	b, err := x3dh.NewBundle(regID, 1, p.id.PublicKey(), p.spk.Public(), otp, &kp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// preKeyMessage has from start a session with to and returns its first
// PreKey message.
func preKeyMessage(t *testing.T, from, to *peer, oneTime, oneTimeKEM bool) session.Message {
	t.Helper()
	ctx := context.Background()
	if err := from.m.ProcessBundle(ctx, to.addr(), to.bundle(t, oneTime, oneTimeKEM)); err != nil {
		t.Fatal(err)
	}
	msg, err := from.m.Encrypt(ctx, to.addr(), []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Type != session.TypePreKey {
		t.Fatalf("first message is a %v", msg.Type)
	}
	return msg
}

// TestKEMPreKeyReplay: a PreKey message that used the last-resort KEM
// prekey and no one-time prekey is refused a second time once the record no
// longer holds its base key: after DeleteSession, under another address,
// and after a snapshot round trip.
func TestKEMPreKeyReplay(t *testing.T) {
	ctx := context.Background()
	alice, bob := newPeer(t, "alice"), newPeer(t, "bob")
	msg := preKeyMessage(t, alice, bob, false, false)
	if pt, err := bob.m.Decrypt(ctx, alice.addr(), msg); err != nil || string(pt) != "hello" {
		t.Fatalf("first decrypt: %q, %v", pt, err)
	}
	if err := bob.m.DeleteSession(ctx, alice.addr()); err != nil {
		t.Fatal(err)
	}
	mallory := session.Address{Name: "mallory", DeviceID: 1}
	refused := func(m *session.Manager, st *memstore.Store, addr session.Address, when string) {
		t.Helper()
		pt, err := m.Decrypt(ctx, addr, msg)
		if err == nil {
			t.Fatalf("%s: the replayed PreKey message was accepted (%q)", when, pt)
		}
		if !errors.Is(err, memstore.ErrKEMPreKeyReplay) {
			t.Fatalf("%s: %v, want ErrKEMPreKeyReplay", when, err)
		}
		if st.SessionBytes(addr) != nil {
			t.Fatalf("%s: the refused replay stored a session", when)
		}
		if _, saved, _ := st.Identity(ctx, addr); saved && addr != alice.addr() {
			t.Fatalf("%s: the refused replay saved the sender's identity", when)
		}
	}
	refused(bob.m, bob.st, alice.addr(), "after DeleteSession")
	refused(bob.m, bob.st, mallory, "under another address")
	snap, err := bob.st.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	restored, err := memstore.Unmarshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	refused(session.NewManager(session.StoresOf(restored)), restored, mallory, "after a snapshot round trip")

	// Another handshake with the same last-resort key is no replay.
	carol := newPeer(t, "carol")
	if pt, err := bob.m.Decrypt(ctx, carol.addr(), preKeyMessage(t, carol, bob, false, false)); err != nil || string(pt) != "hello" {
		t.Fatalf("a new handshake with the last-resort KEM prekey: %q, %v", pt, err)
	}
}

// barrier lets n goroutines wait for each other, at most timeout.
type barrier struct {
	mu      sync.Mutex
	n       int
	all     chan struct{}
	timeout time.Duration
}

func newBarrier(n int, timeout time.Duration) *barrier {
	return &barrier{n: n, all: make(chan struct{}), timeout: timeout}
}

// wait returns true when all have arrived, false on timeout.
func (b *barrier) wait() bool {
	b.mu.Lock()
	if b.n--; b.n == 0 {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
		return true
	case <-time.After(b.timeout):
		return false
	}
}

// TestPreKeyConcurrentAddresses: the same PreKey message arrives at once
// under two addresses (a replay racing the original). Both decrypts get as
// far as the app's handler together; only one may commit.
func TestPreKeyConcurrentAddresses(t *testing.T) {
	for _, tc := range []struct {
		name                string
		oneTime, oneTimeKEM bool
	}{
		{"one-time", true, false},
		{"one-time-kem", false, true},
		{"last-resort-kem", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			alice, bob := newPeer(t, "alice"), newPeer(t, "bob")
			msg := preKeyMessage(t, alice, bob, tc.oneTime, tc.oneTimeKEM)
			addrs := []session.Address{alice.addr(), {Name: "mallory", DeviceID: 1}}
			met := newBarrier(len(addrs), 10*time.Second)
			errs := make([]error, len(addrs))
			var wg sync.WaitGroup
			for i, addr := range addrs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = bob.m.DecryptWith(ctx, addr, msg, func([]byte) error {
						if !met.wait() {
							return errors.New("the other decrypt did not reach its handler")
						}
						return nil
					})
				}()
			}
			wg.Wait()
			var ok int
			for i, err := range errs {
				if err == nil {
					ok++
					continue
				}
				if bob.st.SessionBytes(addrs[i]) != nil {
					t.Errorf("the refused decrypt under %v stored a session", addrs[i])
				}
				if _, saved, _ := bob.st.Identity(ctx, addrs[i]); saved {
					t.Errorf("the refused decrypt under %v saved the sender's identity", addrs[i])
				}
			}
			if ok != 1 {
				t.Fatalf("%d of 2 concurrent decrypts of one PreKey message succeeded (errors %v), want 1", ok, errs)
			}
			want := memstore.ErrPreKeyConsumed
			if !tc.oneTime && !tc.oneTimeKEM {
				want = memstore.ErrKEMPreKeyReplay
			}
			for _, err := range errs {
				if err != nil && !errors.Is(err, want) {
					t.Fatalf("the refused decrypt: %v, want %v", err, want)
				}
			}
		})
	}
}

// counterKey is a message key's name: the sender's ratchet key and the
// message counter.
type counterKey struct {
	ratchetKey string
	counter    uint32
}

// keyOf returns the message key name of msg.
func keyOf(t *testing.T, msg session.Message) counterKey {
	t.Helper()
	var sm *wire.ReceivedSignalMessage
	switch msg.Type {
	case session.TypeSignal:
		m, err := wire.ParseSignalMessage(msg.Body)
		if err != nil {
			t.Fatal(err)
		}
		sm = m
	case session.TypePreKey:
		m, err := wire.ParsePreKeySignalMessage(msg.Body)
		if err != nil {
			t.Fatal(err)
		}
		sm = &m.Inner
	default:
		t.Fatalf("message type %v", msg.Type)
	}
	return counterKey{string(sm.RatchetKey), sm.Counter}
}

// TestManyManagers: several Managers over one memstore encrypt to the same
// address at once. The store's lock serializes them: no two messages use
// the same message key, and the peer decrypts every one.
func TestManyManagers(t *testing.T) {
	const managers, workers, burst = 3, 6, 20
	ctx := context.Background()
	alice, bob := newPeer(t, "alice"), newPeer(t, "bob")
	ms := make([]*session.Manager, managers)
	for i := range ms {
		ms[i] = session.NewManager(session.StoresOf(alice.st))
	}
	first := preKeyMessage(t, alice, bob, true, false)
	for phase, name := range []string{"before the answer (PreKey messages)", "after the answer"} {
		if phase == 1 {
			if _, err := bob.m.Decrypt(ctx, alice.addr(), first); err != nil {
				t.Fatal(err)
			}
			reply, err := bob.m.Encrypt(ctx, alice.addr(), []byte("reply"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := alice.m.Decrypt(ctx, bob.addr(), reply); err != nil {
				t.Fatal(err)
			}
		}
		var (
			mu   sync.Mutex
			msgs []session.Message
			wg   sync.WaitGroup
		)
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m := ms[w%managers]
				for i := range burst {
					msg, err := m.Encrypt(ctx, bob.addr(), fmt.Appendf(nil, "p%d w%d-%d", phase, w, i))
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					msgs = append(msgs, msg)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		seen := make(map[counterKey]int)
		for i, msg := range msgs {
			k := keyOf(t, msg)
			if j, dup := seen[k]; dup {
				t.Fatalf("%s: messages %d and %d use the same message key (counter %d): Managers over one store reused a chain step", name, j, i, k.counter)
			}
			seen[k] = i
		}
		for _, msg := range msgs {
			if _, err := bob.m.Decrypt(ctx, alice.addr(), msg); err != nil {
				t.Fatalf("%s: decrypt of a message encrypted concurrently: %v", name, err)
			}
		}
	}
}

// failingStore is a memstore whose StoreSession fails.
type failingStore struct {
	*memstore.Store
}

var errStoreFault = errors.New("memstore_test: injected StoreSession fault")

func (failingStore) StoreSession(context.Context, session.Address, *session.Record, session.Consumed) error {
	return errStoreFault
}

// TestIdentityAndRecordOneWrite: the peer identity and the record of a
// decrypt are one write. When the record cannot be stored, the identity of
// the new peer is not saved either.
func TestIdentityAndRecordOneWrite(t *testing.T) {
	ctx := context.Background()
	alice, bob := newPeer(t, "alice"), newPeer(t, "bob")
	msg := preKeyMessage(t, alice, bob, true, false)
	m := session.NewManager(session.StoresOf(failingStore{bob.st}))
	if _, err := m.Decrypt(ctx, alice.addr(), msg); !errors.Is(err, errStoreFault) {
		t.Fatalf("Decrypt: %v, want the injected fault", err)
	}
	if _, saved, _ := bob.st.Identity(ctx, alice.addr()); saved {
		t.Fatal("a decrypt whose record was not stored saved the sender's identity")
	}
	if pt, err := bob.m.Decrypt(ctx, alice.addr(), msg); err != nil || string(pt) != "hello" {
		t.Fatalf("Decrypt after the fault: %q, %v", pt, err)
	}
}

// records returns n distinct session records (new sessions of p with the
// bundle of to).
func records(t *testing.T, p, to *peer, n int) []*session.Record {
	t.Helper()
	ctx := context.Background()
	b := to.bundle(t, false, false)
	st := memstore.New(p.id, 1)
	m := session.NewManager(session.StoresOf(st))
	recs := make([]*session.Record, n)
	for i := range recs {
		addr := session.Address{Name: "record", DeviceID: uint32(i)}
		bi := *b // the same device's keys, under another device id
		bi.DeviceID = addr.DeviceID
		if err := m.ProcessBundle(ctx, addr, &bi); err != nil {
			t.Fatal(err)
		}
		rec, err := st.LoadSession(ctx, addr)
		if err != nil || rec == nil {
			t.Fatalf("LoadSession: %v, %v", rec, err)
		}
		recs[i] = rec
	}
	return recs
}

func encoded(t *testing.T, rec *session.Record) string {
	t.Helper()
	b, err := rec.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStoreSessionConsumed checks StoreSession's prekey checks directly:
// each failure leaves everything as it was (neither the record nor any
// other consumed key changes).
func TestStoreSessionConsumed(t *testing.T) {
	ctx := context.Background()
	bob := newPeer(t, "bob")
	recs := records(t, newPeer(t, "alice"), bob, 4)
	otk, err := x3dh.GenerateOneTimePreKey(50)
	if err != nil {
		t.Fatal(err)
	}
	bob.st.AddPreKey(ctx, otk)
	kem, err := x3dh.GenerateKEMPreKey(bob.id, 51, x3dh.Kyber1024)
	if err != nil {
		t.Fatal(err)
	}
	bob.st.AddKEMPreKey(ctx, kem)
	base := func() curve.PublicKey {
		k, err := curve.GenerateKeyPair()
		if err != nil {
			t.Fatal(err)
		}
		return k.Public
	}
	a, b := session.Address{Name: "a", DeviceID: 1}, session.Address{Name: "b", DeviceID: 1}
	lastResort := session.Consumed{HasKEMPreKey: true, KEMPreKeyID: 9, SignedPreKeyID: 7, BaseKey: base()}
	if err := bob.st.StoreSession(ctx, a, recs[0], lastResort); err != nil {
		t.Fatal(err)
	}
	oneTimes := session.Consumed{HasPreKey: true, PreKeyID: 50, HasKEMPreKey: true, KEMPreKeyID: 51, SignedPreKeyID: 7, BaseKey: base()}
	for _, tc := range []struct {
		name string
		c    session.Consumed
		want error
	}{
		{"replayed last-resort use", lastResort, memstore.ErrKEMPreKeyReplay},
		{"replay with a one-time prekey", session.Consumed{HasPreKey: true, PreKeyID: 50, HasKEMPreKey: true, KEMPreKeyID: 9, SignedPreKeyID: 7, BaseKey: lastResort.BaseKey}, memstore.ErrKEMPreKeyReplay},
		{"missing prekey", session.Consumed{HasPreKey: true, PreKeyID: 49, HasKEMPreKey: true, KEMPreKeyID: 51}, memstore.ErrPreKeyConsumed},
		{"missing KEM prekey", session.Consumed{HasPreKey: true, PreKeyID: 50, HasKEMPreKey: true, KEMPreKeyID: 52}, memstore.ErrPreKeyConsumed},
	} {
		if err := bob.st.StoreSession(ctx, b, recs[1], tc.c); !errors.Is(err, tc.want) {
			t.Fatalf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if bob.st.SessionBytes(b) != nil || !bob.st.HasPreKey(50) {
			t.Fatalf("%s: the refused StoreSession changed the store", tc.name)
		}
		if _, err := bob.st.LoadKEMPreKey(ctx, 51); err != nil {
			t.Fatalf("%s: the refused StoreSession consumed the one-time KEM prekey", tc.name)
		}
	}
	if err := bob.st.StoreSession(ctx, b, recs[1], oneTimes); err != nil {
		t.Fatal(err)
	}
	if bob.st.HasPreKey(50) {
		t.Fatal("the one-time prekey is still there")
	}
	if err := bob.st.StoreSession(ctx, b, recs[2], oneTimes); !errors.Is(err, memstore.ErrPreKeyConsumed) {
		t.Fatalf("second consumption of one-time keys: %v, want ErrPreKeyConsumed", err)
	}
	if got := string(bob.st.SessionBytes(b)); got != encoded(t, recs[1]) {
		t.Fatal("a refused StoreSession replaced the record")
	}
	// Another base key or signed prekey id is another use.
	for _, c := range []session.Consumed{
		{HasKEMPreKey: true, KEMPreKeyID: 9, SignedPreKeyID: 7, BaseKey: base()},
		{HasKEMPreKey: true, KEMPreKeyID: 9, SignedPreKeyID: 8, BaseKey: lastResort.BaseKey},
	} {
		if err := bob.st.StoreSession(ctx, b, recs[3], c); err != nil {
			t.Fatalf("a new use of the last-resort KEM prekey: %v", err)
		}
	}
	// The uses survive a snapshot; replacing the key forgets them.
	snap, err := bob.st.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	restored, err := memstore.Unmarshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	if err := restored.StoreSession(ctx, b, recs[3], lastResort); !errors.Is(err, memstore.ErrKEMPreKeyReplay) {
		t.Fatalf("a replay after a snapshot round trip: %v, want ErrKEMPreKeyReplay", err)
	}
	restored.AddLastResortKEMPreKey(ctx, bob.kem)
	if err := restored.StoreSession(ctx, b, recs[3], lastResort); err != nil {
		t.Fatalf("the same use of a replaced KEM prekey: %v", err)
	}
}

// TestLockerTransaction: the writes made with the context of LockAddress
// are seen by its reads, by no one else until unlock(true), and never after
// unlock(false).
func TestLockerTransaction(t *testing.T) {
	ctx := context.Background()
	bob := newPeer(t, "bob")
	recs := records(t, newPeer(t, "alice"), bob, 2)
	otk, err := x3dh.GenerateOneTimePreKey(50)
	if err != nil {
		t.Fatal(err)
	}
	bob.st.AddPreKey(ctx, otk)
	idKey, err := curve.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	a := session.Address{Name: "a", DeviceID: 1}
	c := session.Consumed{HasPreKey: true, PreKeyID: 50}
	for _, commit := range []bool{false, true} {
		lctx, unlock, err := bob.st.LockAddress(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if err := bob.st.SaveIdentity(lctx, a, idKey.Public); err != nil {
			t.Fatal(err)
		}
		if err := bob.st.StoreSession(lctx, a, recs[0], c); err != nil {
			t.Fatal(err)
		}
		// Inside: the staged writes.
		if rec, err := bob.st.LoadSession(lctx, a); err != nil || rec == nil || encoded(t, rec) != encoded(t, recs[0]) {
			t.Fatalf("LoadSession in the transaction does not see its write: %v", err)
		}
		if _, err := bob.st.LoadPreKey(lctx, 50); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("LoadPreKey in the transaction of a key it consumed: %v, want ErrNotFound", err)
		}
		if ok, _ := bob.st.IsTrustedIdentity(lctx, a, bob.id.PublicKey(), session.Receiving); ok {
			t.Fatal("IsTrustedIdentity in the transaction does not see its SaveIdentity")
		}
		if err := bob.st.StoreSession(lctx, a, recs[1], c); !errors.Is(err, memstore.ErrPreKeyConsumed) {
			t.Fatalf("consuming a key twice in one transaction: %v, want ErrPreKeyConsumed", err)
		}
		// Outside: nothing yet.
		if rec, err := bob.st.LoadSession(ctx, a); rec != nil || err != nil {
			t.Fatalf("LoadSession outside the transaction sees its write: %v, %v", rec, err)
		}
		if _, err := bob.st.LoadPreKey(ctx, 50); err != nil {
			t.Fatalf("LoadPreKey outside the transaction: %v", err)
		}
		if _, saved, _ := bob.st.Identity(ctx, a); saved {
			t.Fatal("the identity is saved before the commit")
		}
		if err := unlock(commit); err != nil {
			t.Fatalf("unlock(%v): %v", commit, err)
		}
		if err := unlock(!commit); err != nil {
			t.Fatalf("a second unlock: %v", err)
		}
		_, saved, _ := bob.st.Identity(ctx, a)
		if got := bob.st.SessionBytes(a) != nil; got != commit || saved != commit || bob.st.HasPreKey(50) == commit {
			t.Fatalf("after unlock(%v): record stored %v, identity saved %v, prekey present %v", commit, got, saved, bob.st.HasPreKey(50))
		}
		// A context whose transaction ended writes directly.
		if err := bob.st.DeleteSession(lctx, a); err != nil {
			t.Fatal(err)
		}
		if bob.st.SessionBytes(a) != nil {
			t.Fatal("DeleteSession with an ended transaction's context did nothing")
		}
	}
	if bob.st.Locks() != 0 {
		t.Fatalf("%d address locks left", bob.st.Locks())
	}
}

// TestLockerClaims: two transactions on different addresses consume the
// same prekeys. The first to stage its StoreSession takes them until it
// ends: the other's StoreSession fails at once (so does a write without a
// transaction), and succeeds once the first has rolled back. A nested
// unlock(false) gives back what it took.
func TestLockerClaims(t *testing.T) {
	ctx := context.Background()
	bob := newPeer(t, "bob")
	recs := records(t, newPeer(t, "alice"), bob, 2)
	otk, err := x3dh.GenerateOneTimePreKey(50)
	if err != nil {
		t.Fatal(err)
	}
	bob.st.AddPreKey(ctx, otk)
	base, err := curve.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	oneTime := session.Consumed{HasPreKey: true, PreKeyID: 50}
	lastResort := session.Consumed{HasKEMPreKey: true, KEMPreKeyID: 9, SignedPreKeyID: 7, BaseKey: base.Public}
	a, b := session.Address{Name: "a", DeviceID: 1}, session.Address{Name: "b", DeviceID: 1}
	actx, aunlock, err := bob.st.LockAddress(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []session.Consumed{oneTime, lastResort} {
		if err := bob.st.StoreSession(actx, a, recs[0], c); err != nil {
			t.Fatal(err)
		}
	}
	bctx, bunlock, err := bob.st.LockAddress(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	refused := func(when string) {
		t.Helper()
		for _, tc := range []struct {
			c    session.Consumed
			want error
		}{{oneTime, memstore.ErrPreKeyConsumed}, {lastResort, memstore.ErrKEMPreKeyReplay}} {
			for _, c := range []context.Context{bctx, ctx} {
				if err := bob.st.StoreSession(c, b, recs[1], tc.c); !errors.Is(err, tc.want) {
					t.Fatalf("%s: StoreSession of what another transaction consumes: %v, want %v", when, err, tc.want)
				}
			}
		}
	}
	refused("while the first transaction is open")
	if bob.st.SessionBytes(b) != nil {
		t.Fatal("a refused StoreSession stored its record")
	}
	// A nested lock that takes nothing more and rolls back changes nothing.
	nctx, nunlock, err := bob.st.LockAddress(actx, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.st.DeleteSession(nctx, a); err != nil {
		t.Fatal(err)
	}
	if err := nunlock(false); err != nil {
		t.Fatal(err)
	}
	refused("after a nested rollback")
	if err := aunlock(false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []session.Consumed{oneTime, lastResort} {
		if err := bob.st.StoreSession(bctx, b, recs[1], c); err != nil {
			t.Fatalf("StoreSession after the first transaction rolled back: %v", err)
		}
	}
	if err := bunlock(true); err != nil {
		t.Fatal(err)
	}
	if bob.st.HasPreKey(50) || bob.st.SessionBytes(b) == nil {
		t.Fatal("the second transaction did not commit")
	}

	// What a nested lock takes, its unlock(false) gives back.
	otk2, err := x3dh.GenerateOneTimePreKey(60)
	if err != nil {
		t.Fatal(err)
	}
	bob.st.AddPreKey(ctx, otk2)
	octx, ounlock, err := bob.st.LockAddress(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	nctx, nunlock, err = bob.st.LockAddress(octx, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.st.StoreSession(nctx, a, recs[0], session.Consumed{HasPreKey: true, PreKeyID: 60}); err != nil {
		t.Fatal(err)
	}
	if err := nunlock(false); err != nil {
		t.Fatal(err)
	}
	if err := bob.st.StoreSession(ctx, b, recs[1], session.Consumed{HasPreKey: true, PreKeyID: 60}); err != nil {
		t.Fatalf("StoreSession of a prekey a nested rollback gave back: %v", err)
	}
	if err := ounlock(true); err != nil {
		t.Fatal(err)
	}
	if bob.st.Locks() != 0 || bob.st.Claims() != 0 {
		t.Fatalf("%d address locks and %d claims left", bob.st.Locks(), bob.st.Claims())
	}
}

// TestLockerNested: LockAddress with a context that holds the lock of one
// address locks the other address too (until the outer unlock), joins the
// outer transaction, and its unlock(false) undoes only its own writes.
func TestLockerNested(t *testing.T) {
	ctx := context.Background()
	bob := newPeer(t, "bob")
	recs := records(t, newPeer(t, "alice"), bob, 2)
	a, b := session.Address{Name: "a", DeviceID: 1}, session.Address{Name: "b", DeviceID: 1}
	octx, ounlock, err := bob.st.LockAddress(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.st.StoreSession(octx, a, recs[0], session.Consumed{}); err != nil {
		t.Fatal(err)
	}
	// The same address again: no deadlock.
	sctx, sunlock, err := bob.st.LockAddress(octx, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.st.DeleteSession(sctx, a); err != nil {
		t.Fatal(err)
	}
	if err := sunlock(false); err != nil {
		t.Fatal(err)
	}
	if rec, _ := bob.st.LoadSession(octx, a); rec == nil {
		t.Fatal("a nested unlock(false) did not undo its DeleteSession")
	}

	nctx, nunlock, err := bob.st.LockAddress(octx, b)
	if err != nil {
		t.Fatal(err)
	}
	// Another transaction waits for b.
	locked := make(chan func(bool) error, 1)
	go func() {
		_, unlock, err := bob.st.LockAddress(ctx, b)
		if err != nil {
			unlock = func(bool) error { return err }
		}
		locked <- unlock
	}()
	select {
	case <-locked:
		t.Fatal("a nested LockAddress did not lock its address")
	case <-time.After(50 * time.Millisecond):
	}
	if err := bob.st.StoreSession(nctx, b, recs[1], session.Consumed{}); err != nil {
		t.Fatal(err)
	}
	if err := nunlock(true); err != nil {
		t.Fatal(err)
	}
	select {
	case <-locked:
		t.Fatal("a nested unlock released its address before the outer transaction ended")
	case <-time.After(50 * time.Millisecond):
	}
	if bob.st.SessionBytes(b) != nil {
		t.Fatal("a nested unlock(true) committed before the outer transaction")
	}
	if err := ounlock(true); err != nil {
		t.Fatal(err)
	}
	unlock := <-locked
	if bob.st.SessionBytes(a) == nil || bob.st.SessionBytes(b) == nil {
		t.Fatal("the outer commit did not apply the writes of the nested lock")
	}
	if err := unlock(false); err != nil {
		t.Fatal(err)
	}
	if bob.st.Locks() != 0 {
		t.Fatalf("%d address locks left", bob.st.Locks())
	}
}

// TestLockerContext: LockAddress gives up when its context ends.
func TestLockerContext(t *testing.T) {
	ctx := context.Background()
	st := newPeer(t, "bob").st
	a := session.Address{Name: "a", DeviceID: 1}
	_, unlock, err := st.LockAddress(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, _, err := st.LockAddress(tctx, a); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("LockAddress of a locked address with an ending context: %v, want DeadlineExceeded", err)
	}
	if _, _, err := st.LockAddress(tctx, session.Address{Name: "b", DeviceID: 1}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("LockAddress with an ended context: %v, want DeadlineExceeded", err)
	}
	if err := unlock(true); err != nil {
		t.Fatal(err)
	}
	if st.Locks() != 0 {
		t.Fatalf("%d address locks left", st.Locks())
	}
}
