package fingerprint_test

import (
	"encoding/hex"
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/fingerprint"
)

// Alice and Bob verify each other's identity keys. Each computes the
// fingerprint with herself or himself as the local side; they read the same
// 60 digits, and Bob's phone accepts the QR code Alice's phone shows.
func Example() {
	aliceKey, _ := hex.DecodeString("0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868")
	bobKey, _ := hex.DecodeString("05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b")
	alice, _ := curve.ParsePublicKey(aliceKey)
	bob, _ := curve.ParsePublicKey(bobKey)

	aliceParty := fingerprint.Party{ID: []byte("+14152222222"), IdentityKey: alice}
	bobParty := fingerprint.Party{ID: []byte("+14153333333"), IdentityKey: bob}

	aliceView, err := fingerprint.New(fingerprint.Version1, fingerprint.DefaultIterations, aliceParty, bobParty)
	if err != nil {
		panic(err)
	}
	bobView, err := fingerprint.New(fingerprint.Version1, fingerprint.DefaultIterations, bobParty, aliceParty)
	if err != nil {
		panic(err)
	}

	fmt.Println(aliceView.DisplayString())
	fmt.Println(bobView.DisplayString() == aliceView.DisplayString())

	qr := aliceView.Scannable()    // shown on Alice's screen
	ok, err := bobView.Compare(qr) // scanned by Bob's phone
	fmt.Println(ok, err)
	// Output:
	// 300354477692869396892869876765458257569162576843440918079131
	// true
	// true <nil>
}
