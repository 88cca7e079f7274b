package ratchet

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/curve"
)

// Tests added for mutants that survived the suite (docs/mutation.md).

func mutSeed(n uint32) *[KeySize]byte {
	s := sha256.Sum256(binary.BigEndian.AppendUint32([]byte("mutation seed"), n))
	return &s
}

// TestBuilderErrorSticksWithRoom: an error recorded while the current
// chain still has room for skipped keys is returned by the Add methods
// (which must not store the key) and by Build.
func TestBuilderErrorSticksWithRoom(t *testing.T) {
	other := mustKeyPair(t)
	for _, add := range []struct {
		name string
		f    func(b *Builder) error
	}{
		{"AddSkippedSeed", func(b *Builder) error { return b.AddSkippedSeed(1, mutSeed(1)) }},
		{"AddSkippedKeys", func(b *Builder) error { return b.AddSkippedKeys(1, wholeKeys(*mutSeed(1))) }},
	} {
		b := NewBuilder([KeySize]byte{1}, 0)
		if err := b.AddReceiver(mustKeyPair(t).Public, ChainKey{Index: 10}, 0, 2); err != nil {
			t.Fatal(err)
		}
		mismatched := curve.KeyPair{Private: mustKeyPair(t).Private, Public: other.Public}
		first := b.SetSender(mismatched, ChainKey{})
		if !errors.Is(first, ErrInvalidState) {
			t.Fatalf("SetSender with mismatched halves: %v", first)
		}
		if err := add.f(b); err != first {
			t.Errorf("%s after an error = %v, want the first error %v", add.name, err, first)
		}
		if _, err := b.Build(); err != first {
			t.Errorf("Build after an error = %v, want the first error %v", err, first)
		}
	}
}

// TestBuilderErrorsNameChain: the Builder's errors about skipped keys name
// the receiving chain they are about.
func TestBuilderErrorsNameChain(t *testing.T) {
	build := func(floor, index uint32, keys ...uint32) error {
		b := NewBuilder([KeySize]byte{1}, 0)
		if err := b.AddReceiver(mustKeyPair(t).Public, ChainKey{Index: 5}, 0, 0); err != nil {
			t.Fatal(err)
		}
		if err := b.AddReceiver(mustKeyPair(t).Public, ChainKey{Index: index}, floor, 0); err != nil {
			t.Fatal(err)
		}
		for _, n := range keys {
			if err := b.AddSkippedSeed(n, mutSeed(n)); err != nil {
				return err
			}
		}
		_, err := b.Build()
		return err
	}
	many := make([]uint32, MaxSkippedKeysPerChain+1)
	for i := range many {
		many[i] = uint32(i)
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"too many", build(0, 3000, many...), "receiving chain 1 stores more than MaxSkippedKeysPerChain"},
		{"repeated", build(0, 10, 5, 7, 5), "receiving chain 1: skipped index 5 repeated"},
		{"not below the chain index", build(0, 10, 10), "receiving chain 1: skipped index 10 not below chain index 10"},
		{"below the floor", build(4, 10, 3), "receiving chain 1: skipped index 3 below floor 4"},
	} {
		if !errors.Is(tc.err, ErrInvalidState) || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, tc.err, tc.want)
		}
	}
}

// TestBuilderFullChainFloor: a chain stored with MaxSkippedKeysPerChain keys
// and no floor gets its lowest index as floor (older keys were dropped); a
// floor given is kept.
func TestBuilderFullChainFloor(t *testing.T) {
	for _, given := range []uint32{0, 50} {
		b := NewBuilder([KeySize]byte{1}, 0)
		if err := b.AddReceiver(mustKeyPair(t).Public, ChainKey{Index: 100 + MaxSkippedKeysPerChain}, given, MaxSkippedKeysPerChain); err != nil {
			t.Fatal(err)
		}
		for n := uint32(100); n < 100+MaxSkippedKeysPerChain; n++ {
			if err := b.AddSkippedSeed(n, mutSeed(n)); err != nil {
				t.Fatal(err)
			}
		}
		s, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		want := given
		if given == 0 {
			want = 100
		}
		if got := s.View().Receivers[0].SkippedFloor; got != want {
			t.Errorf("floor given %d: floor = %d, want %d", given, got, want)
		}
	}
}

