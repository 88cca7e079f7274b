package omemo

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/curve"
)

// TestIdentityForms checks the two forms of one identity: an Ed25519 seed
// gives crypto/ed25519's public key, its Montgomery form is the curve
// public key, and our Ed25519 signatures verify with crypto/ed25519.
func TestIdentityForms(t *testing.T) {
	for i := range 20 {
		seed := bytes.Repeat([]byte{byte(i + 1)}, 32)
		id, err := IdentityFromSeed(seed)
		if err != nil {
			t.Fatal(err)
		}
		ed := Ed25519PublicKey(id)
		want := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
		if !bytes.Equal(ed[:], want) {
			t.Fatalf("seed %d: Ed25519 key %x, want %x", i, ed, want)
		}
		mont, err := MontgomeryPublicKey(ed[:])
		if err != nil || mont != id.PublicKey() {
			t.Fatalf("seed %d: Montgomery form %v (%v), want %v", i, mont, err, id.PublicKey())
		}
		msg := []byte("signed prekey")
		sig := signEd25519(id, msg)
		if !ed25519.Verify(want, msg, sig) {
			t.Fatalf("seed %d: signature does not verify", i)
		}
		if ed25519.Verify(want, []byte("other"), sig) {
			t.Fatal("signature verifies another message")
		}
	}
	// A random curve identity (no seed) works the same way.
	id, _ := curve.GenerateIdentityKeyPair()
	ed := Ed25519PublicKey(id)
	if mont, err := MontgomeryPublicKey(ed[:]); err != nil || mont != id.PublicKey() {
		t.Fatal("Montgomery form of a generated identity differs")
	}
	if !verifyEd25519(ed[:], []byte("m"), signEd25519(id, []byte("m"))) {
		t.Fatal("signature of a generated identity does not verify")
	}
	if _, err := IdentityFromSeed(make([]byte, 31)); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("31-byte seed: %v", err)
	}
}

func TestMontgomeryPublicKeyRejects(t *testing.T) {
	id := make([]byte, 32)
	id[0] = 1 // the identity point
	for name, k := range map[string][]byte{
		"short":       make([]byte, 31),
		"small order": id,
		"not a point": bytes.Repeat([]byte{0xff}, 32)[:32],
	} {
		if _, err := MontgomeryPublicKey(k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: %v, want ErrInvalidKey", name, err)
		}
	}
}

func TestNewDeviceID(t *testing.T) {
	seen := map[uint32]bool{}
	for range 1000 {
		id := NewDeviceID()
		if id == 0 || id > MaxDeviceID {
			t.Fatalf("device id %d out of range", id)
		}
		seen[id] = true
	}
	if len(seen) < 990 {
		t.Fatalf("only %d distinct ids in 1000", len(seen))
	}
}
