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
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

var sent = time.UnixMilli(1700000000123)

func encrypt(t *testing.T, from, to *peer, text string) session.Message {
	t.Helper()
	msg, err := from.m.Encrypt(context.Background(), to.addr, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func decrypt(t *testing.T, to, from *peer, msg session.Message, want string) {
	t.Helper()
	pt, err := to.m.Decrypt(context.Background(), from.addr, msg)
	if err != nil || string(pt) != want {
		t.Fatalf("%s decrypts %q, %v; want %q", to.addr.Name, pt, err, want)
	}
}

func record(t *testing.T, p *peer, with session.Address) []byte {
	t.Helper()
	rec, err := p.store.LoadSession(context.Background(), with)
	if err != nil {
		t.Fatal(err)
	}
	if rec == nil {
		return nil
	}
	b, err := rec.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// errorFor is what the peer that could not decrypt msg sends back: the
// decryption-error message as it arrives, read from its PlaintextContent.
func errorFor(t *testing.T, msg session.Message, senderDevice uint32) *recovery.DecryptionErrorMessage {
	t.Helper()
	dem, err := recovery.NewDecryptionErrorMessage(msg.Body, sealedsender.ContentType(msg.Type), sent, senderDevice)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := recovery.NewPlaintextContent(dem)
	if err != nil {
		t.Fatal(err)
	}
	got, err := recovery.Received(sealedsender.TypePlaintext, pc.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestRecoveryLoop: Bob loses his session (a restored backup), Alice's
// next message fails, Bob answers, Alice archives, rebuilds from a fresh
// bundle and resends, and Bob reads it; then the conversation goes on. In
// a fresh (PreKey) session and in an acknowledged one, and in v3 and v4.
func TestRecoveryLoop(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ acknowledged, pq bool }{{false, false}, {false, true}, {true, false}, {true, true}} {
		acknowledged := c.acknowledged
		alice, bob := newPeer("alice", 1), newPeer("bob", 1)
		bundle := func() *x3dh.Bundle {
			b := bob.bundle()
			if !c.pq {
				b.KEMPreKey = nil // a v3 session
			}
			return b
		}
		if err := alice.m.ProcessBundle(ctx, bob.addr, bundle()); err != nil {
			t.Fatal(err)
		}
		decrypt(t, bob, alice, encrypt(t, alice, bob, "hi"), "hi")
		if acknowledged {
			decrypt(t, alice, bob, encrypt(t, bob, alice, "hello"), "hello")
		}
		if err := bob.m.DeleteSession(ctx, alice.addr); err != nil { // the backup had none
			t.Fatal(err)
		}
		lost := encrypt(t, alice, bob, "lost")
		_, failure := bob.m.Decrypt(ctx, alice.addr, lost)
		if failure == nil {
			t.Fatal("decrypt without a session succeeded")
		}
		pc, err := recovery.ReplyFor(failure, lost.Body, sealedsender.ContentType(lost.Type), sent, alice.addr.DeviceID)
		if err != nil {
			t.Fatalf("acknowledged=%v: ReplyFor(%v): %v", acknowledged, failure, err)
		}

		dem, err := recovery.Received(sealedsender.TypePlaintext, pc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		resp, err := recovery.Handle(ctx, alice.m, bob.addr, 1, dem)
		if err != nil {
			t.Fatal(err)
		}
		if resp != (recovery.Response{Ours: true, Archived: true, Timestamp: sent.UTC()}) {
			t.Fatalf("acknowledged=%v: %+v", acknowledged, resp)
		}
		if _, err := alice.m.Encrypt(ctx, bob.addr, []byte("x")); !errors.Is(err, session.ErrNoSession) {
			t.Fatalf("Encrypt after Handle: %v", err)
		}
		// A redelivered error changes nothing more.
		before := record(t, alice, bob.addr)
		if resp, err := recovery.Handle(ctx, alice.m, bob.addr, 1, dem); err != nil || resp.Archived {
			t.Fatalf("second Handle: %+v, %v", resp, err)
		}
		if !bytes.Equal(before, record(t, alice, bob.addr)) {
			t.Fatal("second Handle changed the record")
		}
		if err := alice.m.ProcessBundle(ctx, bob.addr, bundle()); err != nil {
			t.Fatal(err)
		}
		if info, _ := alice.m.Info(ctx, bob.addr); info.Version != map[bool]int{false: 3, true: 4}[c.pq] {
			t.Fatalf("pq=%v: version %d", c.pq, info.Version)
		}
		decrypt(t, bob, alice, encrypt(t, alice, bob, "lost"), "lost")
		decrypt(t, alice, bob, encrypt(t, bob, alice, "got it"), "got it")
		decrypt(t, bob, alice, encrypt(t, alice, bob, "good"), "good")
	}
}

// TestHandleChangesNothing: an error about a stale ratchet key, a made-up
// key, the zero key, another device's message, a sender-key message or a
// peer without a session stores nothing (the regression the issue asks
// for: a DecryptionErrorMessage naming a ratchet key that is not the
// current one changes nothing).
func TestHandleChangesNothing(t *testing.T) {
	ctx := context.Background()
	alice, bob := newPeer("alice", 1), newPeer("bob", 1)
	if err := alice.m.ProcessBundle(ctx, bob.addr, bob.bundle()); err != nil {
		t.Fatal(err)
	}
	old := encrypt(t, alice, bob, "one")
	decrypt(t, bob, alice, old, "one")
	decrypt(t, alice, bob, encrypt(t, bob, alice, "two"), "two")
	current := encrypt(t, alice, bob, "three")
	decrypt(t, bob, alice, current, "three")

	random, err := curve.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	forged := &recovery.DecryptionErrorMessage{Timestamp: sent, DeviceID: 1, RatchetKey: random.Public, HasRatchetKey: true}
	zero := &recovery.DecryptionErrorMessage{Timestamp: sent, DeviceID: 1, HasRatchetKey: true}
	otherDevice := errorFor(t, current, 2)
	senderKey := &recovery.DecryptionErrorMessage{Timestamp: sent, DeviceID: 1}
	for name, c := range map[string]struct {
		dem  *recovery.DecryptionErrorMessage
		want recovery.Response
	}{
		"stale":        {errorFor(t, old, 1), recovery.Response{Ours: true, Timestamp: sent.UTC()}},
		"forged":       {forged, recovery.Response{Ours: true, Timestamp: sent}},
		"zero key":     {zero, recovery.Response{Ours: true, Timestamp: sent}},
		"other device": {otherDevice, recovery.Response{}},
		"sender key":   {senderKey, recovery.Response{Ours: true, SenderKey: true, Timestamp: sent}},
	} {
		before := record(t, alice, bob.addr)
		resp, err := recovery.Handle(ctx, alice.m, bob.addr, 1, c.dem)
		if err != nil || resp != c.want {
			t.Errorf("%s: %+v, %v; want %+v", name, resp, err, c.want)
		}
		if !bytes.Equal(before, record(t, alice, bob.addr)) {
			t.Errorf("%s: the record changed", name)
		}
	}
	// The current key, but from another peer's address: that peer's
	// session (none here) is the only one consulted.
	carol := session.Address{Name: "carol", DeviceID: 1}
	before := record(t, alice, bob.addr)
	if resp, err := recovery.Handle(ctx, alice.m, carol, 1, errorFor(t, current, 1)); err != nil || resp.Archived {
		t.Errorf("another peer: %+v, %v", resp, err)
	}
	if !bytes.Equal(before, record(t, alice, bob.addr)) || record(t, alice, carol) != nil {
		t.Error("another peer's error changed a record")
	}
	decrypt(t, bob, alice, encrypt(t, alice, bob, "still fine"), "still fine")

	if _, err := recovery.Handle(ctx, nil, bob.addr, 1, forged); !errors.Is(err, recovery.ErrInvalidArgument) {
		t.Errorf("nil Manager: %v", err)
	}
	if _, err := recovery.Handle(ctx, alice.m, bob.addr, 1, nil); !errors.Is(err, recovery.ErrInvalidArgument) {
		t.Errorf("nil message: %v", err)
	}
	before = record(t, alice, bob.addr)
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := recovery.Handle(done, alice.m, bob.addr, 1, errorFor(t, current, 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	if !bytes.Equal(before, record(t, alice, bob.addr)) {
		t.Error("the cancelled Handle changed the record")
	}
}
