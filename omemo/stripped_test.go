package omemo

import (
	"context"
	"errors"
	"testing"
)

// TestStrippedPayloadRefused (review finding 4): an OMEMO 2 message whose
// <payload/> was removed in transit carries the key material of a message
// with a payload (48 bytes), not that of an empty message (32 zero
// bytes). Decrypt refuses it with ErrInvalidPayload and stores nothing,
// instead of reporting an empty message and spending the message key; the
// message with its payload still decrypts afterwards, and empty messages
// stay accepted. OMEMO 0.3 accepts key || tag without a payload as an
// empty message, as oldmemo does (TestV03KeyAndTagWithoutPayloadIsEmpty).
func TestStrippedPayloadRefused(t *testing.T) {
	ctx := context.Background()
	for _, v := range []Version{V2} {
		t.Run(v.String(), func(t *testing.T) {
			alice := newTestDevice(t, v, "alice@example.org", 1, 3)
			bob := newTestDevice(t, v, "bob@example.org", 2, 3)
			connect(t, alice, bob)
			for i, pt := range []string{"first", "second"} { // a key exchange, then not
				e := send(t, alice, []byte(pt), bob)
				stripped := clone(e)
				stripped.Payload = nil
				before := snapshot(bob, alice.addr())
				got, err := bob.m.Decrypt(ctx, alice.jid, stripped)
				if !errors.Is(err, ErrInvalidPayload) {
					t.Fatalf("message %d without its payload: got %q, %v; want ErrInvalidPayload", i, got, err)
				}
				if snapshot(bob, alice.addr()) != before {
					t.Fatalf("message %d: the refused message changed Bob's state", i)
				}
				if got, err := bob.m.Decrypt(ctx, alice.jid, e); err != nil || string(got) != pt {
					t.Fatalf("message %d with its payload: %q, %v", i, got, err)
				}
				if i == 0 {
					if _, err := alice.m.Decrypt(ctx, bob.jid, send(t, bob, nil, alice)); err != nil {
						t.Fatal(err)
					}
				}
			}
			if got, err := bob.m.Decrypt(ctx, alice.jid, send(t, alice, nil, bob)); err != nil || got != nil {
				t.Fatalf("empty message: %q, %v", got, err)
			}
		})
	}
}

// TestV03KeyAndTagWithoutPayloadIsEmpty: OMEMO 0.3 key material of 32
// bytes (key || tag) without a <payload/> decrypts as an empty message,
// as oldmemo reads it, so that a client whose empty messages carry key ||
// tag is not refused; other lengths are refused with nothing stored.
func TestV03KeyAndTagWithoutPayloadIsEmpty(t *testing.T) {
	ctx := context.Background()
	alice := newTestDevice(t, V03, "alice@example.org", 1, 3)
	bob := newTestDevice(t, V03, "bob@example.org", 2, 3)
	connect(t, alice, bob)
	e := send(t, alice, []byte("first"), bob)
	stripped := clone(e)
	stripped.Payload = nil
	if got, err := bob.m.Decrypt(ctx, alice.jid, stripped); err != nil || got != nil {
		t.Fatalf("key || tag without a payload: %q, %v; want an empty message", got, err)
	}
}
