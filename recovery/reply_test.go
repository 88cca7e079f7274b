package recovery_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/recovery"
	"github.com/forwardsecret/signal/sealedsender"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

// failure is one failed decrypt: the error, the message and its type.
type failure struct {
	err      error
	body     []byte
	typ      sealedsender.ContentType
	ratchet  bool  // the reply names a ratchet key
	sentinel error // the error ReplyFor's verdict must still match
}

// sessionFailures provokes every kind of session decrypt failure, each on
// a fresh pair, and returns them by name with whether a reply is due.
func sessionFailures(t *testing.T) map[string]struct {
	f     failure
	reply bool
} {
	ctx := context.Background()
	out := map[string]struct {
		f     failure
		reply bool
	}{}
	add := func(name string, reply bool, sentinel error, msg session.Message, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: the decrypt succeeded", name)
		}
		if !errors.Is(err, sentinel) {
			t.Fatalf("%s: the decrypt failed with %v, not %v", name, err, sentinel)
		}
		out[name] = struct {
			f     failure
			reply bool
		}{failure{err, msg.Body, sealedsender.ContentType(msg.Type), true, sentinel}, reply}
	}
	pair := func(bobOpts ...session.Option) (*peer, *peer) {
		alice, bob := newPeer("alice", 1), newPeer("bob", 1, bobOpts...)
		if err := alice.m.ProcessBundle(ctx, bob.addr, bob.bundle()); err != nil {
			t.Fatal(err)
		}
		return alice, bob
	}

	// No session: Bob's store lost it after the first exchange.
	alice, bob := pair()
	decrypt(t, bob, alice, encrypt(t, alice, bob, "a"), "a")
	decrypt(t, alice, bob, encrypt(t, bob, alice, "b"), "b")
	if err := bob.m.DeleteSession(ctx, alice.addr); err != nil {
		t.Fatal(err)
	}
	msg := encrypt(t, alice, bob, "c")
	_, err := bob.m.Decrypt(ctx, alice.addr, msg)
	add("no session", true, session.ErrNoSession, msg, err)

	// A message no state authenticates (here: tampered).
	alice, bob = pair()
	decrypt(t, bob, alice, encrypt(t, alice, bob, "a"), "a")
	decrypt(t, alice, bob, encrypt(t, bob, alice, "b"), "b")
	msg = encrypt(t, alice, bob, "c")
	msg.Body[len(msg.Body)-1] ^= 1
	_, err = bob.m.Decrypt(ctx, alice.addr, msg)
	add("tampered", true, session.ErrInvalidMessage, msg, err)

	// A duplicate.
	msg = encrypt(t, alice, bob, "d")
	decrypt(t, bob, alice, msg, "d")
	_, err = bob.m.Decrypt(ctx, alice.addr, msg)
	add("duplicate", false, session.ErrDuplicateMessage, msg, err)

	// A PreKey message naming a one-time prekey Bob no longer has.
	alice, bob = pair()
	msg = encrypt(t, alice, bob, "a")
	for id := uint32(0); id < 100; id++ {
		bob.store.RemovePreKey(ctx, id)
	}
	_, err = bob.m.Decrypt(ctx, alice.addr, msg)
	add("prekey gone", true, session.ErrInvalidPreKeyID, msg, err)

	// An identity Bob does not trust for Alice.
	alice, bob = pair()
	msg = encrypt(t, alice, bob, "a")
	other, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.store.Trust(ctx, alice.addr, other.PublicKey()); err != nil {
		t.Fatal(err)
	}
	_, err = bob.m.Decrypt(ctx, alice.addr, msg)
	add("untrusted identity", false, session.ErrUntrustedIdentity, msg, err)

	// A v3 PreKey message to a Bob who requires v4.
	alice, bob = newPeer("alice", 1), newPeer("bob", 1, session.WithMinimumVersion(x3dh.V4))
	b := bob.bundle()
	b.KEMPreKey = nil
	if err := alice.m.ProcessBundle(ctx, bob.addr, b); err != nil {
		t.Fatal(err)
	}
	msg = encrypt(t, alice, bob, "a")
	_, err = bob.m.Decrypt(ctx, alice.addr, msg)
	add("minimum version", false, session.ErrMinimumVersion, msg, err)

	// A legacy version byte (and so a message that does not parse for
	// the error either).
	legacy := session.Message{Type: msg.Type, Body: append([]byte{0x22}, msg.Body[1:]...)}
	_, err = bob.m.Decrypt(ctx, alice.addr, legacy)
	add("legacy version", false, session.ErrVersion, legacy, err)

	// Garbage in a SignalMessage: ErrInvalidMessage, but no ratchet key
	// to name.
	garbage := session.Message{Type: session.TypeSignal, Body: []byte{0x44, 1, 2, 3}}
	_, err = bob.m.Decrypt(ctx, alice.addr, garbage)
	add("unparseable", false, session.ErrInvalidMessage, garbage, err)

	// A failing store.
	alice, bob = pair()
	msg = encrypt(t, alice, bob, "a")
	broken := session.NewManager(session.StoresOf(&failingStore{Store: bob.store}))
	_, err = broken.Decrypt(ctx, alice.addr, msg)
	add("store fault", false, errStore, msg, err)
	return out
}

