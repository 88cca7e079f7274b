package session_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// countingStore counts StoreSession calls, and can make them or the
// commit of a Locker transaction fail.
type countingStore struct {
	*memstore.Store
	stores      int
	failStore   bool
	failCommit  bool
	failLoad    bool
	lockedCalls int
}

var errInjected = errors.New("injected fault")

func (s *countingStore) LoadSession(ctx context.Context, a session.Address) (*session.Record, error) {
	if s.failLoad {
		return nil, errInjected
	}
	return s.Store.LoadSession(ctx, a)
}

func (s *countingStore) StoreSession(ctx context.Context, a session.Address, r *session.Record, c session.Consumed) error {
	s.stores++
	if s.failStore {
		return errInjected
	}
	return s.Store.StoreSession(ctx, a, r, c)
}

func (s *countingStore) LockAddress(ctx context.Context, a session.Address) (context.Context, func(bool) error, error) {
	s.lockedCalls++
	lctx, unlock, err := s.Store.LockAddress(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	return lctx, func(commit bool) error {
		if commit && s.failCommit {
			if err := unlock(false); err != nil {
				return err
			}
			return errInjected
		}
		return unlock(commit)
	}, nil
}

// messageRatchetKey returns the sender ratchet key a message carries, as
// the peer's decryption-error message would name it.
func messageRatchetKey(t *testing.T, msg session.Message) curve.PublicKey {
	t.Helper()
	var raw []byte
	switch msg.Type {
	case session.TypeSignal:
		m, err := wire.ParseSignalMessage(msg.Body)
		if err != nil {
			t.Fatal(err)
		}
		raw = m.RatchetKey
	case session.TypePreKey:
		m, err := wire.ParsePreKeySignalMessage(msg.Body)
		if err != nil {
			t.Fatal(err)
		}
		raw = m.Inner.RatchetKey
	}
	k, err := curve.ParsePublicKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func encodedRecord(t *testing.T, d *device, peer session.Address) []byte {
	t.Helper()
	rec, err := d.store.LoadSession(context.Background(), peer)
	if err != nil {
		t.Fatal(err)
	}
	if rec == nil {
		return nil
	}
	b, err := rec.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withCountingStore gives d a Manager over a countingStore wrapping its
// memstore.
func withCountingStore(d *device) *countingStore {
	cs := &countingStore{Store: d.store}
	d.m = session.NewManager(session.StoresOf(cs))
	return cs
}

// TestArchiveIfCurrent: an error naming the ratchet key of Alice's latest
// message archives her session with Bob, in a PreKey session and after the
// first exchange; the next Encrypt needs a new bundle, and the new session
// works.
func TestArchiveIfCurrent(t *testing.T) {
	ctx := context.Background()
	for _, acknowledged := range []bool{false, true} {
		alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
			t.Fatal(err)
		}
		msg := send(t, alice, bob, "hello")
		recv(t, bob, alice, msg, "hello")
		if acknowledged {
			recv(t, alice, bob, send(t, bob, alice, "hi"), "hi")
			msg = send(t, alice, bob, "lost")
			if msg.Type != session.TypeSignal {
				t.Fatalf("type %v after the exchange", msg.Type)
			}
		}
		cs := withCountingStore(alice)
		archived, err := alice.m.ArchiveIfCurrent(ctx, bob.addr(), messageRatchetKey(t, msg))
		if err != nil || !archived {
			t.Fatalf("acknowledged=%v: ArchiveIfCurrent = %v, %v; want true", acknowledged, archived, err)
		}
		if cs.stores != 1 || cs.lockedCalls != 1 {
			t.Fatalf("%d StoreSession calls, %d locks; want 1, 1", cs.stores, cs.lockedCalls)
		}
		if ok, _ := alice.m.HasSession(ctx, bob.addr()); ok {
			t.Fatal("session still usable after the archive")
		}
		if _, err := alice.m.Encrypt(ctx, bob.addr(), []byte("x")); !errors.Is(err, session.ErrNoSession) {
			t.Fatalf("Encrypt after the archive: %v, want ErrNoSession", err)
		}
		// The same error again (a redelivery) finds no current state.
		if archived, err := alice.m.ArchiveIfCurrent(ctx, bob.addr(), messageRatchetKey(t, msg)); archived || err != nil {
			t.Fatalf("second ArchiveIfCurrent = %v, %v", archived, err)
		}
		if cs.stores != 1 {
			t.Fatalf("the second call wrote (%d writes)", cs.stores)
		}
		// A fresh bundle starts a new session that Bob reads.
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
			t.Fatal(err)
		}
		again := send(t, alice, bob, "resent")
		if again.Type != session.TypePreKey {
			t.Fatalf("resend type %v, want PreKey", again.Type)
		}
		recv(t, bob, alice, again, "resent")
	}
}

// TestArchiveIfCurrentChangesNothing: a ratchet key that is not the
// current sending key (one of an earlier ratchet step, a random one, the
// zero key, Bob's own key), a missing record and a record with archived
// states only leave the record byte-identical and make no write at all.
func TestArchiveIfCurrentChangesNothing(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
		t.Fatal(err)
	}
	first := send(t, alice, bob, "one")
	recv(t, bob, alice, first, "one")
	reply := send(t, bob, alice, "two")
	recv(t, alice, bob, reply, "two")
	current := send(t, alice, bob, "three") // a new ratchet key: first's is stale
	recv(t, bob, alice, current, "three")

	random, err := curve.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	stale := messageRatchetKey(t, first)
	if stale.Equal(messageRatchetKey(t, current)) {
		t.Fatal("test setup: the ratchet key did not change")
	}
	keys := map[string]curve.PublicKey{
		"stale":      stale,
		"random":     random.Public,
		"zero":       {},
		"peer's key": messageRatchetKey(t, reply),
		"identity":   alice.id.PublicKey(),
	}
	cs := withCountingStore(alice)
	before := encodedRecord(t, alice, bob.addr())
	for name, k := range keys {
		archived, err := alice.m.ArchiveIfCurrent(ctx, bob.addr(), k)
		if archived || err != nil {
			t.Errorf("%s key: ArchiveIfCurrent = %v, %v; want false, nil", name, archived, err)
		}
		if after := encodedRecord(t, alice, bob.addr()); !bytes.Equal(before, after) {
			t.Errorf("%s key changed the record", name)
		}
	}
	if cs.stores != 0 {
		t.Fatalf("%d StoreSession calls for non-matching keys", cs.stores)
	}
	// The session still works.
	recv(t, bob, alice, send(t, alice, bob, "four"), "four")

	// No record at all.
	carol := session.Address{Name: "carol", DeviceID: 1}
	if archived, err := alice.m.ArchiveIfCurrent(ctx, carol, random.Public); archived || err != nil {
		t.Fatalf("no record: %v, %v", archived, err)
	}
	if rec, _ := alice.store.LoadSession(ctx, carol); rec != nil {
		t.Fatal("no record: a record was created")
	}

	// Archived states only: even the key of the archived state is not
	// current.
	key := messageRatchetKey(t, send(t, alice, bob, "five"))
	if err := alice.m.ArchiveSession(ctx, bob.addr()); err != nil {
		t.Fatal(err)
	}
	cs.stores = 0
	before = encodedRecord(t, alice, bob.addr())
	if archived, err := alice.m.ArchiveIfCurrent(ctx, bob.addr(), key); archived || err != nil {
		t.Fatalf("archived-only record: %v, %v", archived, err)
	}
	if after := encodedRecord(t, alice, bob.addr()); !bytes.Equal(before, after) || cs.stores != 0 {
		t.Fatalf("archived-only record changed (%d writes)", cs.stores)
	}
}

