package senderkey

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
)

func refHMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// refHKDF is RFC 5869 written out: extract with a zero salt, then expand.
func refHKDF(ikm []byte, info string, n int) []byte {
	prk := refHMAC(make([]byte, 32), ikm)
	var out, t []byte
	for i := byte(1); len(out) < n; i++ {
		t = refHMAC(prk, append(append(append([]byte{}, t...), info...), i))
		out = append(out, t...)
	}
	return out[:n]
}

// refEncrypt is the message body at one chain key, from the description in
// PROTOCOL.md ("SenderKeyMessage") with standard-library primitives only.
func refEncrypt(ck, plaintext []byte) []byte {
	okm := refHKDF(refHMAC(ck, []byte{1}), "WhisperGroup", 48)
	iv, key := okm[:16], okm[16:]
	pad := 16 - len(plaintext)%16
	buf := append(bytes.Clone(plaintext), bytes.Repeat([]byte{byte(pad)}, pad)...)
	block, _ := aes.NewCipher(key)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)
	return buf
}

// TestAgainstReference checks the sender's bytes against an independent
// computation: chain steps, message keys, AES-CBC body, protobuf layout
// (0x33, field order, varints) and the XEdDSA signature.
func TestAgainstReference(t *testing.T) {
	alice := newMember("alice", 1)
	dm := distribute(t, alice)
	ck := bytes.Clone(dm.chainKey[:])
	for i := 0; i < 40; i++ {
		pt := bytes.Repeat([]byte{byte(i)}, i*3)
		msg := encrypt(t, alice, pt)
		body := refEncrypt(ck, pt)
		var want []byte
		want = append(want, 0x33, 0x0a, 0x10)
		want = append(want, testDist[:]...)
		want = append(want, 0x10)
		want = binary.AppendUvarint(want, uint64(dm.ChainID()))
		want = append(want, 0x18)
		want = binary.AppendUvarint(want, uint64(i))
		want = append(want, 0x22)
		want = binary.AppendUvarint(want, uint64(len(body)))
		want = append(want, body...)
		if len(msg) != len(want)+64 || !bytes.Equal(msg[:len(want)], want) {
			t.Fatalf("iteration %d:\n got %x\nwant %x || signature", i, msg, want)
		}
		if !dm.SigningKey().VerifySignature(want, msg[len(want):]) {
			t.Fatalf("iteration %d: signature does not verify", i)
		}
		ck = refHMAC(ck, []byte{2})
	}
}

// TestReferenceMessageDecrypts: a message built entirely by the reference
// computation (and signed with the chain's key) decrypts.
func TestReferenceMessageDecrypts(t *testing.T) {
	alice, bob := newMember("alice", 1), newMember("bob", 1)
	dm := distribute(t, alice, bob)
	ck := bytes.Clone(dm.chainKey[:])
	for i := 0; i < 7; i++ {
		ck = refHMAC(ck, []byte{2})
	}
	msg := signedMessage(t, alice, 7, refEncrypt(ck, []byte("reference")))
	if got, err := bob.c.Decrypt(context.Background(), alice.addr, msg); err != nil || string(got) != "reference" {
		t.Fatalf("%q, %v", got, err)
	}
}

func TestDistributionMessage(t *testing.T) {
	alice := newMember("alice", 1)
	dm := distribute(t, alice)
	b := dm.Bytes()
	if b[0] != 0x33 {
		t.Fatalf("version byte %#x", b[0])
	}
	p, err := ParseDistributionMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	if *p != *dm || !bytes.Equal(p.Bytes(), b) {
		t.Fatal("round trip differs")
	}
	if dm.Iteration() != 0 || dm.DistributionID() != testDist || dm.ChainID() >= 1<<31 {
		t.Fatalf("fields: %v", dm)
	}
	// After sending, a new distribution message starts at the current iteration.
	encrypt(t, alice, []byte("a"))
	encrypt(t, alice, []byte("b"))
	dm2, err := alice.c.CreateDistributionMessage(context.Background(), alice.addr, testDist)
	if err != nil {
		t.Fatal(err)
	}
	ck := refHMAC(refHMAC(dm.chainKey[:], []byte{2}), []byte{2})
	if dm2.Iteration() != 2 || dm2.ChainID() != dm.ChainID() || !bytes.Equal(dm2.chainKey[:], ck) || dm2.SigningKey() != dm.SigningKey() {
		t.Fatalf("second distribution message: %v", dm2)
	}
	// A late joiner can read from there on.
	carol := newMember("carol", 1)
	if err := carol.c.ProcessDistributionMessage(context.Background(), alice.addr, dm2); err != nil {
		t.Fatal(err)
	}
	if got, err := carol.c.Decrypt(context.Background(), alice.addr, encrypt(t, alice, []byte("c"))); err != nil || string(got) != "c" {
		t.Fatal(got, err)
	}

	bad := bytes.Clone(b)
	bad[len(bad)-33] = 0x06 // signing key type byte
	if _, err := ParseDistributionMessage(bad); !errors.Is(err, ErrInvalidMessage) || !errors.Is(err, curve.ErrInvalidPublicKey) {
		t.Errorf("bad key type: %v", err)
	}
	if _, err := ParseDistributionMessage(b[:40]); !errors.Is(err, ErrInvalidMessage) || !errors.Is(err, wire.ErrTruncated) {
		t.Errorf("truncated: %v", err)
	}
	if _, err := ParseDistributionMessage(append([]byte{0x44}, b[1:]...)); !errors.Is(err, ErrInvalidMessage) || !errors.Is(err, wire.ErrUnknownVersion) {
		t.Errorf("version 4: %v", err)
	}
}

func TestDistributionIDString(t *testing.T) {
	if got, want := testDist.String(), "d1d1d1d1-7000-11eb-b32a-33b8a8a487a6"; got != want {
		t.Errorf("String = %s, want %s", got, want)
	}
	if got := (Sender{"+14159999111", 1}).String(); got != "+14159999111.1" {
		t.Errorf("Sender.String = %s", got)
	}
}

func TestDecryptCBCPadding(t *testing.T) {
	var mk messageKeys
	for pad := 0; pad <= 20; pad++ {
		// Build a block whose last byte claims pad, with correct or broken filler.
		for _, broken := range []bool{false, true} {
			plain := bytes.Repeat([]byte{byte(pad)}, 32)
			if broken && pad >= 2 && pad <= 16 {
				plain[32-pad] ^= 1
			}
			block, _ := aes.NewCipher(mk.key[:])
			ct := make([]byte, 32)
			cipher.NewCBCEncrypter(block, mk.iv[:]).CryptBlocks(ct, plain)
			got, err := mk.decryptCBC(ct)
			valid := pad >= 1 && pad <= 16 && !(broken && pad >= 2)
			if valid != (err == nil) {
				t.Errorf("pad %d broken %v: err = %v", pad, broken, err)
			}
			if err == nil && len(got) != 32-pad {
				t.Errorf("pad %d: %d bytes", pad, len(got))
			}
			if err != nil && !errors.Is(err, ErrDecrypt) {
				t.Errorf("pad %d: %v", pad, err)
			}
		}
	}
}
