package recovery_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/recovery"
	"github.com/forwardsecret/signal/sealedsender"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
)

// account is a peer with a sealed-sender Cipher and a sender certificate.
type account struct {
	*peer
	groups *senderkey.Cipher
	c      *sealedsender.Cipher
	cert   *sealedsender.SenderCertificate
}

var (
	ssNow = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	// envelopeTime is what the service stamps on an envelope.
	envelopeTime = ssNow.Add(-time.Minute)
)

// sealedPair makes Alice and Bob under one trust root, with a session
// from Alice to Bob that both have used.
func sealedPair(t *testing.T) (alice, bob *account) {
	t.Helper()
	alice, bob = newSealedAccounts()
	if err := alice.m.ProcessBundle(context.Background(), bob.addr, bob.bundle()); err != nil {
		t.Fatal(err)
	}
	sealedExchange(t, alice, bob, "hello")
	sealedExchange(t, bob, alice, "hi")
	return alice, bob
}

// newSealedAccounts makes Alice and Bob with sender certificates from one
// server, under one trust root.
func newSealedAccounts() (alice, bob *account) {
	root, err := curve.GenerateIdentityKeyPair()
	check(err)
	serverKey, err := curve.GenerateIdentityKeyPair()
	check(err)
	server, err := sealedsender.NewServerCertificate(1, serverKey.PublicKey(), root)
	check(err)
	mk := func(uuid string) *account {
		a := &account{peer: newPeer(uuid, 1), groups: senderkey.NewCipher(new(senderkey.MemoryStore))}
		a.c, err = sealedsender.NewCipher(sealedsender.Config{
			Sessions: a.m, Identity: a.store, Groups: a.groups,
			TrustRoots: []curve.PublicKey{root.PublicKey()},
			Local:      sealedsender.LocalAddress{UUID: uuid, DeviceID: 1},
			Now:        func() time.Time { return ssNow },
		})
		check(err)
		a.cert, err = sealedsender.NewSenderCertificate(sealedsender.Sender{
			UUID: uuid, DeviceID: 1, IdentityKey: a.identity.PublicKey(), Expires: ssNow.Add(time.Hour),
		}, server, serverKey)
		check(err)
		return a
	}
	return mk("aaaaaaaa-0000-4000-8000-000000000001"), mk("bbbbbbbb-0000-4000-8000-000000000002")
}

func sealedExchange(t *testing.T, from, to *account, text string) {
	t.Helper()
	env, err := from.c.Encrypt(context.Background(), to.addr, from.cert, []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := to.c.Decrypt(context.Background(), env)
	if err != nil || string(res.Plaintext) != text {
		t.Fatalf("%q, %v; want %q", res.Plaintext, err, text)
	}
}

// answer is the receiver's side: the envelope failed with an InnerError,
// and the app seals the decryption-error message for its sender.
func answer(t *testing.T, to *account, failure error) (reply []byte, failed *sealedsender.InnerError) {
	t.Helper()
	if !errors.As(failure, &failed) {
		t.Fatalf("not an InnerError: %v", failure)
	}
	pc, err := recovery.ReplyForInner(failed, envelopeTime)
	if err != nil {
		t.Fatal(err)
	}
	reply, err = recovery.SealReply(pc, failed, to.cert, to.identity)
	if err != nil {
		t.Fatal(err)
	}
	return reply, failed
}

// TestSealedRecovery: the whole repair through sealed sender. Bob lost his
// session; Alice's sealed message fails inside (an InnerError); Bob seals
// the decryption-error message without a session (for the identity key of
// Alice's certificate); Alice's Cipher returns it as content type 8; she
// handles it, starts over from a fresh bundle and resends; Bob reads it.
func TestSealedRecovery(t *testing.T) {
	ctx := context.Background()
	alice, bob := sealedPair(t)
	if err := bob.m.DeleteSession(ctx, alice.addr); err != nil {
		t.Fatal(err)
	}
	env, err := alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte("lunch?"), &sealedsender.Options{Hint: sealedsender.HintResendable})
	if err != nil {
		t.Fatal(err)
	}
	_, failure := bob.c.Decrypt(ctx, env)
	if !errors.Is(failure, session.ErrNoSession) {
		t.Fatalf("Bob's decrypt: %v", failure)
	}
	reply, failed := answer(t, bob, failure)
	if failed.Hint != sealedsender.HintResendable {
		t.Fatalf("hint %v", failed.Hint)
	}

	res, err := alice.c.Decrypt(ctx, reply)
	if err != nil {
		t.Fatal(err)
	}
	if res.Type != sealedsender.TypePlaintext || res.Hint != sealedsender.HintImplicit || res.Address() != bob.addr {
		t.Fatalf("result type %v hint %v from %v", res.Type, res.Hint, res.Address())
	}
	dem, err := recovery.Received(res.Type, res.Plaintext)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := recovery.Handle(ctx, alice.m, res.Address(), alice.addr.DeviceID, dem)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Ours || !resp.Archived || resp.SenderKey || !resp.Timestamp.Equal(envelopeTime) {
		t.Fatalf("%+v", resp)
	}
	if err := alice.m.ProcessBundle(ctx, bob.addr, bob.bundle()); err != nil {
		t.Fatal(err)
	}
	sealedExchange(t, alice, bob, "lunch?")
	sealedExchange(t, bob, alice, "yes")
}

