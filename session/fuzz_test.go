package session_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/forwardsecret/signal/session"
)

// FuzzDecrypt feeds arbitrary bytes, as either message type, to a device
// with a live session. It must never panic, and a failed decrypt must leave
// the stored record byte-identical.
func FuzzDecrypt(f *testing.F) {
	ctx := context.Background()
	alice, bob := newDevice(f, "alice"), newDevice(f, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(f, true, true)); err != nil {
		f.Fatal(err)
	}
	pre := send(f, alice, bob, "first")
	f.Add(uint8(session.TypePreKey), pre.Body)
	recv(f, bob, alice, pre, "first")
	recv(f, alice, bob, send(f, bob, alice, "reply"), "reply")
	for _, text := range []string{"", "x", "a longer message of more than one block"} {
		m := send(f, alice, bob, text)
		f.Add(uint8(m.Type), m.Body)
	}
	// A v3 session's messages as seeds too.
	carol := newDevice(f, "carol")
	if err := carol.m.ProcessBundle(ctx, bob.addr(), bob.bundle(f, false, false)); err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(session.TypePreKey), send(f, carol, bob, "v3").Body)

	f.Fuzz(func(t *testing.T, typ uint8, body []byte) {
		before := bob.store.SessionBytes(alice.addr())
		_, err := bob.m.Decrypt(ctx, alice.addr(), session.Message{Type: session.MessageType(typ), Body: body})
		if err != nil && !bytes.Equal(before, bob.store.SessionBytes(alice.addr())) {
			t.Fatalf("failed decrypt (%v) changed the record", err)
		}
	})
}

// FuzzParseRecord checks that arbitrary bytes never make ParseRecord panic,
// and that a record it accepts re-encodes to bytes it accepts again.
func FuzzParseRecord(f *testing.F) {
	ctx := context.Background()
	alice, bob := newDevice(f, "alice"), newDevice(f, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(f, true, true)); err != nil {
		f.Fatal(err)
	}
	recv(f, bob, alice, send(f, alice, bob, "first"), "first")
	send(f, alice, bob, "skipped")
	recv(f, bob, alice, send(f, alice, bob, "third"), "third")
	f.Add(alice.store.SessionBytes(bob.addr()))
	f.Add(bob.store.SessionBytes(alice.addr()))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := session.ParseRecord(b)
		if err != nil {
			return
		}
		enc, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := session.ParseRecord(enc); err != nil {
			t.Fatalf("re-encoded record rejected: %v", err)
		}
	})
}
