package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

func TestBadBundleSignature(t *testing.T) {
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	for _, pq := range []bool{false, true} {
		b := bob.bundle(t, false, pq)
		b.SignedPreKey.Signature = bytes.Clone(b.SignedPreKey.Signature)
		b.SignedPreKey.Signature[3] ^= 1
		err := alice.m.ProcessBundle(context.Background(), bob.addr(), b)
		if !errors.Is(err, session.ErrSignature) || !errors.Is(err, x3dh.ErrBadSignedPreKeySignature) {
			t.Fatalf("bad signed-prekey signature: %v", err)
		}
		if pq {
			b = bob.bundle(t, false, true)
			b.KEMPreKey.Signature = bytes.Clone(b.KEMPreKey.Signature)
			b.KEMPreKey.Signature[3] ^= 1
			err := alice.m.ProcessBundle(context.Background(), bob.addr(), b)
			if !errors.Is(err, session.ErrSignature) || !errors.Is(err, x3dh.ErrBadKEMSignature) {
				t.Fatalf("bad KEM signature: %v", err)
			}
		}
	}
	if ok, _ := alice.m.HasSession(context.Background(), bob.addr()); ok {
		t.Fatal("session after refused bundles")
	}
}

func TestInvalidPreKeyID(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		oneTime bool
		mutate  func(*wire.PreKeySignalMessage)
	}{
		{"signed", false, func(m *wire.PreKeySignalMessage) { m.SignedPreKeyID = 4242 }},
		{"one-time", true, func(m *wire.PreKeySignalMessage) { m.PreKeyID = 4242 }},
		{"kem", false, func(m *wire.PreKeySignalMessage) { m.KyberPreKeyID = 4242 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
			if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, tc.oneTime, true)); err != nil {
				t.Fatal(err)
			}
			msg := send(t, alice, bob, "hi")
			pm, err := wire.ParsePreKeySignalMessage(msg.Body)
			if err != nil {
				t.Fatal(err)
			}
			m := pm.PreKeySignalMessage
			tc.mutate(&m)
			body, err := m.Append(nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = bob.m.Decrypt(ctx, alice.addr(), session.Message{Type: session.TypePreKey, Body: body})
			if !errors.Is(err, session.ErrInvalidPreKeyID) {
				t.Fatalf("err = %v, want ErrInvalidPreKeyID", err)
			}
			if bob.store.SessionBytes(alice.addr()) != nil {
				t.Fatal("a session was stored")
			}
			recv(t, bob, alice, msg, "hi")
		})
	}
}

func TestVersionErrors(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, false, false)); err != nil {
		t.Fatal(err)
	}
	msg := send(t, alice, bob, "hi")
	for _, b0 := range []byte{0x22, 0x23, 0x55, 0x11} {
		bad := bytes.Clone(msg.Body)
		bad[0] = b0
		if _, err := bob.m.Decrypt(ctx, alice.addr(), session.Message{Type: msg.Type, Body: bad}); !errors.Is(err, session.ErrVersion) {
			t.Errorf("first byte %#x: err = %v, want ErrVersion", b0, err)
		}
	}
	if _, err := bob.m.Decrypt(ctx, alice.addr(), session.Message{Type: 9, Body: msg.Body}); !errors.Is(err, session.ErrInvalidMessage) {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := bob.m.Decrypt(ctx, alice.addr(), session.Message{Type: session.TypeSignal, Body: nil}); !errors.Is(err, session.ErrInvalidMessage) {
		t.Errorf("empty SignalMessage: %v", err)
	}
	if _, err := bob.m.Decrypt(ctx, alice.addr(), session.Message{Type: session.TypePreKey, Body: nil}); !errors.Is(err, session.ErrInvalidMessage) {
		t.Errorf("empty PreKey message: %v", err)
	}
}

func TestArchiveAndDelete(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, false, true)); err != nil {
		t.Fatal(err)
	}
	m1 := send(t, alice, bob, "before archive")
	if err := alice.m.ArchiveSession(ctx, bob.addr()); err != nil {
		t.Fatal(err)
	}
	if ok, _ := alice.m.HasSession(ctx, bob.addr()); ok {
		t.Fatal("HasSession after archive")
	}
	if _, err := alice.m.Encrypt(ctx, bob.addr(), []byte("x")); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("encrypt after archive: %v", err)
	}
	recv(t, bob, alice, m1, "before archive")
	// Bob's reply still decrypts: the archived state is found and promoted.
	recv(t, alice, bob, send(t, bob, alice, "reply"), "reply")
	if ok, _ := alice.m.HasSession(ctx, bob.addr()); !ok {
		t.Fatal("archived state not promoted")
	}
	if err := alice.m.DeleteSession(ctx, bob.addr()); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.m.Decrypt(ctx, bob.addr(), send(t, bob, alice, "gone")); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("decrypt after delete: %v", err)
	}
}

