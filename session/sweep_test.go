package session_test

import (
	"bytes"
	"context"
	"errors"
	mrand "math/rand/v2"
	"testing"

	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// equivalentPreKey reports whether variant is another encoding of the same
// PreKey message: every authenticated or key-selecting field equal. Only the
// registration id (not covered by any MAC in the Signal protocol) and unknown
// fields may differ.
func equivalentPreKey(orig, variant []byte) bool {
	a, err1 := wire.ParsePreKeySignalMessage(orig)
	b, err2 := wire.ParsePreKeySignalMessage(variant)
	if err1 != nil || err2 != nil {
		return false
	}
	return a.Version == b.Version && a.HasPreKeyID == b.HasPreKeyID && a.PreKeyID == b.PreKeyID &&
		a.SignedPreKeyID == b.SignedPreKeyID && a.KyberPreKeyID == b.KyberPreKeyID &&
		bytes.Equal(a.KyberCiphertext, b.KyberCiphertext) && bytes.Equal(a.BaseKey, b.BaseKey) &&
		bytes.Equal(a.IdentityKey, b.IdentityKey) && bytes.Equal(a.Message, b.Message)
}

// TestBadInputSweep feeds every single-bit flip (every byte flip under the
// race detector), every truncation and 1,000 random extensions of captured
// messages of each type and version to the receiver. Each must be rejected
// with an error, without a panic and with the stored record and prekeys
// unchanged; the original then still decrypts.
func TestBadInputSweep(t *testing.T) {
	for _, pq := range []bool{false, true} {
		ctx := context.Background()
		alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, pq)); err != nil {
			t.Fatal(err)
		}
		pre := send(t, alice, bob, "prekey message")
		sweep(t, bob, alice, pre, "prekey message", pq)
		recv(t, alice, bob, send(t, bob, alice, "reply"), "reply")
		sig := send(t, alice, bob, "signal message")
		sweep(t, bob, alice, sig, "signal message", pq)
	}
}

func sweep(t *testing.T, to, from *device, msg session.Message, want string, pq bool) {
	t.Helper()
	ctx := context.Background()
	snap, err := to.store.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	before := to.store.SessionBytes(from.addr())
	otk, kem, err := to.store.PreKeyCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rng := mrand.New(mrand.NewPCG(7, uint64(len(msg.Body))))
	var flips, truncs, exts, equivalent int
	try := func(kind string, variant []byte) {
		pt, err := to.m.Decrypt(ctx, from.addr(), session.Message{Type: msg.Type, Body: variant})
		if err == nil {
			if msg.Type == session.TypePreKey && equivalentPreKey(msg.Body, variant) && string(pt) == want {
				equivalent++
				st, err := memstore.Unmarshal(snap) // undo the accepted equivalent
				if err != nil {
					t.Fatal(err)
				}
				to.store, to.m = st, session.NewManager(session.StoresOf(st))
				return
			}
			t.Fatalf("%s variant accepted: %x", kind, variant)
		}
		if !errors.Is(err, session.ErrInvalidMessage) && !errors.Is(err, session.ErrVersion) &&
			!errors.Is(err, session.ErrInvalidPreKeyID) && !errors.Is(err, session.ErrDuplicateMessage) &&
			!errors.Is(err, session.ErrNoSession) {
			t.Fatalf("%s variant: unexpected error class: %v", kind, err)
		}
		if !bytes.Equal(before, to.store.SessionBytes(from.addr())) {
			t.Fatalf("%s variant changed the stored record", kind)
		}
		if o, k, err := to.store.PreKeyCount(ctx); err != nil || o != otk || k != kem {
			t.Fatalf("%s variant consumed a prekey", kind)
		}
	}
	step := 1
	if raceEnabled {
		step = 8 // one flip per byte: the full sweep runs without -race
	}
	for bit := 0; bit < len(msg.Body)*8; bit += step {
		v := bytes.Clone(msg.Body)
		v[bit/8] ^= 1 << (bit % 8)
		try("bit-flip", v)
		flips++
	}
	for n := range len(msg.Body) {
		try("truncation", msg.Body[:n])
		truncs++
	}
	for range 1000 {
		ext := make([]byte, 1+rng.IntN(64))
		for i := range ext {
			ext[i] = byte(rng.Uint32())
		}
		try("extension", append(bytes.Clone(msg.Body), ext...))
		exts++
	}
	t.Logf("pq=%v %s (%d bytes): %d bit flips, %d truncations, %d extensions: %d rejected, %d accepted as equivalent re-encodings (unauthenticated registration id or unknown fields)",
		pq, msg.Type, len(msg.Body), flips, truncs, exts, flips+truncs+exts-equivalent, equivalent)
	recv(t, to, from, msg, want)
}
