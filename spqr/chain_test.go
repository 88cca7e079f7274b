package spqr

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"testing"
)

func TestChainDirectionsMatch(t *testing.T) {
	a2b := newChain([]byte("1"), A2B, ChainParams{})
	b2a := newChain([]byte("1"), B2A, ChainParams{})
	idx, k, err := a2b.sendKey(0)
	if err != nil || idx != 1 {
		t.Fatalf("first index %d, %v; want 1", idx, err)
	}
	if k2, err := b2a.recvKey(0, 1); err != nil || !bytes.Equal(k, k2) {
		t.Fatal("A2B key 1 differs")
	}
	if err := a2b.addEpoch(1, []byte{2}); err != nil {
		t.Fatal(err)
	}
	if err := b2a.addEpoch(1, []byte{2}); err != nil {
		t.Fatal(err)
	}
	if idx, k, _ = a2b.sendKey(1); idx != 1 {
		t.Fatalf("index in a new epoch = %d, want 1", idx)
	}
	if k2, _ := b2a.recvKey(1, 1); !bytes.Equal(k, k2) {
		t.Fatal("epoch 1 key differs")
	}
	for range 8 {
		a2b.sendKey(1)
	}
	idx, k, _ = a2b.sendKey(1)
	if k2, _ := b2a.recvKey(1, 10); idx != 10 || !bytes.Equal(k, k2) {
		t.Fatal("skipping ahead gives a different key")
	}
	// B2A works the other way.
	_, k, _ = b2a.sendKey(1)
	if k2, _ := a2b.recvKey(1, 1); !bytes.Equal(k, k2) {
		t.Fatal("B2A key differs")
	}
	if err := a2b.addEpoch(3, []byte{1}); !errors.Is(err, ErrEpochOutOfRange) {
		t.Fatalf("skipping an epoch: %v", err)
	}
}

// TestChainKnownAnswer pins the chain KDF: labels (with the two spaces in
// "Chain  Start"), be32 counter prefix, and the A2B/B2A halves, computed
// here independently with crypto/hkdf.
func TestChainKnownAnswer(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	start := kdf(make([]byte, 32), key, "Signal PQ Ratchet V1 Chain  Start", 96)
	next := kdf(make([]byte, 32), start[32:64], "\x00\x00\x00\x01Signal PQ Ratchet V1 Chain Next", 64)
	c := newChain(key, A2B, ChainParams{})
	_, k, _ := c.sendKey(0)
	if !bytes.Equal(k, next[32:]) || !bytes.Equal(c.links[0].send.next, next[:32]) {
		t.Fatal("send key 1 does not follow the specification")
	}
	secret := []byte("epoch secret")
	add := kdf(start[:32], secret, "Signal PQ Ratchet V1 Chain Add Epoch", 96)
	c.addEpoch(1, secret)
	if !bytes.Equal(c.nextRoot, add[:32]) || !bytes.Equal(c.links[1].recv.next, add[64:]) {
		t.Fatal("add epoch does not follow the specification")
	}
}

