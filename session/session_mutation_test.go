package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/session"
)

// Tests added for mutants that survived the suite (docs/mutation.md).

// heldBackOnOldSessions runs three sessions from alice to bob (each a new
// handshake, with one reply so that alice sends whisper messages) and
// returns, per session, a message alice sent on it that bob has not
// received. Bob's record then holds session 3 as current and 2 and 1
// archived, newest first.
func heldBackOnOldSessions(t *testing.T) (alice, bob *device, held []session.Message) {
	t.Helper()
	ctx := context.Background()
	alice, bob = newDevice(t, "alice"), newDevice(t, "bob")
	for i := range 3 {
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
			t.Fatal(err)
		}
		recv(t, bob, alice, send(t, alice, bob, fmt.Sprint("hello ", i)), fmt.Sprint("hello ", i))
		recv(t, alice, bob, send(t, bob, alice, fmt.Sprint("reply ", i)), fmt.Sprint("reply ", i))
		m := send(t, alice, bob, fmt.Sprint("held ", i))
		if m.Type != session.TypeSignal {
			t.Fatalf("session %d: alice sends %v after a reply", i, m.Type)
		}
		held = append(held, m)
	}
	return alice, bob, held
}

// TestDecryptOnOlderArchivedState: a message of the oldest archived
// session decrypts although a newer archived session (which does not know
// its ratchet key) comes first in the record.
func TestDecryptOnOlderArchivedState(t *testing.T) {
	alice, bob, held := heldBackOnOldSessions(t)
	recv(t, bob, alice, held[0], "held 0")
	recv(t, bob, alice, held[1], "held 1")
	recv(t, bob, alice, held[2], "held 2")
}

// TestDecryptSkipsUnreadableArchivedState: an archived state that does not
// parse cannot decrypt anything, and does not stop the others from trying.
func TestDecryptSkipsUnreadableArchivedState(t *testing.T) {
	alice, bob, held := heldBackOnOldSessions(t)
	wr, err := wire.ParseRecord(bob.store.SessionBytes(alice.addr()))
	if err != nil {
		t.Fatal(err)
	}
	if len(wr.Previous) != 2 {
		t.Fatalf("%d archived states, want 2", len(wr.Previous))
	}
	wr.Previous[0] = []byte{0xff, 0xff, 0xff} // session 2, unreadable
	storeRecord(t, bob, alice.addr(), wr.Append(nil))
	recv(t, bob, alice, held[0], "held 0")
	if _, err := bob.m.Decrypt(context.Background(), alice.addr(), held[1]); err == nil {
		t.Fatal("a message of the unreadable session decrypted")
	}
	recv(t, bob, alice, held[2], "held 2")
}

// TestNewManagerNeedsEveryStore: NewManager panics when any one store is
// missing.
func TestNewManagerNeedsEveryStore(t *testing.T) {
	d := newDevice(t, "d")
	for i, drop := range []func(s *session.Stores){
		func(s *session.Stores) { s.Identity = nil },
		func(s *session.Stores) { s.PreKeys = nil },
		func(s *session.Stores) { s.SignedPreKeys = nil },
		func(s *session.Stores) { s.KEMPreKeys = nil },
		func(s *session.Stores) { s.Sessions = nil },
	} {
		s := session.StoresOf(d.store)
		drop(&s)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("store %d missing: no panic", i)
				}
			}()
			session.NewManager(s)
		}()
	}
}

func TestFanOutErrorWithoutDetails(t *testing.T) {
	e := &session.FanOutError{Failed: 0, Total: 2}
	if got, want := e.Error(), "session: encrypt failed for 0 of 2 addresses"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

func TestRecordString(t *testing.T) {
	alice, bob, _ := heldBackOnOldSessions(t)
	rec, err := bob.store.LoadSession(context.Background(), alice.addr())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(*rec), "session.Record{current: v4, archived: 2}"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	if got, want := fmt.Sprint(session.Record{}), "session.Record{current: none, archived: 0}"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// TestDecryptErrorWrappedOnce: a failed decrypt says "invalid message"
// once, however many states were tried.
func TestDecryptErrorWrappedOnce(t *testing.T) {
	alice, bob, held := heldBackOnOldSessions(t)
	bad := held[2]
	bad.Body = append([]byte(nil), bad.Body...)
	bad.Body[len(bad.Body)-1] ^= 1 // the MAC
	_, err := bob.m.Decrypt(context.Background(), alice.addr(), bad)
	if !errors.Is(err, session.ErrInvalidMessage) {
		t.Fatalf("err = %v, want ErrInvalidMessage", err)
	}
	if n := strings.Count(err.Error(), session.ErrInvalidMessage.Error()); n != 1 {
		t.Errorf("%q says %q %d times", err, session.ErrInvalidMessage, n)
	}
}

// TestPreKeyMessageOfArchivedSession: a PreKey message of a session that a
// newer handshake archived decrypts on that session (its one-time prekey
// is gone), and makes it current again.
func TestPreKeyMessageOfArchivedSession(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
		t.Fatal(err)
	}
	p1a, p1b := send(t, alice, bob, "1a"), send(t, alice, bob, "1b")
	recv(t, bob, alice, p1a, "1a")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
		t.Fatal(err)
	}
	recv(t, bob, alice, send(t, alice, bob, "2"), "2")
	keysBefore := baseKeys(t, bob, alice)
	recv(t, bob, alice, p1b, "1b")
	keys := baseKeys(t, bob, alice)
	if len(keys) != 2 || !bytes.Equal(keys[0], keysBefore[1]) || !bytes.Equal(keys[1], keysBefore[0]) {
		t.Fatal("the archived session was not made current")
	}
}

