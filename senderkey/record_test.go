package senderkey

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/curve"
)

// TestRecordLayout pins the encoding to storage.proto's
// SenderKeyRecordStructure, written out by hand from the .proto file
// (signalapp/libsignal rust/protocol/src/proto/storage.proto):
// SenderKeyStateStructure {1 chain_id; 2 SenderChainKey {1 iteration; 2 seed};
// 3 SenderSigningKey {1 public; 2 private}; 4 repeated SenderMessageKey
// {1 iteration; 2 seed}; 5 message_version}, proto3 (zeros omitted), fields in
// number order.
func TestRecordLayout(t *testing.T) {
	rep := func(b byte, n int) string { return strings.Repeat(hex.EncodeToString([]byte{b}), n) }
	pub, err := curve.NewPublicKey(bytes.Repeat([]byte{0x22}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s := &state{version: 3, chainID: 7, signingPub: pub, keys: []skippedKey{{iteration: 5}}}
	copy(s.chain.key[:], bytes.Repeat([]byte{0x11}, 32))
	copy(s.keys[0].seed[:], bytes.Repeat([]byte{0x33}, 32))
	r := &Record{states: []*state{s}}
	stateHex := "0807" + // chain_id 7
		"1222" + "1220" + rep(0x11, 32) + // chain key, iteration 0 omitted
		"1a23" + "0a2105" + rep(0x22, 32) + // signing key, no private
		"2224" + "0805" + "1220" + rep(0x33, 32) + // one message key, iteration 5
		"2803" // message_version 3
	want := "0a73" + stateHex
	got, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got) != want {
		t.Fatalf("encoding\n got %x\nwant %s", got, want)
	}
	// With a private key, two states, and zero chain id / version / iteration.
	s2 := &state{signingPub: pub, signingPriv: bytes.Repeat([]byte{0x44}, 32), chain: chainKey{iteration: 300}}
	r.states = append(r.states, s2)
	state2Hex := "1225" + "08ac02" + "1220" + rep(0, 32) +
		"1a45" + "0a2105" + rep(0x22, 32) + "1220" + rep(0x44, 32)
	want += "0a6e" + state2Hex
	got, _ = r.AppendBinary([]byte("prefix"))
	if !bytes.HasPrefix(got, []byte("prefix")) || hex.EncodeToString(got[6:]) != want {
		t.Fatalf("encoding\n got %x\nwant %s", got[6:], want)
	}
	p, err := ParseRecord(got[6:])
	if err != nil {
		t.Fatal(err)
	}
	again, _ := p.MarshalBinary()
	if !bytes.Equal(again, got[6:]) {
		t.Fatal("parse/encode is not the identity")
	}
	if p.states[1].version != 0 || p.states[1].messageVersion() != MessageVersion {
		t.Error("version 0 must be kept as stored and read as 3")
	}
}

// TestRecordRoundTripLive: records produced by real use parse back to the
// same bytes, and a parsed record keeps working.
func TestRecordRoundTripLive(t *testing.T) {
	alice, bob := newMember("alice", 1), newMember("bob", 1)
	distribute(t, alice, bob)
	var msgs [][]byte
	for i := 0; i < 30; i++ {
		msgs = append(msgs, encrypt(t, alice, []byte(fmt.Sprint(i))))
	}
	ctx := context.Background()
	for _, i := range []int{29, 3, 17} {
		if _, err := bob.c.Decrypt(ctx, alice.addr, msgs[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []*member{alice, bob} {
		enc := recordBytes(t, m, alice.addr)
		r, err := ParseRecord(enc)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := r.MarshalBinary()
		if !bytes.Equal(enc, again) {
			t.Fatalf("%s: round trip differs", m.addr)
		}
		var u Record
		if err := u.UnmarshalBinary(enc); err != nil || u.Len() != 1 {
			t.Fatal(err)
		}
		// Replace the stored record with the parsed one: still works.
		if err := m.store.StoreSenderKey(ctx, alice.addr, testDist, r); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := bob.c.Decrypt(ctx, alice.addr, msgs[4]); err != nil || string(got) != "4" {
		t.Fatal(got, err)
	}
	ct := encrypt(t, alice, []byte("after reload"))
	if got, err := bob.c.Decrypt(ctx, alice.addr, ct); err != nil || string(got) != "after reload" {
		t.Fatal(got, err)
	}
}

func TestParseRecordErrors(t *testing.T) {
	rep := func(b byte, n int) string { return strings.Repeat(hex.EncodeToString([]byte{b}), n) }
	ck := "1222" + "1220" + rep(0x11, 32)
	sk := "1a23" + "0a2105" + rep(0x22, 32)
	wrap := func(state string) string { return fmt.Sprintf("0a%02x", len(state)/2) + state }
	if _, err := ParseRecord(mustHex(t, wrap(ck+sk))); err != nil {
		t.Fatalf("minimal state: %v", err)
	}
	cases := map[string]string{
		"truncated":          wrap(ck + sk)[:20],
		"no chain key":       wrap(sk),
		"no signing key":     wrap(ck),
		"short seed":         wrap("1221" + "121f" + rep(0x11, 31) + sk),
		"bad key type":       wrap(ck + "1a23" + "0a2106" + rep(0x22, 32)),
		"short public":       wrap(ck + "1a22" + "0a2005" + rep(0x22, 31)),
		"short private":      wrap(ck + "1a26" + "0a2105" + rep(0x22, 32) + "1201aa"),
		"short message seed": wrap(ck + sk + "2203" + "1201aa"),
		"state as varint":    "0801",
		"chain id as bytes":  wrap("0a00" + ck + sk),
		"seed as varint":     wrap("1202" + "1001" + sk),
		"end group":          "0c",
		"bad varint":         "08" + rep(0xff, 10) + "01",
	}
	for name, h := range cases {
		if _, err := ParseRecord(mustHex(t, h)); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("%s: err = %v, want ErrInvalidRecord", name, err)
		}
	}
	if _, err := ParseRecord(make([]byte, MaxRecordSize+1)); !errors.Is(err, ErrInvalidRecord) {
		t.Error("oversized record accepted")
	}
	// Protobuf merging: fields in any order, unknown fields, split
	// sub-messages (the chain key's iteration and seed in two occurrences).
	merged := wrap("2803" + "1203" + "08ac02" + sk + "9a0100" + "1222" + "1220" + rep(0x11, 32) + "0807")
	r, err := ParseRecord(mustHex(t, merged))
	if err != nil {
		t.Fatal(err)
	}
	if s := r.states[0]; s.chain.iteration != 300 || s.chainID != 7 || s.version != 3 || s.chain.key[0] != 0x11 {
		t.Fatalf("merged state: %+v", *s)
	}
	// The empty record.
	if r, err := ParseRecord(nil); err != nil || r.Len() != 0 {
		t.Fatal(r, err)
	}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRecordCorruptSigningKey(t *testing.T) {
	alice := newMember("alice", 1)
	distribute(t, alice)
	editOwnState(t, alice, func(s *state) {
		s.signer = nil
		s.signingPriv = bytes.Repeat([]byte{1}, 32) // does not match the public key
	})
	if _, err := alice.c.Encrypt(context.Background(), alice.addr, testDist, nil); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("mismatched private key: %v", err)
	}
}

// TestNoSecretsPrinted: neither records nor distribution messages print key
// material under any fmt verb.
func TestNoSecretsPrinted(t *testing.T) {
	alice, bob := newMember("alice", 1), newMember("bob", 1)
	dm := distribute(t, alice, bob)
	rec, _ := alice.store.LoadSenderKey(context.Background(), alice.addr, testDist)
	secrets := []string{
		hex.EncodeToString(dm.chainKey[:]),
		hex.EncodeToString(rec.states[0].signingPriv),
		fmt.Sprint(dm.chainKey[:]),
		fmt.Sprint(rec.states[0].chain.key[:]),
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		for _, v := range []any{dm, *dm, rec, *rec} {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				if strings.Contains(out, s) || strings.Contains(strings.ToLower(out), s[:16]) {
					t.Errorf("%s of %T prints a secret: %s", verb, v, out)
				}
			}
		}
	}
	if !strings.Contains(fmt.Sprint(dm), dm.SigningKey().String()) || !strings.Contains(fmt.Sprint(rec), fmt.Sprint(dm.ChainID())) {
		t.Error("String lacks the public fields")
	}
}