func TestChainKeyErrors(t *testing.T) {
	c := newChain([]byte("1"), A2B, ChainParams{MaxJump: 10, MaxOutOfOrderKeys: 5})
	if _, err := c.recvKey(0, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := c.recvKey(0, 2); !errors.Is(err, ErrKeyAlreadyRequested) {
		t.Fatalf("repeat: %v", err)
	}
	if _, err := c.recvKey(0, 1); err != nil {
		t.Fatalf("skipped key 1: %v", err)
	}
	if _, err := c.recvKey(0, 13); !errors.Is(err, ErrKeyJump) {
		t.Fatalf("jump of 11 > 10: %v", err)
	}
	if _, err := c.recvKey(0, 12); err != nil {
		t.Fatalf("jump of 10: %v", err)
	}
	if _, err := c.recvKey(0, 3); !errors.Is(err, ErrKeyTrimmed) {
		t.Fatalf("key 3 with counter 12 and 5 kept: %v", err)
	}
	for i := uint32(7); i < 12; i++ {
		if _, err := c.recvKey(0, i); err != nil {
			t.Fatalf("kept key %d: %v", i, err)
		}
	}
	if _, err := c.recvKey(1, 1); !errors.Is(err, ErrEpochOutOfRange) {
		t.Fatalf("future epoch: %v", err)
	}
	var ke *KeyError
	_, err := c.recvKey(0, 100)
	if !errors.As(err, &ke) || ke.Limit != 10 || ke.Current != 12 || ke.Error() == "" {
		t.Fatalf("KeyError fields: %+v", ke)
	}
}

// TestChainTrim checks that the skipped-key history stays bounded.
func TestChainTrim(t *testing.T) {
	c := newChain([]byte("1"), A2B, ChainParams{})
	var at uint32
	for range 20 {
		at += 1999
		if _, err := c.recvKey(0, at); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.links[0].recv.prev) / keyHistoryEntry; n > (ChainParams{}).trimSize() {
		t.Fatalf("history holds %d keys", n)
	}
	if _, err := c.recvKey(0, at-1); err != nil {
		t.Fatalf("recent skipped key: %v", err)
	}
}

// TestChainEpochPruning checks that sending in a new epoch keeps one older
// epoch for late messages and drops the rest.
func TestChainEpochPruning(t *testing.T) {
	a := newChain([]byte("1"), A2B, ChainParams{})
	b := newChain([]byte("1"), B2A, ChainParams{})
	for e := uint64(1); e <= 3; e++ {
		a.addEpoch(e, []byte{byte(e)})
		b.addEpoch(e, []byte{byte(e)})
	}
	_, k2, _ := b.sendKey(2)
	if _, _, err := a.sendKey(3); err != nil {
		t.Fatal(err)
	}
	if len(a.links) != 2 {
		t.Fatalf("links = %d, want 2", len(a.links))
	}
	if k, err := a.recvKey(2, 1); err != nil || !bytes.Equal(k, k2) {
		t.Fatalf("late epoch-2 message: %v", err)
	}
	if _, err := a.recvKey(1, 1); !errors.Is(err, ErrEpochOutOfRange) {
		t.Fatalf("pruned epoch: %v", err)
	}
	if _, _, err := a.sendKey(2); !errors.Is(err, ErrSendEpochDecreased) {
		t.Fatalf("sending in an older epoch: %v", err)
	}
}

// TestAuthenticatorKnownAnswer pins the authenticator against an
// independent computation with crypto/hkdf and crypto/hmac: the initial
// update from all-zero keys, the be64 epoch suffix of the labels, and the
// MAC inputs label || be64(epoch) || data.
func TestAuthenticatorKnownAnswer(t *testing.T) {
	key := bytes.Repeat([]byte{9}, 32)
	ikm := append(make([]byte, 32), key...)
	out, _ := hkdf.Key(sha256.New, ikm, make([]byte, 32), "Signal_PQCKA_V1_MLKEM768:Authenticator Update\x00\x00\x00\x00\x00\x00\x00\x01", 64)
	a := newAuthenticator(key, 1)
	if !bytes.Equal(a.rootKey, out[:32]) || !bytes.Equal(a.macKey, out[32:]) {
		t.Fatal("authenticator init differs")
	}
	h := hmac.New(sha256.New, out[32:])
	h.Write([]byte("Signal_PQCKA_V1_MLKEM768:ekheader\x00\x00\x00\x00\x00\x00\x00\x01hdr"))
	if !bytes.Equal(a.macHeader(1, []byte("hdr")), h.Sum(nil)) {
		t.Fatal("header MAC differs")
	}
	h = hmac.New(sha256.New, out[32:])
	h.Write([]byte("Signal_PQCKA_V1_MLKEM768:ciphertext\x00\x00\x00\x00\x00\x00\x00\x02ct"))
	if !bytes.Equal(a.macCiphertext(2, []byte("ct")), h.Sum(nil)) {
		t.Fatal("ciphertext MAC differs")
	}
	if err := a.verify(labelMACCiphertext, 2, []byte("ct"), h.Sum(nil)); err != nil {
		t.Fatal(err)
	}
	if err := a.verify(labelMACCiphertext, 3, []byte("ct"), h.Sum(nil)); !errors.Is(err, ErrMAC) {
		t.Fatal("wrong epoch verified")
	}
	ss := bytes.Repeat([]byte{3}, 32)
	want, _ := hkdf.Key(sha256.New, ss, make([]byte, 32), "Signal_PQCKA_V1_MLKEM768:SCKA Key\x00\x00\x00\x00\x00\x00\x00\x05", 32)
	if !bytes.Equal(sckaKey(ss, 5), want) {
		t.Fatal("SCKA key differs")
	}
}
