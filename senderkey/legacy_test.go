package senderkey

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/forwardsecret/signal/curve"
)

// TestLegacyLayout pins the legacy layouts to libsignal-protocol-c's
// WhisperTextProtocol.proto (signalapp/libsignal-protocol-c, commit
// 3a83a4f4ed2302ff6e68ab569c88793b50c22d28, protobuf/WhisperTextProtocol.proto):
// SenderKeyMessage {1 id; 2 iteration; 3 ciphertext}, SenderKeyDistributionMessage
// {1 id; 2 iteration; 3 chainKey; 4 signingKey}, after the byte 0x33.
func TestLegacyLayout(t *testing.T) {
	alice := newMember("alice", 1)
	dm := distribute(t, alice)
	var want []byte
	want = append(want, 0x33, 0x08)
	want = binary.AppendUvarint(want, uint64(dm.ChainID()))
	want = append(want, 0x10, 0x00, 0x1a, 0x20)
	want = append(want, dm.chainKey[:]...)
	want = append(want, 0x22, 0x21)
	want = append(want, dm.SigningKey().Bytes()...)
	if got := dm.LegacyBytes(); !bytes.Equal(got, want) {
		t.Fatalf("legacy distribution message\n got %x\nwant %x", got, want)
	}
	ck := bytes.Clone(dm.chainKey[:])
	for i := 0; i < 3; i++ {
		pt := []byte(fmt.Sprint("legacy ", i))
		msg, err := alice.c.EncryptLegacy(context.Background(), alice.addr, testDist, pt)
		if err != nil {
			t.Fatal(err)
		}
		body := refEncrypt(ck, pt)
		want = append(want[:0], 0x33, 0x08)
		want = binary.AppendUvarint(want, uint64(dm.ChainID()))
		want = append(want, 0x10, byte(i), 0x1a, byte(len(body)))
		want = append(want, body...)
		if len(msg) != len(want)+64 || !bytes.Equal(msg[:len(want)], want) {
			t.Fatalf("legacy message %d\n got %x\nwant %x || signature", i, msg, want)
		}
		if !dm.SigningKey().VerifySignature(want, msg[len(want):]) {
			t.Fatal("signature")
		}
		ck = refHMAC(ck, []byte{2})
	}
}

func TestLegacyRoundTrip(t *testing.T) {
	senders := []*member{newMember("s1", 1), newMember("s2", 2), newMember("s3", 3)}
	rcv := newMember("r", 1)
	ctx := context.Background()
	group := DistributionID{1, 2, 3}
	for _, s := range senders {
		dm, err := s.c.CreateDistributionMessage(ctx, s.addr, group)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseLegacyDistributionMessage(dm.LegacyBytes(), group)
		if err != nil {
			t.Fatal(err)
		}
		if *got != *dm {
			t.Fatal("legacy distribution message round trip differs")
		}
		if err := rcv.c.ProcessDistributionMessage(ctx, s.addr, got); err != nil {
			t.Fatal(err)
		}
	}
	type sent struct {
		from    *member
		pt, msg []byte
	}
	var all []sent
	for i := 0; i < 200; i++ {
		for _, s := range senders {
			pt := []byte(fmt.Sprint(s.addr, i))
			msg, err := s.c.EncryptLegacy(ctx, s.addr, group, pt)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, sent{s, pt, msg})
		}
	}
	for _, k := range rand.New(rand.NewPCG(7, 7)).Perm(len(all)) {
		got, err := rcv.c.DecryptLegacy(ctx, all[k].from.addr, group, all[k].msg)
		if err != nil || !bytes.Equal(got, all[k].pt) {
			t.Fatalf("message %d: %q, %v", k, got, err)
		}
	}
	if _, err := rcv.c.DecryptLegacy(ctx, all[0].from.addr, group, all[0].msg); !errors.Is(err, ErrDuplicateMessage) {
		t.Fatalf("duplicate: %v", err)
	}
	// The layouts do not mix: each parser refuses the other's messages.
	modern, err := senders[0].c.Encrypt(ctx, senders[0].addr, group, []byte("m"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rcv.c.DecryptLegacy(ctx, senders[0].addr, group, modern); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("modern message as legacy: %v", err)
	}
	if _, err := rcv.c.Decrypt(ctx, senders[0].addr, all[1].msg); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("legacy message as modern: %v", err)
	}
	// The wrong group id finds no key.
	if _, err := rcv.c.DecryptLegacy(ctx, senders[0].addr, DistributionID{9}, all[3].msg); !errors.Is(err, ErrNoSenderKey) {
		t.Errorf("wrong group: %v", err)
	}
}

