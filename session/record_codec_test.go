package session_test

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"slices"
	"testing"

	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// storeRecord replaces d's record of addr with the record encoded in b.
func storeRecord(t *testing.T, d *device, addr session.Address, b []byte) {
	t.Helper()
	rec, err := session.ParseRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.store.StoreSession(context.Background(), addr, rec, session.Consumed{}); err != nil {
		t.Fatal(err)
	}
}

// TestParseRecordKeepsNoInput checks that a parsed record keeps nothing of
// its input buffer (the parser reads it in place): records with archived
// states, a pending (Kyber) prekey and skipped keys survive the buffer
// being overwritten.
func TestParseRecordKeepsNoInput(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	for range 3 {
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, true, true)); err != nil {
			t.Fatal(err)
		}
		recv(t, bob, alice, send(t, alice, bob, "hello"), "hello")
	}
	send(t, alice, bob, "skipped")
	recv(t, bob, alice, send(t, alice, bob, "late"), "late")
	for _, enc := range [][]byte{alice.store.SessionBytes(bob.addr()), bob.store.SessionBytes(alice.addr())} {
		buf := bytes.Clone(enc)
		rec, err := session.ParseRecord(buf)
		if err != nil {
			t.Fatal(err)
		}
		if rec.ArchivedStates() != 2 {
			t.Fatalf("%d archived states", rec.ArchivedStates())
		}
		for i := range buf {
			buf[i] = 0xa5
		}
		got, err := rec.MarshalBinary()
		if err != nil || !bytes.Equal(got, enc) {
			t.Fatalf("record changed with its input buffer (%v)", err)
		}
	}
	// Alice's record holds the pending prekey until Bob answers.
	info, err := alice.m.Info(ctx, bob.addr())
	if err != nil || info.Acknowledged {
		t.Fatalf("alice's session acknowledged (%v): the test lost its pending prekey", err)
	}
}

// messageKeys derives a v3 message's whole keys from its stored seed, as
// older libsignal records stored them: HKDF-SHA256 with no salt, info
// "WhisperMessageKeys", 80 bytes = cipher key || MAC key || IV.
func messageKeys(t *testing.T, seed []byte) (cipher, mac, iv []byte) {
	t.Helper()
	okm, err := hkdf.Key(sha256.New, seed, nil, "WhisperMessageKeys", 80)
	if err != nil {
		t.Fatal(err)
	}
	return okm[:32], okm[32:64], okm[64:]
}

// TestRecordLegacyKeys stores some skipped keys as whole keys, as records
// of older libsignal versions do: the record round-trips byte for byte and
// those messages decrypt.
func TestRecordLegacyKeys(t *testing.T) {
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	if err := alice.m.ProcessBundle(context.Background(), bob.addr(), bob.bundle(t, false, false)); err != nil {
		t.Fatal(err)
	}
	var msgs []session.Message
	for i := range 6 {
		msgs = append(msgs, send(t, alice, bob, fmt.Sprint("m", i)))
	}
	recv(t, bob, alice, msgs[5], "m5")

	wr, err := wire.ParseRecord(bob.store.SessionBytes(alice.addr()))
	if err != nil {
		t.Fatal(err)
	}
	keys := wr.Current.ReceiverChains[0].MessageKeys
	if len(keys) != 5 || keys[0].Index != 4 {
		t.Fatalf("stored keys %v", len(keys))
	}
	for _, j := range []int{1, 3} { // messages 3 and 1
		k := &keys[j]
		k.CipherKey, k.MACKey, k.IV = messageKeys(t, k.Seed)
		k.Seed = nil
	}
	legacy := wr.Append(nil)
	rec, err := session.ParseRecord(legacy)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rec.MarshalBinary(); err != nil || !bytes.Equal(got, legacy) {
		t.Fatalf("legacy record re-encodes differently (%v)", err)
	}
	c, err := rec.Clone()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.MarshalBinary(); err != nil || !bytes.Equal(got, legacy) {
		t.Fatalf("clone of the legacy record encodes differently (%v)", err)
	}
	storeRecord(t, bob, alice.addr(), legacy)
	for _, i := range []int{3, 0, 1} {
		recv(t, bob, alice, msgs[i], fmt.Sprint("m", i))
	}
	// Left: the seeds of messages 4 and 2 (both whole keys were used).
	wr2, err := wire.ParseRecord(bob.store.SessionBytes(alice.addr()))
	if err != nil {
		t.Fatal(err)
	}
	left := wr2.Current.ReceiverChains[0].MessageKeys
	if len(left) != 2 || left[0].Index != 4 || left[1].Index != 2 || left[0].Seed == nil || left[1].Seed == nil {
		t.Fatalf("keys left after use: %+v", left)
	}
}