var errStore = errors.New("store fault")

type failingStore struct{ *memstore.Store }

func (f *failingStore) LoadSession(context.Context, session.Address) (*session.Record, error) {
	return nil, errStore
}

// TestReplyForSession: ReplyFor answers the session failures a resend
// repairs, naming the failed message's ratchet key, and refuses the
// others with ErrNoReply, still matching the failure's own error.
func TestReplyForSession(t *testing.T) {
	for name, c := range sessionFailures(t) {
		t.Logf("%s: %v", name, c.f.err)
		checkReply(t, name, c.f, c.reply)
	}
}

func checkReply(t *testing.T, name string, f failure, reply bool) {
	t.Helper()
	pc, err := recovery.ReplyFor(f.err, f.body, f.typ, sent, 7)
	if !reply {
		if pc != nil || !errors.Is(err, recovery.ErrNoReply) || !errors.Is(err, f.sentinel) {
			t.Errorf("%s: %v, %v; want ErrNoReply and %v", name, pc, err, f.sentinel)
		}
		return
	}
	if err != nil {
		t.Errorf("%s (%v): %v", name, f.err, err)
		return
	}
	dem, err := pc.DecryptionErrorMessage()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	want, err := recovery.NewDecryptionErrorMessage(f.body, f.typ, sent, 7)
	if err != nil {
		t.Fatal(err)
	}
	if *dem != *want || dem.HasRatchetKey != f.ratchet {
		t.Errorf("%s: %+v, want %+v", name, dem, want)
	}
}

// TestReplyForSenderKey: the sender-key failures a resend (after a new
// distribution message) repairs are answered without a ratchet key;
// duplicates are not.
func TestReplyForSenderKey(t *testing.T) {
	ctx := context.Background()
	alice := senderkey.Sender{Name: "alice", DeviceID: 1}
	group := senderkey.NewDistributionID()
	sender := senderkey.NewCipher(new(senderkey.MemoryStore))
	dist, err := sender.CreateDistributionMessage(ctx, alice, group)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := sender.Encrypt(ctx, alice, group, []byte("hi all"))
	if err != nil {
		t.Fatal(err)
	}
	bob := senderkey.NewCipher(new(senderkey.MemoryStore))
	_, noKey := bob.Decrypt(ctx, alice, msg)
	if err := bob.ProcessDistributionMessage(ctx, alice, dist); err != nil {
		t.Fatal(err)
	}
	tampered := append([]byte(nil), msg...)
	tampered[len(tampered)-1] ^= 1
	_, badSig := bob.Decrypt(ctx, alice, tampered)
	if _, err := bob.Decrypt(ctx, alice, msg); err != nil {
		t.Fatal(err)
	}
	_, dup := bob.Decrypt(ctx, alice, msg)
	_, garbage := bob.Decrypt(ctx, alice, []byte{0x33, 1})
	for name, c := range map[string]struct {
		err      error
		body     []byte
		sentinel error
		reply    bool
	}{
		"no sender key":     {noKey, msg, senderkey.ErrNoSenderKey, true},
		"invalid signature": {badSig, tampered, senderkey.ErrInvalidSignature, true},
		"garbage":           {garbage, []byte{0x33, 1}, senderkey.ErrInvalidMessage, true},
		"duplicate":         {dup, msg, senderkey.ErrDuplicateMessage, false},
	} {
		if !errors.Is(c.err, c.sentinel) {
			t.Fatalf("%s: the decrypt failed with %v", name, c.err)
		}
		checkReply(t, name, failure{c.err, c.body, sealedsender.TypeSenderKey, false, c.sentinel}, c.reply)
	}
}