func baseKeys(t *testing.T, d, peer *device) [][]byte {
	t.Helper()
	rec, err := d.store.LoadSession(context.Background(), peer.addr())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := session.RecordBaseKeys(rec)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestStaleSessionBoundary: a session whose first message is unanswered
// may send for exactly MaxUnacknowledgedSessionAge, not a second more.
func TestStaleSessionBoundary(t *testing.T) {
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	now := t0
	alice := newDevice(t, "alice", session.WithClock(func() time.Time { return now }))
	bob := newDevice(t, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(session.MaxUnacknowledgedSessionAge)
	if _, err := alice.m.Encrypt(ctx, bob.addr(), []byte("just in time")); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	now = now.Add(time.Second)
	if _, err := alice.m.Encrypt(ctx, bob.addr(), []byte("too late")); !errors.Is(err, session.ErrStaleSession) {
		t.Fatalf("a second past the limit: %v, want ErrStaleSession", err)
	}
}

func TestRecordUnmarshalGarbage(t *testing.T) {
	alice, bob, _ := heldBackOnOldSessions(t)
	rec, err := bob.store.LoadSession(context.Background(), alice.addr())
	if err != nil {
		t.Fatal(err)
	}
	before := fmt.Sprint(*rec)
	if err := rec.UnmarshalBinary([]byte{0xff, 0xff}); err == nil {
		t.Fatal("garbage accepted")
	}
	if after := fmt.Sprint(*rec); after != before {
		t.Fatalf("record changed on error: %s -> %s", before, after)
	}
}

// TestPreKeyMessagePastUnreadableArchivedState: looking for the archived
// session of a PreKey message steps over an archived state that does not
// parse.
func TestPreKeyMessagePastUnreadableArchivedState(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
		t.Fatal(err)
	}
	p1a, p1b := send(t, alice, bob, "1a"), send(t, alice, bob, "1b")
	recv(t, bob, alice, p1a, "1a")
	for i := range 2 {
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
			t.Fatal(err)
		}
		recv(t, bob, alice, send(t, alice, bob, fmt.Sprint(i)), fmt.Sprint(i))
	}
	wr := bobRecord(t, bob, alice)
	if len(wr.Previous) != 2 {
		t.Fatalf("%d archived states, want 2", len(wr.Previous))
	}
	wr.Previous[0] = []byte{0xff, 0xff, 0xff}
	storeRecord(t, bob, alice.addr(), wr.Append(nil))
	recv(t, bob, alice, p1b, "1b")
}

func bobRecord(t *testing.T, bob, alice *device) *wire.Record {
	t.Helper()
	wr, err := wire.ParseRecord(bob.store.SessionBytes(alice.addr()))
	if err != nil {
		t.Fatal(err)
	}
	return wr
}

// TestRecordStoredKeyShapes: a stored message key is a 32-byte seed or
// whole keys of 32, 32 and 16 bytes; anything else, and a receiving chain
// without its chain key, makes the record invalid.
func TestRecordStoredKeyShapes(t *testing.T) {
	alice, bob, _ := heldBackOnOldSessions(t)
	base := bobRecord(t, bob, alice)
	if len(base.Current.ReceiverChains) == 0 {
		t.Fatal("no receiving chain")
	}
	whole := func(c, m, iv int) wire.MessageKey {
		return wire.MessageKey{Index: 0, CipherKey: make([]byte, c), MACKey: make([]byte, m), IV: make([]byte, iv)}
	}
	parse := func(edit func(c *wire.Chain)) error {
		wr := bobRecord(t, bob, alice)
		c := &wr.Current.ReceiverChains[len(wr.Current.ReceiverChains)-1]
		c.ChainKey.Index = 5
		edit(c)
		_, err := session.ParseRecord(wr.Append(nil))
		return err
	}
	if err := parse(func(c *wire.Chain) { c.MessageKeys = []wire.MessageKey{whole(32, 32, 16)} }); err != nil {
		t.Fatalf("whole keys: %v", err)
	}
	for name, mk := range map[string]wire.MessageKey{
		"short cipher key": whole(31, 32, 16),
		"short MAC key":    whole(32, 31, 16),
		"short IV":         whole(32, 32, 15),
		"nothing":          {Index: 0},
	} {
		if err := parse(func(c *wire.Chain) { c.MessageKeys = []wire.MessageKey{mk} }); !errors.Is(err, session.ErrInvalidRecord) {
			t.Errorf("%s: err = %v, want ErrInvalidRecord", name, err)
		}
	}
	if err := parse(func(c *wire.Chain) { c.ChainKey = nil }); !errors.Is(err, session.ErrInvalidRecord) {
		t.Errorf("no chain key: err = %v, want ErrInvalidRecord", err)
	}
	if err := parse(func(c *wire.Chain) { c.ChainKey.Key = c.ChainKey.Key[:31] }); !errors.Is(err, session.ErrInvalidRecord) {
		t.Errorf("short chain key: err = %v, want ErrInvalidRecord", err)
	}
}
