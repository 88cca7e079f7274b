package kem_test

import (
	"bytes"
	"fmt"

	"github.com/forwardsecret/signal/internal/kem"
)

// Bob publishes a Kyber1024 prekey; Alice encapsulates a shared secret to it
// and sends the ciphertext; Bob decapsulates the same secret.
func Example() {
	// Bob.
	bob, err := kem.GenerateKeyPair(kem.Kyber1024)
	if err != nil {
		panic(err)
	}
	published := bob.Public.Bytes() // goes into Bob's prekey bundle (and is signed)

	// Alice.
	pk, err := kem.ParsePublicKey(published)
	if err != nil {
		panic(err)
	}
	aliceSecret, ciphertext := pk.Encapsulate() // ciphertext travels in the PreKeySignalMessage

	// Bob.
	bobSecret, err := bob.Private.Decapsulate(ciphertext)
	if err != nil {
		panic(err)
	}

	fmt.Println(pk.Type(), len(published), len(ciphertext), len(bobSecret))
	fmt.Println("same secret:", bytes.Equal(aliceSecret, bobSecret))
	// Output:
	// Kyber1024 1569 1569 32
	// same secret: true
}

// A private key is stored as type byte || seed, and libsignal's expanded form
// can be imported and exported.
func ExamplePrivateKey_Bytes() {
	kp, err := kem.GenerateKeyPair(kem.Kyber1024)
	if err != nil {
		panic(err)
	}
	stored := kp.Private.Bytes()
	fromLibsignal := kp.Private.LibsignalBytes()

	a, _ := kem.ParsePrivateKey(stored)
	b, _ := kem.ParsePrivateKey(fromLibsignal)
	fmt.Println(len(stored), len(fromLibsignal), a.PublicKey().Equal(b.PublicKey()))
	fmt.Println(a)
	// Output:
	// 65 3169 true
	// kem.PrivateKey(Kyber1024, REDACTED)
}
