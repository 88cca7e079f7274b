package session_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/session"
)

// walk returns the fields of one protobuf message level: number -> values
// (varints as uint64, length-delimited as []byte).
func walk(t *testing.T, b []byte) map[protowire.Number][]any {
	t.Helper()
	out := map[protowire.Number][]any{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				t.Fatal("bad varint")
			}
			out[num] = append(out[num], v)
			b = b[n:]
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				t.Fatal("bad bytes")
			}
			out[num] = append(out[num], v)
			b = b[n:]
		default:
			t.Fatalf("unexpected wire type %d for field %d", typ, num)
		}
	}
	return out
}

// TestRecordLayout builds a record with MaxArchivedStates archived states and
// MaxSkippedKeysPerChain skipped keys, and checks it against storage.proto's
// field numbers with an independent walker, then round-trips it.
func TestRecordLayout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 41 sessions and 2,001 messages")
	}
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	for i := range session.MaxArchivedStates + 1 {
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, false, false)); err != nil {
			t.Fatal(err)
		}
		recv(t, bob, alice, send(t, alice, bob, fmt.Sprint("session ", i)), fmt.Sprint("session ", i))
	}
	var last, skipped session.Message
	for i := range 2001 {
		m := send(t, alice, bob, fmt.Sprint("m", i))
		if i == 1000 {
			skipped = m
		}
		last = m
	}
	recv(t, bob, alice, last, "m2000")

	enc := bob.store.SessionBytes(alice.addr())
	rec := walk(t, enc)
	if len(rec[1]) != 1 || len(rec[2]) != session.MaxArchivedStates {
		t.Fatalf("record: %d current, %d previous; want 1 and %d", len(rec[1]), len(rec[2]), session.MaxArchivedStates)
	}
	cur := walk(t, rec[1][0].([]byte))
	if v := cur[1][0].(uint64); v != 3 {
		t.Fatalf("session_version %d", v)
	}
	if !bytes.Equal(cur[2][0].([]byte), bob.id.PublicKey().Bytes()) || !bytes.Equal(cur[3][0].([]byte), alice.id.PublicKey().Bytes()) {
		t.Fatal("identity fields 2/3 wrong")
	}
	if len(cur[4][0].([]byte)) != 32 {
		t.Fatal("root_key (4) not 32 bytes")
	}
	sender := walk(t, cur[6][0].([]byte))
	if len(sender[1][0].([]byte)) != 33 || len(sender[2][0].([]byte)) != 32 {
		t.Fatal("sender chain ratchet key fields 1/2 wrong")
	}
	if len(cur[7]) != 1 {
		t.Fatalf("%d receiver chains, want 1", len(cur[7]))
	}
	recvChain := walk(t, cur[7][0].([]byte))
	ck := walk(t, recvChain[3][0].([]byte))
	if ck[1][0].(uint64) != 2002 || len(ck[2][0].([]byte)) != 32 {
		t.Fatalf("receiver chain key index %v", ck[1])
	}
	if n := len(recvChain[4]); n != 2000 {
		t.Fatalf("%d stored message keys, want 2000", n)
	}
	// Newest first, seeds only.
	first := walk(t, recvChain[4][0].([]byte))
	lastKey := walk(t, recvChain[4][1999].([]byte))
	if first[1][0].(uint64) != 2000 || lastKey[1][0].(uint64) != 1 || len(first[5][0].([]byte)) != 32 {
		t.Fatalf("message key order/seed: first %v last %v", first[1], lastKey[1])
	}
	if cur[10][0].(uint64) != uint64(1000+len("alice")) || cur[11][0].(uint64) != uint64(1000+len("bob")) {
		t.Fatal("registration ids 10/11 wrong")
	}
	if len(cur[13][0].([]byte)) != 33 {
		t.Fatal("alice_base_key (13) missing")
	}

	parsed, err := session.ParseRecord(enc)
	if err != nil {
		t.Fatal(err)
	}
	again, err := parsed.MarshalBinary()
	if err != nil || !bytes.Equal(again, enc) {
		t.Fatalf("re-encoding differs (%v)", err)
	}
	// The skipped key still works after the round trip.
	recv(t, bob, alice, skipped, "m1000")
}

func TestParseRecordRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{{0x0a}, {0x0a, 0x05, 1, 2, 3}, {0xff, 0xff}, bytes.Repeat([]byte{0x0a, 0x00}, 3)} {
		if _, err := session.ParseRecord(b); err == nil {
			t.Errorf("ParseRecord(%x) accepted", b)
		}
	}
}

func TestRecordClone(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
		t.Fatal(err)
	}
	recv(t, bob, alice, send(t, alice, bob, "a"), "a")
	send(t, alice, bob, "skipped")
	recv(t, bob, alice, send(t, alice, bob, "c"), "c")
	enc := bob.store.SessionBytes(alice.addr())
	rec, err := session.ParseRecord(enc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rec.Clone()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := c.MarshalBinary()
	if !bytes.Equal(got, enc) {
		t.Fatal("clone encodes differently")
	}
	if err := c.ArchiveCurrentState(); err != nil {
		t.Fatal(err)
	}
	if again, _ := rec.MarshalBinary(); !bytes.Equal(again, enc) {
		t.Fatal("changing the clone changed the original")
	}
}
