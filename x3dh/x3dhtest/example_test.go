package x3dhtest_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh"
	"github.com/forwardsecret/signal/x3dh/x3dhtest"
)

// Example repeats an initiation with the same base key and KEM randomness,
// as a known-answer test does, and gets the same keys and ciphertext.
func Example() {
	bobIdentity, _ := curve.GenerateIdentityKeyPair()
	signed, _ := x3dh.GenerateSignedPreKey(bobIdentity, 1)
	kemPreKey, _ := x3dh.GenerateKEMPreKey(bobIdentity, 2, x3dh.Kyber1024)
	kpk := kemPreKey.Public()
	bundle, err := x3dh.NewBundle(0, 1, bobIdentity.PublicKey(), signed.Public(), nil, &kpk)
	if err != nil {
		log.Fatal(err)
	}
	alice, _ := curve.GenerateIdentityKeyPair()
	base, _ := curve.NewPrivateKey(bytes.Repeat([]byte{1}, 32))
	random := bytes.Repeat([]byte{2}, x3dhtest.KEMRandomSize)

	a, err := x3dhtest.Initiate(x3dh.V4, alice, bundle, base, random)
	if err != nil {
		log.Fatal(err)
	}
	b, err := x3dhtest.Initiate(x3dh.V4, alice, bundle, base, random)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Keys == b.Keys, bytes.Equal(a.Message.KEMCiphertext, b.Message.KEMCiphertext))
	// Output: true true
}