// TestRecordKeyOrder checks that skipped keys stored in another order than
// libsignal's (newest first) are accepted and written back newest first.
func TestRecordKeyOrder(t *testing.T) {
	enc := recordWithSkipped(t, 30)
	for name, reorder := range map[string]func([]wire.MessageKey){
		"oldest first": slices.Reverse[[]wire.MessageKey],
		"two swapped":  func(k []wire.MessageKey) { k[3], k[17] = k[17], k[3] },
	} {
		wr, err := wire.ParseRecord(enc)
		if err != nil {
			t.Fatal(err)
		}
		rcs := wr.Current.ReceiverChains
		reorder(rcs[len(rcs)-1].MessageKeys)
		rec, err := session.ParseRecord(wr.Append(nil))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, err := rec.MarshalBinary(); err != nil || !bytes.Equal(got, enc) {
			t.Fatalf("%s: not written back in libsignal's order (%v)", name, err)
		}
	}
	// A repeated index is refused.
	wr, err := wire.ParseRecord(enc)
	if err != nil {
		t.Fatal(err)
	}
	keys := wr.Current.ReceiverChains[len(wr.Current.ReceiverChains)-1].MessageKeys
	keys[5].Index = keys[6].Index
	if _, err := session.ParseRecord(wr.Append(nil)); err == nil {
		t.Fatal("repeated skipped index accepted")
	}
}

// TestRecordCloneSkipped checks that a clone of a record with skipped keys
// is independent of the original: a skipped message decrypted with one is
// still decryptable with the other.
func TestRecordCloneSkipped(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, false, true)); err != nil {
		t.Fatal(err)
	}
	var msgs []session.Message
	for i := range 50 {
		msgs = append(msgs, send(t, alice, bob, fmt.Sprint("m", i)))
	}
	recv(t, bob, alice, msgs[49], "m49")
	enc := bob.store.SessionBytes(alice.addr())
	rec, err := session.ParseRecord(enc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rec.Clone()
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.store.StoreSession(ctx, alice.addr(), c, session.Consumed{}); err != nil {
		t.Fatal(err)
	}
	recv(t, bob, alice, msgs[10], "m10")
	if got, _ := rec.MarshalBinary(); !bytes.Equal(got, enc) {
		t.Fatal("using the clone changed the original")
	}
	if err := bob.store.StoreSession(ctx, alice.addr(), rec, session.Consumed{}); err != nil {
		t.Fatal(err)
	}
	recv(t, bob, alice, msgs[10], "m10")
}

// handingOver is a memstore whose LoadSession hands the stored bytes over
// with ParseRecordOwned (a copy of them, as a database driver's fresh
// buffer), and keeps every buffer it handed over with a copy, so that a
// test can check that nothing ever wrote into one.
type handingOver struct {
	*memstore.Store
	given [][2][]byte // buffer, copy
}

func (s *handingOver) LoadSession(_ context.Context, addr session.Address) (*session.Record, error) {
	b := s.SessionBytes(addr)
	if b == nil {
		return nil, nil
	}
	s.given = append(s.given, [2][]byte{b, bytes.Clone(b)})
	return session.ParseRecordOwned(b)
}

// TestParseRecordOwned runs v4 and v3 conversations (with skipped and late
// messages, and new sessions that archive the old ones) on stores whose
// records are parsed with ParseRecordOwned: they work as with ParseRecord,
// a record re-encodes to its input, and no buffer handed over is ever
// written to.
func TestParseRecordOwned(t *testing.T) {
	ctx := context.Background()
	for _, pq := range []bool{true, false} {
		alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
		var stores []*handingOver
		for _, d := range []*device{alice, bob} {
			s := &handingOver{Store: d.store}
			stores = append(stores, s)
			d.m = session.NewManager(session.StoresOf(s))
		}
		for round := range 3 {
			if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(t, round%2 == 0, pq)); err != nil {
				t.Fatal(err)
			}
			recv(t, bob, alice, send(t, alice, bob, "hello"), "hello")
			recv(t, alice, bob, send(t, bob, alice, "hi"), "hi")
			for i := range 12 {
				late := send(t, alice, bob, "late")
				send(t, alice, bob, "lost")
				recv(t, bob, alice, send(t, alice, bob, "on time"), "on time")
				recv(t, bob, alice, late, "late")
				if i%3 == 0 {
					recv(t, alice, bob, send(t, bob, alice, "back"), "back")
				}
			}
		}
		for _, enc := range [][]byte{alice.store.SessionBytes(bob.addr()), bob.store.SessionBytes(alice.addr())} {
			rec, err := session.ParseRecordOwned(bytes.Clone(enc))
			if err != nil {
				t.Fatal(err)
			}
			if rec.ArchivedStates() != 2 {
				t.Fatalf("%d archived states", rec.ArchivedStates())
			}
			if got, err := rec.MarshalBinary(); err != nil || !bytes.Equal(got, enc) {
				t.Fatalf("an owned record re-encodes differently (%v)", err)
			}
		}
		for _, s := range stores {
			if len(s.given) < 50 {
				t.Fatalf("only %d records handed over", len(s.given))
			}
			for i, g := range s.given {
				if !bytes.Equal(g[0], g[1]) {
					t.Fatalf("pq %t: buffer %d of %d handed over was written to", pq, i, len(s.given))
				}
			}
		}
	}
}