// TestReplyForSealed: an InnerError is judged by its inner failure;
// envelope and certificate failures, self-sends, a PlaintextContent and no
// failure at all are not answered.
func TestReplyForSealed(t *testing.T) {
	alice, bob := newPeer("alice", 1), newPeer("bob", 1)
	if err := alice.m.ProcessBundle(context.Background(), bob.addr, bob.bundle()); err != nil {
		t.Fatal(err)
	}
	msg := encrypt(t, alice, bob, "a")
	_, noSession := newPeer("bob", 1).m.Decrypt(context.Background(), alice.addr, msg)
	sender := sealedsender.Sender{UUID: "9d0652a3-dcc3-4d11-975f-74d61598733f", DeviceID: 3, IdentityKey: alice.identity.PublicKey()}
	inner := &sealedsender.InnerError{Sender: sender, Type: sealedsender.TypePreKey, Body: msg.Body, Err: noSession}
	if !errors.Is(noSession, session.ErrInvalidPreKeyID) && !errors.Is(noSession, session.ErrNoSession) && !errors.Is(noSession, session.ErrInvalidMessage) {
		t.Fatalf("a stranger's decrypt: %v", noSession)
	}
	pc, err := recovery.ReplyForInner(inner, sent)
	if err != nil {
		t.Fatal(err)
	}
	dem, _ := pc.DecryptionErrorMessage()
	if dem.DeviceID != 3 || !dem.HasRatchetKey || !dem.Timestamp.Equal(sent) {
		t.Fatalf("%+v", dem)
	}
	// ReplyFor given the InnerError itself judges the inner failure too.
	if _, err := recovery.ReplyFor(fmt.Errorf("app: %w", inner), msg.Body, sealedsender.TypePreKey, sent, 3); err != nil {
		t.Fatalf("wrapped InnerError: %v", err)
	}
	dup := &sealedsender.InnerError{Sender: sender, Type: sealedsender.TypeSignal, Body: msg.Body, Err: fmt.Errorf("x: %w", session.ErrDuplicateMessage)}
	for name, c := range map[string]struct {
		err error
		typ sealedsender.ContentType
	}{
		"inner duplicate":     {dup, sealedsender.TypePreKey},
		"inner nil":           {&sealedsender.InnerError{Sender: sender, Type: sealedsender.TypePreKey}, sealedsender.TypePreKey},
		"invalid envelope":    {fmt.Errorf("%w: bad MAC", sealedsender.ErrInvalidMessage), sealedsender.TypePreKey},
		"unknown version":     {sealedsender.ErrUnknownVersion, sealedsender.TypePreKey},
		"expired certificate": {sealedsender.ErrExpired, sealedsender.TypePreKey},
		"untrusted root":      {sealedsender.ErrUntrustedRoot, sealedsender.TypePreKey},
		"self send":           {sealedsender.ErrSelfSend, sealedsender.TypePreKey},
		"plaintext":           {session.ErrInvalidMessage, sealedsender.TypePlaintext},
		"nothing failed":      {nil, sealedsender.TypePreKey},
		"context":             {context.Canceled, sealedsender.TypePreKey},
		"inner app fault":     {&sealedsender.InnerError{Sender: sender, Type: sealedsender.TypeSenderKey, Err: sealedsender.ErrInvalidArgument}, sealedsender.TypeSenderKey},
	} {
		pc, err := recovery.ReplyFor(c.err, msg.Body, c.typ, sent, 3)
		if pc != nil || !errors.Is(err, recovery.ErrNoReply) || (c.err != nil && !errors.Is(err, c.err)) {
			t.Errorf("%s: %v, %v", name, pc, err)
		}
	}
	if _, err := recovery.ReplyForInner(nil, sent); !errors.Is(err, recovery.ErrInvalidArgument) {
		t.Errorf("nil InnerError: %v", err)
	}
	// A caller's bad timestamp is not a verdict.
	if _, err := recovery.ReplyForInner(inner, sent.AddDate(-100, 0, 0)); !errors.Is(err, recovery.ErrInvalidArgument) || errors.Is(err, recovery.ErrNoReply) {
		t.Errorf("timestamp before 1970: %v", err)
	}
}
