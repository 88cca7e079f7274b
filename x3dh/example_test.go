package x3dh_test

import (
	"bytes"
	"crypto"
	"fmt"
	"log"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh"
)

// Example runs a PQXDH (v4) handshake: Bob publishes a bundle, Alice starts a
// session from it, and Bob completes it from Alice's first message.
func Example() {
	// Bob, once: an identity key and prekeys, published as a bundle.
	bobIdentity, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		log.Fatal(err)
	}
	signed, err := x3dh.GenerateSignedPreKey(bobIdentity, 1)
	if err != nil {
		log.Fatal(err)
	}
	oneTime, err := x3dh.GenerateOneTimePreKey(100)
	if err != nil {
		log.Fatal(err)
	}
	kemPreKey, err := x3dh.GenerateKEMPreKey(bobIdentity, 7, x3dh.Kyber1024)
	if err != nil {
		log.Fatal(err)
	}
	opk, kpk := oneTime.Public(), kemPreKey.Public()
	bundle, err := x3dh.NewBundle(4242, 1, bobIdentity.PublicKey(), signed.Public(), &opk, &kpk)
	if err != nil {
		log.Fatal(err)
	}

	// Alice fetches the bundle and starts a session.
	aliceIdentity, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		log.Fatal(err)
	}
	alice, err := x3dh.Initiate(x3dh.V4, aliceIdentity, bundle)
	if err != nil {
		log.Fatal(err)
	}
	msg := alice.Message // goes out inside her first (PreKey) message

	// Bob looks up the prekeys the message names and derives the same keys.
	keys := &x3dh.ResponderKeys{Identity: bobIdentity, KEMPreKey: &kemPreKey.KeyPair}
	if msg.SignedPreKeyID == signed.ID {
		keys.SignedPreKey = signed.KeyPair
	}
	if msg.HasOneTimePreKey && msg.OneTimePreKeyID == oneTime.ID {
		keys.OneTimePreKey = &oneTime.KeyPair // and Bob deletes it now
	}
	bob, err := x3dh.Respond(x3dh.V4, keys, &msg)
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println("same keys:", bob == alice.Keys)
	fmt.Println("prekeys used:", msg.SignedPreKeyID, msg.OneTimePreKeyID, msg.KEMPreKeyID)
	fmt.Println("KEM ciphertext:", len(msg.KEMCiphertext), "bytes")
	fmt.Println(bob)
	// Output:
	// same keys: true
	// prekeys used: 1 100 7
	// KEM ciphertext: 1569 bytes
	// x3dh.SessionKeys(REDACTED)
}

// ExampleGeneric uses the specification's general form with the parameters
// an application of its own might choose.
func ExampleGeneric() {
	g := &x3dh.Generic{Hash: crypto.SHA512, Info: "MyProtocol_CURVE25519_SHA-512_ML-KEM-1024", PQ: true}

	bobIdentity, _ := curve.GenerateIdentityKeyPair()
	signed, _ := x3dh.GenerateSignedPreKey(bobIdentity, 1)
	kemPreKey, _ := x3dh.GenerateKEMPreKey(bobIdentity, 2, x3dh.MLKEM1024)
	kpk := kemPreKey.Public()
	bundle, err := x3dh.NewBundle(0, 0, bobIdentity.PublicKey(), signed.Public(), nil, &kpk)
	if err != nil {
		log.Fatal(err)
	}

	aliceIdentity, _ := curve.GenerateIdentityKeyPair()
	alice, msg, err := g.Initiate(aliceIdentity, bundle)
	if err != nil {
		log.Fatal(err)
	}
	bob, err := g.Respond(&x3dh.ResponderKeys{Identity: bobIdentity, SignedPreKey: signed.KeyPair, KEMPreKey: &kemPreKey.KeyPair}, msg)
	if err != nil {
		log.Fatal(err)
	}
	// SK keys the application's first message; AD must be authenticated with it.
	fmt.Println(alice.SK == bob.SK, bytes.Equal(alice.AD, bob.AD), len(alice.AD))
	// Output: true true 66
}

// ExampleParseBundle stores a bundle and reads it back; ParseBundle verifies
// the signatures again.
func ExampleParseBundle() {
	id, _ := curve.GenerateIdentityKeyPair()
	signed, _ := x3dh.GenerateSignedPreKey(id, 1)
	bundle, err := x3dh.NewBundle(1, 2, id.PublicKey(), signed.Public(), nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	data, err := bundle.MarshalBinary()
	if err != nil {
		log.Fatal(err)
	}
	back, err := x3dh.ParseBundle(data)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.DeviceID, back.IdentityKey.Equal(id.PublicKey()), back.OneTimePreKey == nil)
	// Output: 2 true true
}