// TestSealedRecoverySenderKey: a group message Bob cannot decrypt (he never
// got Alice's sender key) is answered without a ratchet key; Alice archives
// nothing, sends her distribution message over the session and resends.
func TestSealedRecoverySenderKey(t *testing.T) {
	ctx := context.Background()
	alice, bob := sealedPair(t)
	self := senderkey.Sender{Name: alice.addr.Name, DeviceID: 1}
	group := senderkey.NewDistributionID()
	dist, err := alice.groups.CreateDistributionMessage(ctx, self, group)
	if err != nil {
		t.Fatal(err)
	}
	groupMessage := func() []byte {
		sent, err := alice.c.EncryptGroup(ctx, self, group, []session.Address{bob.addr}, nil, alice.cert, []byte("hi group"), &sealedsender.Options{GroupID: []byte("g1")})
		if err != nil {
			t.Fatal(err)
		}
		split, err := sealedsender.ParseSentMessage(sent)
		if err != nil {
			t.Fatal(err)
		}
		return split.MessageFor(&split.Recipients[0])
	}
	_, failure := bob.c.Decrypt(ctx, groupMessage())
	if !errors.Is(failure, senderkey.ErrNoSenderKey) {
		t.Fatalf("Bob's decrypt: %v", failure)
	}
	reply, failed := answer(t, bob, failure)
	if failed.Type != sealedsender.TypeSenderKey || string(failed.GroupID) != "g1" {
		t.Fatalf("%+v", failed)
	}

	res, err := alice.c.Decrypt(ctx, reply)
	if err != nil {
		t.Fatal(err)
	}
	if string(res.GroupID) != "g1" {
		t.Fatalf("the reply names group %q", res.GroupID)
	}
	dem, err := recovery.Received(res.Type, res.Plaintext)
	if err != nil {
		t.Fatal(err)
	}
	before := record(t, alice.peer, bob.addr)
	resp, err := recovery.Handle(ctx, alice.m, res.Address(), 1, dem)
	if err != nil || !resp.Ours || resp.Archived || !resp.SenderKey {
		t.Fatalf("%+v, %v", resp, err)
	}
	if !bytes.Equal(before, record(t, alice.peer, bob.addr)) {
		t.Fatal("a sender-key error changed the session")
	}
	// The distribution message over the pairwise session, then the resend.
	env, err := alice.c.Encrypt(ctx, bob.addr, alice.cert, dist.Bytes(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := bob.c.Decrypt(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	received, err := senderkey.ParseDistributionMessage(got.Plaintext)
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.groups.ProcessDistributionMessage(ctx, senderkey.Sender(got.Address()), received); err != nil {
		t.Fatal(err)
	}
	res, err = bob.c.Decrypt(ctx, groupMessage())
	if err != nil || string(res.Plaintext) != "hi group" {
		t.Fatalf("%v, %v", res, err)
	}
}

// TestSealReplyArguments: SealReply needs all its parts.
func TestSealReplyArguments(t *testing.T) {
	pc, _ := recovery.NewPlaintextContent(&recovery.DecryptionErrorMessage{Timestamp: sent, DeviceID: 1})
	if _, err := recovery.SealReply(pc, nil, nil, nil); !errors.Is(err, recovery.ErrInvalidArgument) {
		t.Fatal(err)
	}
}
