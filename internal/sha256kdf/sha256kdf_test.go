package sha256kdf

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/forwardsecret/signal/internal/fmtcheck"
)

func newKDF() *KDF {
	k := new(KDF)
	k.Init()
	return k
}

// TestHMACAndHKDFMatchStdlib checks the hand-written HMAC and HKDF against
// crypto/hmac and crypto/hkdf over a range of key, salt and input lengths.
func TestHMACAndHKDFMatchStdlib(t *testing.T) {
	k := newKDF()
	for _, keyLen := range []int{0, 1, 32, 63, 64, 65, 100} {
		for _, msgLen := range []int{0, 1, 55, 56, 64, 200} {
			key := bytes.Repeat([]byte{byte(keyLen)}, keyLen)
			msg := bytes.Repeat([]byte{byte(msgLen + 1)}, msgLen)
			if keyLen <= 64 {
				m := hmac.New(sha256.New, key)
				m.Write(msg)
				want := m.Sum(nil)
				got := make([]byte, 32)
				k.HMACStart(key)
				k.Write(msg)
				k.HMACEnd(key, got)
				mustEqual(t, fmt.Sprintf("HMAC key %d msg %d", keyLen, msgLen), got, want)
			}
			for _, outLen := range []int{32, 64, 80, 96} {
				want, err := hkdf.Key(sha256.New, msg, key, "info", outLen)
				if err != nil {
					t.Fatal(err)
				}
				got := make([]byte, outLen)
				k.HKDF(got, key, msg, []byte("info"))
				mustEqual(t, fmt.Sprintf("HKDF salt %d ikm %d out %d", keyLen, msgLen, outLen), got, want)
			}
		}
	}
}

// TestChainStepMatchesStdlib checks ChainStep, with and without a seed,
// against crypto/hmac, and that it counts its steps.
func TestChainStepMatchesStdlib(t *testing.T) {
	k := newKDF()
	mac := func(key []byte, b byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte{b})
		return m.Sum(nil)
	}
	ck := sha256.Sum256([]byte("chain key"))
	for i := range 4 {
		want, wantSeed := mac(ck[:], 2), mac(ck[:], 1)
		if i%2 == 0 {
			var seed [32]byte
			k.ChainStep(&ck, &seed)
			mustEqual(t, fmt.Sprintf("seed %d", i), seed[:], wantSeed)
		} else {
			k.ChainStep(&ck, nil)
		}
		mustEqual(t, fmt.Sprintf("chain key %d", i+1), ck[:], want)
	}
	if k.Steps != 4 {
		t.Fatalf("Steps = %d, want 4", k.Steps)
	}
}

// TestNoSecretsInFmt formats a KDF that holds key material under every fmt
// verb.
func TestNoSecretsInFmt(t *testing.T) {
	k := newKDF()
	key := fmtcheck.Secret("sha256kdf hmac key", 32)
	k.HMACStart(key)
	k.Write(fmtcheck.Secret("sha256kdf message", 32))
	pad := k.pad // the key xor 0x36, what the hash state holds
	fmtcheck.NoSecrets(t, k, pad[:])
	fmtcheck.NoSecrets(t, *k, pad[:])
}

func mustEqual(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: got %x, want %x", what, got, want)
	}
}