func TestLegacyParseErrors(t *testing.T) {
	alice := newMember("alice", 1)
	dm := distribute(t, alice)
	good := dm.LegacyBytes()
	key := dm.SigningKey().Bytes()
	field := func(b []byte, tag byte, v []byte) []byte { return append(append(b, tag, byte(len(v))), v...) }
	base := []byte{0x33, 0x08, 0x05, 0x10, 0x00}
	cases := map[string][]byte{
		"empty":         {},
		"version 2":     append([]byte{0x22}, good[1:]...),
		"version 4":     append([]byte{0x44}, good[1:]...),
		"truncated":     good[:len(good)-1],
		"no chain key":  field(bytes.Clone(base), 0x22, key),
		"no signing":    field(bytes.Clone(base), 0x1a, dm.chainKey[:]),
		"no id":         field(field([]byte{0x33, 0x10, 0x00}, 0x1a, dm.chainKey[:]), 0x22, key),
		"short chain":   field(field(bytes.Clone(base), 0x1a, dm.chainKey[:31]), 0x22, key),
		"bad key type":  field(field(bytes.Clone(base), 0x1a, dm.chainKey[:]), 0x22, append([]byte{0x06}, key[1:]...)),
		"id as bytes":   field(field(field([]byte{0x33, 0x10, 0x00}, 0x0a, []byte{1}), 0x1a, dm.chainKey[:]), 0x22, key),
		"key as varint": append(field(bytes.Clone(base), 0x1a, dm.chainKey[:]), 0x20, 0x01),
	}
	for name, b := range cases {
		if _, err := ParseLegacyDistributionMessage(b, testDist); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := ParseLegacyDistributionMessage(field(field(bytes.Clone(base), 0x1a, dm.chainKey[:]), 0x22, key), testDist); err != nil {
		t.Errorf("minimal message: %v", err)
	}
	_, err := ParseLegacyDistributionMessage(cases["bad key type"], testDist)
	if !errors.Is(err, curve.ErrInvalidPublicKey) {
		t.Errorf("bad key: %v", err)
	}

	msg, err := alice.c.EncryptLegacy(context.Background(), alice.addr, testDist, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	sig := msg[len(msg)-64:]
	for name, b := range map[string][]byte{
		"short":         msg[:65],
		"no ciphertext": append([]byte{0x33, 0x08, 0x05, 0x10, 0x00}, sig...),
		"no iteration":  append(field([]byte{0x33, 0x08, 0x05}, 0x1a, make([]byte, 16)), sig...),
		"bad version":   append([]byte{0x23}, msg[1:]...),
		"bad protobuf":  append([]byte{0x33, 0x0f}, sig...),
	} {
		err := decryptFailsLegacy(t, alice, b)
		if !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func decryptFailsLegacy(t *testing.T, m *member, msg []byte) error {
	t.Helper()
	before := recordBytes(t, m, m.addr)
	pt, err := m.c.DecryptLegacy(context.Background(), m.addr, testDist, msg)
	if err == nil || pt != nil {
		t.Fatalf("DecryptLegacy = %q, %v", pt, err)
	}
	if !bytes.Equal(before, recordBytes(t, m, m.addr)) {
		t.Fatal("record changed")
	}
	return err
}
