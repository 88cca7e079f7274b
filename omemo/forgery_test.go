package omemo

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/session"
)

// keyMaterialV03 decrypts d's own key of e through its session, as a
// co-recipient can, and returns the key material (the session advances).
func keyMaterialV03(t *testing.T, d, from *testDevice, e *Encrypted) []byte {
	t.Helper()
	var k *Key
	for i := range e.Keys {
		if e.Keys[i].DeviceID == d.id {
			k = &e.Keys[i]
		}
	}
	typ := session.TypeSignal
	if k.KeyExchange {
		typ = session.TypePreKey
	}
	var km []byte
	if err := d.m.sm.DecryptWith(context.Background(), from.addr(), session.Message{Type: typ, Body: k.Data}, func(b []byte) error {
		km = bytes.Clone(b)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return km
}

// TestV03EmptyMessageForgeryRefused (review finding 2): Alice's empty
// OMEMO 0.3 message carries a 16-byte key without a tag. Mallory, a
// co-recipient, learns the key and attaches a payload sealed under it with
// the GCM tag appended, as pre-2017 Conversations sent payloads. Bob must
// refuse it (ErrInvalidPayload, nothing stored) as python-omemo's oldmemo
// does (an empty tag is refused by its GCM), while the empty message
// itself stays accepted.
func TestV03EmptyMessageForgeryRefused(t *testing.T) {
	ctx := context.Background()
	alice := newTestDevice(t, V03, "alice@example.org", 1, 3)
	bob := newTestDevice(t, V03, "bob@example.org", 2, 3)
	mallory := newTestDevice(t, V03, "mallory@example.org", 3, 3)
	connect(t, alice, bob)
	connect(t, alice, mallory)
	e := send(t, alice, nil, bob, mallory)
	km := keyMaterialV03(t, mallory, alice, e)
	if len(km) != 16 {
		t.Fatalf("key material of an empty message: %d bytes, want 16", len(km))
	}
	b, _ := aes.NewCipher(km)
	g, _ := cipher.NewGCM(b)
	forged := clone(e)
	forged.Payload = g.Seal(nil, e.IV, []byte("forged by mallory"), nil)
	before := snapshot(bob, alice.addr())
	got, err := bob.m.Decrypt(ctx, alice.jid, forged)
	if !errors.Is(err, ErrInvalidPayload) {
		t.Fatalf("forged payload on an empty message: got %q, %v; want ErrInvalidPayload", got, err)
	}
	if after := snapshot(bob, alice.addr()); after != before {
		t.Errorf("the refused message changed Bob's state")
	}
	if got, err := bob.m.Decrypt(ctx, alice.jid, e); err != nil || got != nil {
		t.Fatalf("the empty message itself: %q, %v", got, err)
	}
	if _, err := DecryptPayloadV03(forged.Payload, e.IV, km); !errors.Is(err, ErrInvalidPayload) {
		t.Errorf("DecryptPayloadV03 with a 16-byte key and the tag in the payload: %v, want ErrInvalidPayload", err)
	}
}
