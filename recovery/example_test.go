package recovery_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/forwardsecret/signal/recovery"
	"github.com/forwardsecret/signal/sealedsender"
	"github.com/forwardsecret/signal/session"
)

// Bob restores his phone from a backup that has no session with Alice.
// Alice's next message fails on his side; he answers with a
// decryption-error message; Alice archives the broken session, starts a
// new one from a fresh bundle and resends; Bob reads it.
func Example_recovery() {
	ctx := context.Background()
	alice, bob := newPeer("alice", 1), newPeer("bob", 1)
	if err := alice.m.ProcessBundle(ctx, bob.addr, bob.bundle()); err != nil {
		log.Fatal(err)
	}
	hello, _ := alice.m.Encrypt(ctx, bob.addr, []byte("Hello, Bob"))
	if _, err := bob.m.Decrypt(ctx, alice.addr, hello); err != nil {
		log.Fatal(err)
	}
	hi, _ := bob.m.Encrypt(ctx, alice.addr, []byte("Hi, Alice"))
	if _, err := alice.m.Decrypt(ctx, bob.addr, hi); err != nil {
		log.Fatal(err)
	}

	// Bob's restored store has no session with Alice.
	if err := bob.m.DeleteSession(ctx, alice.addr); err != nil {
		log.Fatal(err)
	}
	sentAt := time.UnixMilli(1700000000123) // the envelope's timestamp
	msg, _ := alice.m.Encrypt(ctx, bob.addr, []byte("Lunch at noon?"))

	// Bob: the decrypt fails, and the failure calls for a reply.
	_, err := bob.m.Decrypt(ctx, alice.addr, msg)
	fmt.Println("Bob:", err)
	reply, err := recovery.ReplyFor(err, msg.Body, sealedsender.ContentType(msg.Type), sentAt, alice.addr.DeviceID)
	if err != nil {
		log.Fatal(err) // errors.Is(err, recovery.ErrNoReply): send nothing
	}
	wire := reply.Bytes() // sealed as content type 8 (TypePlaintext), sent to alice.1

	// Alice: a PlaintextContent from bob.1 (sealedsender.Result.Type and
	// Plaintext) names her message of sentAt and her current ratchet key.
	dem, err := recovery.Received(sealedsender.TypePlaintext, wire)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := recovery.Handle(ctx, alice.m, bob.addr, alice.addr.DeviceID, dem)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Alice: ours=%v archived=%v resend the message of %d\n", resp.Ours, resp.Archived, resp.Timestamp.UnixMilli())
	_, err = alice.m.Encrypt(ctx, bob.addr, []byte("Lunch at noon?"))
	fmt.Println("Alice:", errors.Is(err, session.ErrNoSession))
	if err := alice.m.ProcessBundle(ctx, bob.addr, bob.bundle()); err != nil { // a fresh bundle
		log.Fatal(err)
	}
	resent, _ := alice.m.Encrypt(ctx, bob.addr, []byte("Lunch at noon?"))

	// Bob reads the resent message: a PreKey message of the new session.
	pt, err := bob.m.Decrypt(ctx, alice.addr, resent)
	fmt.Printf("Bob: %s %q %v\n", resent.Type, pt, err)
	// Output:
	// Bob: session: no session
	// Alice: ours=true archived=true resend the message of 1700000000123
	// Alice: true
	// Bob: PreKeySignalMessage "Lunch at noon?" <nil>
}

// A decryption-error message that names a ratchet key the session no
// longer sends with (an old message, or a made-up key) archives nothing:
// Alice resends over the current session.
func ExampleHandle_stale() {
	ctx := context.Background()
	alice, bob := newPeer("alice", 1), newPeer("bob", 1)
	if err := alice.m.ProcessBundle(ctx, bob.addr, bob.bundle()); err != nil {
		log.Fatal(err)
	}
	old, _ := alice.m.Encrypt(ctx, bob.addr, []byte("one"))
	if _, err := bob.m.Decrypt(ctx, alice.addr, old); err != nil {
		log.Fatal(err)
	}
	answer, _ := bob.m.Encrypt(ctx, alice.addr, []byte("two"))
	if _, err := alice.m.Decrypt(ctx, bob.addr, answer); err != nil { // a new ratchet step
		log.Fatal(err)
	}

	dem, err := recovery.NewDecryptionErrorMessage(old.Body, sealedsender.ContentType(old.Type), time.UnixMilli(1), 1)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := recovery.Handle(ctx, alice.m, bob.addr, 1, dem)
	fmt.Printf("ours=%v archived=%v %v\n", resp.Ours, resp.Archived, err)
	ok, _ := alice.m.HasSession(ctx, bob.addr)
	fmt.Println("session kept:", ok)
	// Output:
	// ours=true archived=false <nil>
	// session kept: true
}

// The same repair through sealed sender, as between Signal apps. Bob's
// Cipher reports the failure as an *sealedsender.InnerError that names
// Alice's device and identity key; Bob answers without a session, sealed
// for that key, and Alice's Cipher hands her a content of type 8.
func ExampleSealReply() {
	ctx := context.Background()
	alice, bob := newSealedAccounts()
	check(alice.m.ProcessBundle(ctx, bob.addr, bob.bundle()))
	env, _ := alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte("Hello, Bob"), nil)
	_, err := bob.c.Decrypt(ctx, env)
	check(err)
	check(bob.m.DeleteSession(ctx, alice.addr)) // Bob loses the session

	env, _ = alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte("Lunch at noon?"), &sealedsender.Options{Hint: sealedsender.HintResendable})
	_, err = bob.c.Decrypt(ctx, env)
	var failed *sealedsender.InnerError
	if !errors.As(err, &failed) {
		log.Fatal(err) // no authenticated sender: nobody to answer
	}
	// HintResendable: Bob's app shows a placeholder and waits.
	reply, err := recovery.ReplyForInner(failed, time.UnixMilli(1700000000123)) // the envelope's timestamp
	check(err)
	sealed, err := recovery.SealReply(reply, failed, bob.cert, bob.identity)
	check(err)

	res, err := alice.c.Decrypt(ctx, sealed)
	check(err)
	dem, err := recovery.Received(res.Type, res.Plaintext)
	check(err)
	resp, err := recovery.Handle(ctx, alice.m, res.Address(), alice.addr.DeviceID, dem)
	check(err)
	fmt.Println(res.Type, resp.Archived)
	check(alice.m.ProcessBundle(ctx, bob.addr, bob.bundle()))
	env, _ = alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte("Lunch at noon?"), &sealedsender.Options{Hint: sealedsender.HintResendable})
	got, err := bob.c.Decrypt(ctx, env)
	fmt.Printf("%q %v\n", got.Plaintext, err)
	// Output:
	// plaintext true
	// "Lunch at noon?" <nil>
}
