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

// gf is an element of GCM's GF(2^128), in GCM's bit order.
type gf [16]byte

func gfMul(x, y gf) gf {
	var z gf
	v := y
	for i := range 128 {
		if x[i/8]&(0x80>>(i%8)) != 0 {
			for j := range z {
				z[j] ^= v[j]
			}
		}
		lsb := v[15] & 1
		for j := 15; j > 0; j-- {
			v[j] = v[j]>>1 | v[j-1]<<7
		}
		v[0] >>= 1
		if lsb != 0 {
			v[0] ^= 0xe1
		}
	}
	return z
}

func gfInv(x gf) gf { // x^(2^128-2)
	r := gf{0x80}
	for range 127 {
		r = gfMul(gfMul(r, r), x)
	}
	return gfMul(r, r)
}

func gfXor(a, b []byte) []byte {
	o := make([]byte, len(a))
	for i := range a {
		o[i] = a[i] ^ b[i]
	}
	return o
}

// TestV03CoRecipientForgeryIsAProperty (review finding 3) shows what the
// package doc says under "Who can forge a payload": AES-GCM does not
// commit to its key, so Mallory, a co-recipient of Alice's OMEMO 0.3
// message, builds another payload under the same key, IV and tag; Bob
// decrypts it without error. It is OMEMO 0.3's property (oldmemo makes the
// same check); this test fails if the package ever stops accepting it, so
// that the doc gets updated.
func TestV03CoRecipientForgeryIsAProperty(t *testing.T) {
	ctx := context.Background()
	alice := newTestDevice(t, V03, "alice@example.org", 1, 3)
	bob := newTestDevice(t, V03, "bob@example.org", 2, 3)
	mallory := newTestDevice(t, V03, "mallory@example.org", 3, 3)
	connect(t, alice, bob)
	connect(t, alice, mallory)
	e := send(t, alice, []byte("meet at the north gate at 5pm!!!"), bob, mallory)
	km := keyMaterialV03(t, mallory, alice, e)
	blk, _ := aes.NewCipher(km[:16])
	var h gf
	blk.Encrypt(h[:], make([]byte, 16))
	g, _ := cipher.NewGCM(blk)
	n := len(e.Payload) / 16
	ks := g.Seal(nil, e.IV, make([]byte, n*16), nil)[:n*16]
	hp := func(k int) gf {
		r := gf{0x80}
		for range k {
			r = gfMul(r, h)
		}
		return r
	}
	// GHASH's payload part S = sum C_i H^(n+2-i): keep it, choose
	// C'_1..C'_{n-1}, solve for C'_n (same length, so the length block and
	// the tag stay).
	var s gf
	for i := 1; i <= n; i++ {
		var c gf
		copy(c[:], e.Payload[(i-1)*16:])
		p := gfMul(c, hp(n+2-i))
		s = gf(gfXor(s[:], p[:]))
	}
	want := []byte("meet at SOUTH gate, 9pm. Bring $")[:(n-1)*16]
	forged := gfXor(want, ks[:(n-1)*16])
	acc := s
	for i := 1; i < n; i++ {
		var c gf
		copy(c[:], forged[(i-1)*16:])
		p := gfMul(c, hp(n+2-i))
		acc = gf(gfXor(acc[:], p[:]))
	}
	last := gfMul(acc, gfInv(hp(2)))
	e2 := clone(e)
	e2.Payload = append(forged, last[:]...)
	got, err := bob.m.Decrypt(ctx, alice.jid, e2)
	if err != nil || !bytes.HasPrefix(got, want) {
		t.Fatalf("Bob decrypts the co-recipient's payload: %q, %v; the package doc says it is accepted", got, err)
	}
}
