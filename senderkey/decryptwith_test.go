package senderkey

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// TestDecryptWith: the handler sees the plaintext before the record is
// stored; its error leaves the record unchanged, so the message decrypts
// again later, and a successful handler commits.
func TestDecryptWith(t *testing.T) {
	ctx := context.Background()
	alice, bob := newMember("alice", 1), newMember("bob", 2)
	distribute(t, alice, bob)
	id := testDist
	ct := encrypt(t, alice, []byte("hello"))
	load := func() []byte {
		rec, err := bob.store.LoadSenderKey(ctx, alice.addr, id)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := rec.MarshalBinary()
		return b
	}
	before := load()
	boom := errors.New("app failed")
	var seen []byte
	err := bob.c.DecryptWith(ctx, alice.addr, ct, func(pt []byte) error {
		seen = append(seen[:0], pt...)
		return boom
	})
	if !errors.Is(err, boom) || string(seen) != "hello" {
		t.Fatalf("err %v, seen %q", err, seen)
	}
	if !bytes.Equal(load(), before) {
		t.Fatal("a failed handler stored the record")
	}
	if err := bob.c.DecryptWith(ctx, alice.addr, ct, func(pt []byte) error {
		seen = append(seen[:0], pt...)
		return nil
	}); err != nil || string(seen) != "hello" {
		t.Fatalf("second try: %v %q", err, seen)
	}
	if bytes.Equal(load(), before) {
		t.Fatal("a successful handler did not store the record")
	}
	if err := bob.c.DecryptWith(ctx, alice.addr, ct, nil); !errors.Is(err, ErrDuplicateMessage) {
		t.Fatalf("third try: %v", err)
	}
}