// TestCBCPaddingChecked: every padding byte is checked, for every padding
// length, and bad paddings are refused.
func TestCBCPaddingChecked(t *testing.T) {
	key := [32]byte{1, 2, 3}
	iv := [16]byte{4, 5, 6}
	blk, err := aes.NewCipher(key[:])
	if err != nil {
		t.Fatal(err)
	}
	encryptRaw := func(pt []byte) []byte {
		out := make([]byte, len(pt))
		cipher.NewCBCEncrypter(blk, iv[:]).CryptBlocks(out, pt)
		return out
	}
	const n = 2 * aes.BlockSize
	for pad := 0; pad <= 255; pad++ {
		pt := bytes.Repeat([]byte{0xA5}, n)
		for i := n - max(1, min(pad, aes.BlockSize)); i < n; i++ {
			pt[i] = byte(pad)
		}
		got, err := cbcDecrypt(nil, &key, &iv, encryptRaw(pt))
		if pad < 1 || pad > aes.BlockSize {
			if !errors.Is(err, ErrInvalidCiphertext) {
				t.Fatalf("padding byte %d: err = %v, want ErrInvalidCiphertext", pad, err)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, pt[:n-pad]) {
			t.Fatalf("padding %d: got %x, %v", pad, got, err)
		}
		// Spoil each padding byte but the last (which sets the length).
		for j := 2; j <= pad; j++ {
			bad := bytes.Clone(pt)
			bad[n-j] ^= 0x40
			if got, err := cbcDecrypt(nil, &key, &iv, encryptRaw(bad)); !errors.Is(err, ErrInvalidCiphertext) {
				t.Fatalf("padding %d with byte %d from the end spoiled: got %x, %v", pad, j, got, err)
			}
		}
	}
}

// TestCBCDecryptInPlace: with dst = body[:0] the plaintext is written over
// the ciphertext, allocating nothing (cbcDecrypt's contract).
func TestCBCDecryptInPlace(t *testing.T) {
	key := [32]byte{7}
	iv := [16]byte{8}
	for _, size := range []int{0, 15, 100, cbcLoopMax + 5} {
		pt := bytes.Repeat([]byte{0x3c}, size)
		body := cbcEncrypt(nil, &key, &iv, pt)
		got, err := cbcDecrypt(body[:0], &key, &iv, body)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("size %d: got %x, %v", size, got, err)
		}
		if size > 0 && &got[0] != &body[0] {
			t.Errorf("size %d: plaintext not written in place", size)
		}
	}
}

func TestSliceForAppendCapacity(t *testing.T) {
	in := make([]byte, 3, 10)
	copy(in, "abc")
	whole, tail := sliceForAppend(in, 7)
	if len(whole) != 10 || len(tail) != 7 || &whole[0] != &in[0] || &tail[0] != &in[:4][3] {
		t.Error("exact capacity: storage not reused")
	}
	whole, tail = sliceForAppend(in, 8)
	if len(whole) != 11 || len(tail) != 8 || &whole[0] == &in[0] || string(whole[:3]) != "abc" {
		t.Error("capacity one short: not a fresh copy")
	}
}

