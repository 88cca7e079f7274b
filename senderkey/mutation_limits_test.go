package senderkey

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// padTo appends an unknown length-delimited field (number 15, which no
// parser here reads) to b so that the result is exactly n bytes long.
func padTo(t *testing.T, b []byte, n int) []byte {
	t.Helper()
	tag := protowire.SizeTag(15)
	for l := n - len(b) - tag - 1; l >= 0; l-- {
		if len(b)+tag+protowire.SizeBytes(l) == n {
			b = protowire.AppendTag(b, 15, protowire.BytesType)
			b = protowire.AppendBytes(b, make([]byte, l))
			if len(b) != n {
				t.Fatalf("padded to %d bytes, want %d", len(b), n)
			}
			return b
		}
	}
	t.Fatalf("cannot pad %d bytes to %d", len(b), n)
	return nil
}

// TestLegacyMessageSizeExact: a legacy distribution message of exactly
// MaxLegacyMessageSize bytes (an unknown field makes up the size) parses;
// one byte more is ErrInvalidMessage for its size.
func TestLegacyMessageSizeExact(t *testing.T) {
	dm := distribute(t, newMember("alice", 1))
	b := padTo(t, dm.LegacyBytes(), MaxLegacyMessageSize)
	got, err := ParseLegacyDistributionMessage(b, testDist)
	if err != nil {
		t.Fatalf("%d bytes: %v", len(b), err)
	}
	if string(got.LegacyBytes()) != string(dm.LegacyBytes()) {
		t.Errorf("%d bytes: parsed message differs", len(b))
	}
	b = padTo(t, dm.LegacyBytes(), MaxLegacyMessageSize+1)
	_, err = ParseLegacyDistributionMessage(b, testDist)
	if !errors.Is(err, ErrInvalidMessage) || !strings.Contains(err.Error(), fmt.Sprintf("of %d bytes", MaxLegacyMessageSize+1)) {
		t.Errorf("%d bytes: %v, want ErrInvalidMessage for the size", len(b), err)
	}
}

// TestRecordSizeExact: ParseRecord accepts a record of exactly
// MaxRecordSize bytes (an unknown field makes up the size) and refuses one
// byte more with ErrInvalidRecord, naming the limit.
func TestRecordSizeExact(t *testing.T) {
	alice := newMember("alice", 1)
	distribute(t, alice)
	rb := recordBytes(t, alice, alice.addr)
	b := padTo(t, rb, MaxRecordSize)
	r, err := ParseRecord(b)
	if err != nil {
		t.Fatalf("%d bytes: %v", len(b), err)
	}
	if got, err := r.MarshalBinary(); err != nil || string(got) != string(rb) {
		t.Errorf("%d bytes: record re-encodes to %d bytes (%v), want the %d it was padded from", len(b), len(got), err, len(rb))
	}
	b = padTo(t, rb, MaxRecordSize+1)
	_, err = ParseRecord(b)
	if !errors.Is(err, ErrInvalidRecord) || !strings.Contains(err.Error(), "more than MaxRecordSize") {
		t.Errorf("%d bytes: %v, want ErrInvalidRecord naming MaxRecordSize", len(b), err)
	}
}

// TestCipherKeepsNoIdleLocks: the Cipher's per-(sender, distribution id)
// lock entries exist only while a call holds or waits for them, so a
// Cipher that has served many senders holds no memory for them: after
// calls that succeeded, failed, waited and gave up waiting, none is left.
func TestCipherKeepsNoIdleLocks(t *testing.T) {
	ctx := context.Background()
	alice := newMember("alice", 1)
	distribute(t, alice)
	encrypt(t, alice, []byte("one"))
	if _, err := alice.c.Decrypt(ctx, Sender{Name: "nobody", DeviceID: 1}, encrypt(t, alice, []byte("two"))); err == nil {
		t.Fatal("decrypt from an unknown sender succeeded")
	}
	if n := len(alice.c.locks.m); n != 0 {
		t.Fatalf("%d lock entries after the calls returned, want 0", n)
	}

	// One holder, two waiters: one gives up (its context ends), one gets
	// the lock after the holder releases it.
	k := storeKey{alice.addr, testDist}
	release, err := alice.c.locks.lock(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := alice.c.locks.lock(cctx, k); !errors.Is(err, context.Canceled) {
		t.Fatalf("lock with an ended context: %v, want context.Canceled", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := alice.c.Encrypt(ctx, alice.addr, testDist, []byte("three")); err != nil {
			t.Error(err)
		}
	}()
	release()
	wg.Wait()
	if n := len(alice.c.locks.m); n != 0 {
		t.Fatalf("%d lock entries after the calls returned, want 0", n)
	}
}