func TestDecryptWithHandlerFailureCommitsNothing(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
		t.Fatal(err)
	}
	msg := send(t, alice, bob, "at least once")
	boom := errors.New("app database down")
	err := bob.m.DecryptWith(ctx, alice.addr(), msg, func(pt []byte) error {
		if string(pt) != "at least once" {
			t.Errorf("handler got %q", pt)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the handler's", err)
	}
	if bob.store.SessionBytes(alice.addr()) != nil || !bob.store.HasPreKey(bob.next) {
		t.Fatal("a failed handler committed state or consumed the prekey")
	}
	var got string
	if err := bob.m.DecryptWith(ctx, alice.addr(), msg, func(pt []byte) error { got = string(pt); return nil }); err != nil || got != "at least once" {
		t.Fatalf("second attempt: %q, %v", got, err)
	}
	if _, err := bob.m.Decrypt(ctx, alice.addr(), msg); !errors.Is(err, session.ErrDuplicateMessage) {
		t.Fatalf("after commit: %v, want ErrDuplicateMessage", err)
	}
}

// TestPromotionDoesNotDuplicate guards against a defect of the Go peer
// (go.mau.fi/libsignal): promoting an archived state must move it, not copy
// it. Alice keeps three archived states; a reply on the oldest promotes it,
// and the record then holds the same number of states, every one distinct.
func TestPromotionDoesNotDuplicate(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	var first session.Message
	for i := range 4 {
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, false, true)); err != nil {
			t.Fatal(err)
		}
		m := send(t, alice, bob, fmt.Sprint("session ", i))
		if i == 0 {
			first = m
		}
	}
	info, err := alice.m.Info(ctx, bob.addr())
	if err != nil || info.ArchivedStates != 3 {
		t.Fatalf("before: %+v, %v; want 3 archived states", info, err)
	}
	recv(t, bob, alice, first, "session 0") // Bob answers on the oldest session
	recv(t, alice, bob, send(t, bob, alice, "reply"), "reply")
	info, err = alice.m.Info(ctx, bob.addr())
	if err != nil || info.ArchivedStates != 3 || !info.Acknowledged {
		t.Fatalf("after promotion: %+v, %v; want 3 archived states, the promoted one current", info, err)
	}
	rec, err := session.ParseRecord(alice.store.SessionBytes(bob.addr()))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := session.RecordBaseKeys(rec)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, k := range keys {
		if seen[string(k)] {
			t.Fatalf("state %d (base key %x...) appears twice in the record", i, k[:4])
		}
		seen[string(k)] = true
	}
	if len(keys) != 4 {
		t.Fatalf("%d states in the record, want 4", len(keys))
	}
	// Sending again stays on the promoted state: Bob decrypts it.
	recv(t, bob, alice, send(t, alice, bob, "again"), "again")
}

// TestPreKeyLoadErrors: a prekey the store does not hold is
// ErrInvalidPreKeyID, and its message names the key once; any other store
// failure is the store's error, not ErrInvalidPreKeyID.
func TestPreKeyLoadErrors(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	b := bob.bundle(t, false, false)
	if err := alice.m.ProcessBundle(ctx, bob.addr(), b); err != nil {
		t.Fatal(err)
	}
	msg := send(t, alice, bob, "hi")

	empty := memstore.New(bob.id, 1)
	_, err := session.NewManager(session.StoresOf(empty)).Decrypt(ctx, alice.addr(), msg)
	if !errors.Is(err, session.ErrInvalidPreKeyID) || !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("missing signed prekey: %v", err)
	}
	if n := strings.Count(err.Error(), "signed prekey 7"); n != 1 {
		t.Fatalf("%q names the key %d times", err, n)
	}

	broken := errors.New("disk on fire")
	st := session.StoresOf(bob.store)
	st.SignedPreKeys = failingSignedPreKeys{broken}
	_, err = session.NewManager(st).Decrypt(ctx, alice.addr(), msg)
	if errors.Is(err, session.ErrInvalidPreKeyID) || !errors.Is(err, broken) {
		t.Fatalf("failing store: %v", err)
	}
	if want := "session: signed prekey store: load 7: disk on fire"; err.Error() != want {
		t.Fatalf("failing store: %q, want %q", err, want)
	}
}

type failingSignedPreKeys struct{ err error }

func (f failingSignedPreKeys) LoadSignedPreKey(context.Context, uint32) (*x3dh.SignedPreKey, error) {
	return nil, f.err
}
