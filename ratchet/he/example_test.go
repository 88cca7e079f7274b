package he_test

import (
	"crypto/sha256"
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/ratchet/he"
)

// The header-encryption suite hides the ratchet key and counters: its
// messages are opaque byte strings.
func ExampleState() {
	sk := sha256.Sum256([]byte("shared secret"))
	hka := sha256.Sum256([]byte("shared header key A"))
	nhkb := sha256.Sum256([]byte("shared next header key B"))
	bobKey, _ := curve.GenerateKeyPair()
	aliceKey, _ := curve.GenerateKeyPair()
	alice, _ := he.NewAlice(sk[:], bobKey.Public, hka[:], nhkb[:], aliceKey)
	bob, _ := he.NewBob(sk[:], bobKey, hka[:], nhkb[:])

	ad := []byte("app: alice -> bob")
	m, _ := alice.Seal(nil, []byte("hidden header"), ad)
	pt, err := bob.Open(nil, m, ad)
	fmt.Println(string(pt), err, len(m) == len(pt)+he.Overhead)
	// Output: hidden header <nil> true
}