// mutChainState returns a state with a sending chain and one receiving
// chain for peer at the given index.
func mutChainState(t *testing.T, peer curve.PublicKey, index uint32) *State {
	t.Helper()
	b := NewBuilder([KeySize]byte{1}, 0)
	if err := b.SetSender(mustKeyPair(t), ChainKey{}); err != nil {
		t.Fatal(err)
	}
	if err := b.AddReceiver(peer, ChainKey{Index: index}, 0, 0); err != nil {
		t.Fatal(err)
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCostJumpBoundary: a jump of exactly the bound is allowed, one more is
// refused, and so is the last counter of a chain however short the jump.
func TestCostJumpBoundary(t *testing.T) {
	peer := mustKeyPair(t).Public
	s := mutChainState(t, peer, 10)
	s.SetMaxForwardJump(100)
	if got, want := s.Cost(Header{RatchetKey: peer, Counter: 110}), (Cost{ChainSteps: 101, Work: work(100)}); got != want {
		t.Errorf("jump of the bound: Cost = %+v, want %+v", got, want)
	}
	if got := s.Cost(Header{RatchetKey: peer, Counter: 111}); got != (Cost{}) {
		t.Errorf("jump one over the bound: Cost = %+v, want refusal", got)
	}
	s = mutChainState(t, peer, math.MaxUint32-5)
	if got := s.Cost(Header{RatchetKey: peer, Counter: math.MaxUint32}); got != (Cost{}) {
		t.Errorf("counter MaxUint32: Cost = %+v, want refusal", got)
	}
	if got := s.Cost(Header{RatchetKey: peer, Counter: math.MaxUint32 - 1}); got.ChainSteps != 5 {
		t.Errorf("counter MaxUint32-1: Cost = %+v, want 5 steps", got)
	}
}

// TestUnmarshalForwardJumpSetting: decoding into a live state keeps its
// forward-jump setting; into the zero State, or a state whose setting is 0,
// it gives the default.
func TestUnmarshalForwardJumpSetting(t *testing.T) {
	alice, bob := newPair(t)
	enc := encoded(t, bob.s)
	alice.s.SetMaxForwardJump(7)
	if err := alice.s.UnmarshalBinary(enc); err != nil {
		t.Fatal(err)
	}
	if alice.s.maxJump != 7 {
		t.Errorf("live state: maxJump = %d, want the setting 7", alice.s.maxJump)
	}
	alice.s.SetMaxForwardJump(0)
	if err := alice.s.UnmarshalBinary(enc); err != nil {
		t.Fatal(err)
	}
	if alice.s.maxJump != MaxForwardJump {
		t.Errorf("setting 0: maxJump = %d, want MaxForwardJump", alice.s.maxJump)
	}
	var z State
	if err := z.UnmarshalBinary(enc); err != nil {
		t.Fatal(err)
	}
	if z.maxJump != MaxForwardJump {
		t.Errorf("zero State: maxJump = %d, want MaxForwardJump", z.maxJump)
	}
}

func TestParseMagicBytes(t *testing.T) {
	_, bob := newPair(t)
	enc := encoded(t, bob.s)
	for i, want := range []string{"not a ratchet state encoding", "not a ratchet state encoding", "unknown encoding version"} {
		bad := bytes.Clone(enc)
		bad[i] ^= 0x20
		var s State
		if err := s.UnmarshalBinary(bad); !errors.Is(err, ErrInvalidState) || !strings.Contains(err.Error(), want) {
			t.Errorf("byte %d changed: err = %v, want %q", i, err, want)
		}
	}
}

// mutBuilt builds a state with one receiving chain holding skipped keys
// 0..n-1 (at chain index n) and the given number of dropped ratchet keys.
func mutBuilt(t *testing.T, n, dropped int) *State {
	t.Helper()
	b := NewBuilder([KeySize]byte{1}, 0)
	if err := b.SetSender(mustKeyPair(t), ChainKey{}); err != nil {
		t.Fatal(err)
	}
	if err := b.AddReceiver(mustKeyPair(t).Public, ChainKey{Index: uint32(n)}, 0, n); err != nil {
		t.Fatal(err)
	}
	for i := range uint32(n) {
		if err := b.AddSkippedSeed(i, mutSeed(i)); err != nil {
			t.Fatal(err)
		}
	}
	for range dropped {
		if err := b.AddDropped(mustKeyPair(t).Public); err != nil {
			t.Fatal(err)
		}
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEncodingAtLimits: a chain with MaxSkippedKeysPerChain keys and
// MaxReceiverChains dropped keys round-trip.
func TestEncodingAtLimits(t *testing.T) {
	s := mutBuilt(t, MaxSkippedKeysPerChain, MaxReceiverChains)
	enc := encoded(t, s)
	var got State
	if err := got.UnmarshalBinary(enc); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encoded(t, &got), enc) {
		t.Fatal("round trip changed the state")
	}
	if v := got.View(); v.Receivers[0].Skipped.Len() != MaxSkippedKeysPerChain || len(got.dropped) != MaxReceiverChains {
		t.Fatalf("%d skipped keys, %d dropped keys", v.Receivers[0].Skipped.Len(), len(got.dropped))
	}
}

// TestParseSkippedKeysDamage: a cut inside the skipped keys is reported as
// truncation, a repeated index as disorder.
func TestParseSkippedKeysDamage(t *testing.T) {
	const n = 100
	enc := encoded(t, mutBuilt(t, n, 0))
	// The encoding ends with the last skipped key (index 4 bytes, kind 1,
	// seed 32) and the dropped-key count (1): keep 2 bytes of the last key.
	const keySize = 4 + 1 + KeySize
	cut := enc[:len(enc)-1-keySize+2]
	var s State
	if err := s.UnmarshalBinary(cut); !errors.Is(err, ErrInvalidState) || !strings.Contains(err.Error(), "truncated encoding") {
		t.Errorf("cut in the last skipped key: err = %v, want truncation", err)
	}
	rep := bytes.Clone(enc)
	last := len(rep) - 1 - keySize
	binary.BigEndian.PutUint32(rep[last:], n-2) // the index of the key before
	if err := s.UnmarshalBinary(rep); !errors.Is(err, ErrInvalidState) || !strings.Contains(err.Error(), "skipped keys out of order") {
		t.Errorf("repeated skipped index: err = %v, want disorder", err)
	}
}

// TestSkippedViewLegacy: HasLegacy and Keys report the whole keys of an
// older record, and only those.
func TestSkippedViewLegacy(t *testing.T) {
	_, bob, _ := bobWithSkipped(t, 5)
	plain := bob.s.View().Receivers[0].Skipped
	if plain.HasLegacy() {
		t.Error("HasLegacy on seeds only")
	}
	if _, ok := plain.Keys(2); ok {
		t.Error("Keys on a seed")
	}
	seed := plain.Seed(2)
	st, err := FromSnapshot(withLegacy(t, bob.s, 0, 2))
	if err != nil {
		t.Fatal(err)
	}
	v := st.View().Receivers[0].Skipped
	if !v.HasLegacy() {
		t.Error("HasLegacy false with whole keys stored")
	}
	for j := range v.Len() {
		k, ok := v.Keys(j)
		if ok != (v.Index(j) == 2) {
			t.Errorf("Keys(%d) (index %d): ok = %v", j, v.Index(j), ok)
		}
		if ok && k != *wholeKeys(seed) {
			t.Errorf("Keys(%d): wrong keys", j)
		}
	}
}

func TestSummariesNameSendingChain(t *testing.T) {
	_, bob := newPair(t)
	if got, want := fmt.Sprint(bob.s.View()), "ratchet.View(REDACTED, sending chain true, 0 receiving chains)"; got != want {
		t.Errorf("View: %q, want %q", got, want)
	}
	if got, want := fmt.Sprint(*bob.s.Snapshot()), "ratchet.Snapshot(REDACTED, sending chain true, 0 receiving chains)"; got != want {
		t.Errorf("Snapshot: %q, want %q", got, want)
	}
	b := NewBuilder([KeySize]byte{1}, 0)
	if err := b.AddReceiver(mustKeyPair(t).Public, ChainKey{}, 0, 0); err != nil {
		t.Fatal(err)
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(s.View()), "ratchet.View(REDACTED, sending chain false, 1 receiving chains)"; got != want {
		t.Errorf("View: %q, want %q", got, want)
	}
	if got, want := fmt.Sprint(*s.Snapshot()), "ratchet.Snapshot(REDACTED, sending chain false, 1 receiving chains)"; got != want {
		t.Errorf("Snapshot: %q, want %q", got, want)
	}
}

// TestSkippedFloorOverAConversation follows one receiving chain through
// jumps that keep every skipped key, that overflow the per-chain bound, and
// that exceed it on their own, checking the floor (every dropped key is
// below it, every kept one at or above it) after each.
func TestSkippedFloorOverAConversation(t *testing.T) {
	alice, bob := newPair(t)
	msgs := make([]testMsg, 4601)
	for i := range msgs {
		msgs[i] = alice.send(t, []byte{byte(i)})
	}
	floor := func() uint32 { return bob.s.View().Receivers[0].SkippedFloor }
	recv := func(i int) error {
		_, err := bob.recv(msgs[i])
		return err
	}
	mustRecv := func(i int) {
		t.Helper()
		if err := recv(i); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	mustRecv(1500) // keys 0..1499
	mustRecv(1600) // and 1501..1599: 1599 keys, none dropped
	if f := floor(); f != 0 {
		t.Fatalf("after 1600: floor %d, want 0", f)
	}
	mustRecv(2010) // and 1601..2009: 2008 keys, 0..7 dropped
	if f := floor(); f != 8 {
		t.Fatalf("after 2010: floor %d, want 8", f)
	}
	if err := recv(7); !errors.Is(err, ErrSkippedKeyDropped) {
		t.Fatalf("message 7: err = %v, want ErrSkippedKeyDropped", err)
	}
	mustRecv(8)
	mustRecv(4600) // a jump of 2589 from 2011: keys below 2600 dropped
	if f := floor(); f != 2600 {
		t.Fatalf("after 4600: floor %d, want 2600", f)
	}
	if err := recv(2599); !errors.Is(err, ErrSkippedKeyDropped) {
		t.Fatalf("message 2599: err = %v, want ErrSkippedKeyDropped", err)
	}
	mustRecv(2600)
	mustRecv(4599)
}

// TestWipePendingScratch: the scratch of skipped keys is wiped, and kept
// for reuse only up to 64 entries of capacity.
func TestWipePendingScratch(t *testing.T) {
	s := newState()
	for _, c := range []int{1, 64, 65, 200} {
		s.pend = make([]skippedKey, 1, c)
		s.pend[0].seed = *mutSeed(1)
		p := s.pend
		s.wipePending()
		if p[0].seed != ([KeySize]byte{}) {
			t.Errorf("cap %d: seed not wiped", c)
		}
		if kept := s.pend != nil; kept != (c <= 64) {
			t.Errorf("cap %d: scratch kept = %v", c, kept)
		}
		if len(s.pend) != 0 {
			t.Errorf("cap %d: %d entries left", c, len(s.pend))
		}
	}
}
