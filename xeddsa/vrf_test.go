package xeddsa_test

import (
	"bytes"
	"testing"

	"github.com/forwardsecret/signal/xeddsa"
	"github.com/forwardsecret/signal/xeddsa/xeddsatest"
)

// The known answers of the vectors module's xeddsa.json (libsignal-protocol-c
// and curve25519-java) run in vectors/libtest/xeddsa_test.go.

// TestVRFOutputIndependentOfRandomness signs one message with many random
// inputs: the signatures differ, the output does not.
func TestVRFOutputIndependentOfRandomness(t *testing.T) {
	priv := bytes.Repeat([]byte{7}, 32)
	msg := []byte("vrf input")
	var first []byte
	sigs := map[string]bool{}
	for i := range 32 {
		z := make([]byte, xeddsa.VRFRandomSize)
		z[0], z[31] = byte(i), byte(i*7)
		sig, out, err := xeddsatest.VRFSign(priv, msg, z)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = out
		} else if !bytes.Equal(out, first) {
			t.Fatalf("output %d differs: %x vs %x", i, out, first)
		}
		sigs[string(sig)] = true
	}
	if len(sigs) != 32 {
		t.Errorf("%d distinct signatures for 32 random inputs", len(sigs))
	}
}
