package xeddsa_test

import (
	"crypto/ecdh"
	"fmt"

	"github.com/forwardsecret/signal/xeddsa"
)

// Alice signs with her X25519 identity key; Bob verifies with her X25519
// public key, in libsignal's convention.
func Example_sign() {
	// Alice's X25519 key pair (in practice curve.GenerateIdentityKeyPair).
	x, err := ecdh.X25519().GenerateKey(nil)
	if err != nil {
		panic(err)
	}
	alice, err := xeddsa.NewPrivateKey(x.Bytes())
	if err != nil {
		panic(err)
	}
	alicePublic := x.PublicKey().Bytes() // what Bob knows

	msg := []byte("signed prekey: 05 ab 7e ...")
	sig := alice.Sign(msg, xeddsa.SignBit)

	fmt.Println(len(sig), xeddsa.Verify(alicePublic, msg, sig, xeddsa.SignBit))
	fmt.Println(xeddsa.Verify(alicePublic, []byte("another message"), sig, xeddsa.SignBit))
	// Output:
	// 64 true
	// false
}

// Verifying libsignal's own known answer (libsignal-protocol-c,
// tests/test_curve25519.c, test_curve25519_signature).
func ExampleVerify() {
	public := mustHex("ab7e717d4a163b7d9a1d8071dfe9dcf8cdcd1cea3339b6356be84d887e322c64")
	message := mustHex("05edce9d9c415ca78cb7252e72c2c4a554d3eb29485a0e1d503118d1a82d99fb4a")
	sig := mustHex("5de88ca9a89b4a115da79109c67c9c7464a3e4180274f1cb8c63c2984e286dfb" +
		"ede82deb9dcd9fae0bfbb821569b3d9001bd8130cd11d486cef047bd60b86e88")

	fmt.Println(xeddsa.Verify(public, message, sig, xeddsa.SignBit))
	// The specification's convention rejects it: byte 63 carries a sign bit.
	fmt.Println(xeddsa.Verify(public, message, sig, xeddsa.Spec))
	// Output:
	// true
	// false
}

// A VRF output can be recomputed by anyone holding the public key and the
// signature, and does not depend on the signer's randomness.
func ExamplePrivateKey_VRFSign() {
	x, _ := ecdh.X25519().GenerateKey(nil)
	k, _ := xeddsa.NewPrivateKey(x.Bytes())
	msg := []byte("lottery round 7")

	sig1, out1, _ := k.VRFSign(msg)
	_, out2, _ := k.VRFSign(msg) // fresh randomness, same output

	out, err := xeddsa.VRFVerify(x.PublicKey().Bytes(), msg, sig1)
	fmt.Println(len(sig1), err, string(out) == string(out1), string(out1) == string(out2))
	// Output:
	// 96 <nil> true true
}
