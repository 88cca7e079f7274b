package xeddsa_test

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"github.com/forwardsecret/signal/xeddsa"
)

// FuzzVerify feeds arbitrary keys, messages and signatures to Verify (both
// conventions) and VRFVerify. They must not panic, and whatever Verify
// accepts, crypto/ed25519 must accept under the Edwards form of the key.
func FuzzVerify(f *testing.F) {
	// Besides these, the seed corpus in testdata/fuzz/FuzzVerify holds the
	// signatures of the vectors module's xeddsa.json (files vectors-*).
	for _, u := range lowOrderU {
		f.Add(mustHex(u), []byte("m"), make([]byte, 64))
	}

	f.Fuzz(func(t *testing.T, pub, msg, sig []byte) {
		okSignBit := xeddsa.Verify(pub, msg, sig, xeddsa.SignBit)
		okSpec := xeddsa.Verify(pub, msg, sig, xeddsa.Spec)
		if okSpec && !okSignBit {
			// A Spec signature has bit 511 clear, which SignBit reads as
			// sign 0: the same check.
			t.Fatal("Spec accepts what SignBit rejects")
		}
		if okSignBit {
			sign := sig[63] >> 7
			edSig := bytes.Clone(sig)
			edSig[63] &= 0x7f
			if !ed25519.Verify(edwardsKey(t, pub, sign), msg, edSig) {
				t.Fatal("Verify accepts what crypto/ed25519 rejects")
			}
			if okSpec != (sign == 0) {
				t.Fatalf("Spec = %v with sign bit %d", okSpec, sign)
			}
		}
		out, err := xeddsa.VRFVerify(pub, msg, sig)
		if (err == nil) != (out != nil) {
			t.Fatalf("VRFVerify returned %x, %v", out, err)
		}
		if err == nil && len(out) != xeddsa.VRFOutputSize {
			t.Fatalf("VRF output of %d bytes", len(out))
		}
	})
}