// TestArchiveIfCurrentFaults: a failing load or store, and a failed
// commit of the Locker transaction, report an error and false, and leave
// the session usable.
func TestArchiveIfCurrentFaults(t *testing.T) {
	ctx := context.Background()
	for _, fault := range []string{"load", "store", "commit"} {
		alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
			t.Fatal(err)
		}
		msg := send(t, alice, bob, "hello")
		cs := withCountingStore(alice)
		before := encodedRecord(t, alice, bob.addr())
		switch fault {
		case "load":
			cs.failLoad = true
		case "store":
			cs.failStore = true
		case "commit":
			cs.failCommit = true
		}
		archived, err := alice.m.ArchiveIfCurrent(ctx, bob.addr(), messageRatchetKey(t, msg))
		if archived || !errors.Is(err, errInjected) {
			t.Fatalf("%s fault: ArchiveIfCurrent = %v, %v", fault, archived, err)
		}
		if after := encodedRecord(t, alice, bob.addr()); !bytes.Equal(before, after) {
			t.Fatalf("%s fault: the record changed", fault)
		}
		cs.failLoad, cs.failStore, cs.failCommit = false, false, false
		recv(t, bob, alice, msg, "hello")
		recv(t, bob, alice, send(t, alice, bob, "still here"), "still here")
	}
}
