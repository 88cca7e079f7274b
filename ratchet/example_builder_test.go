package ratchet_test

import (
	"crypto/sha256"
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/ratchet"
)

// A record encoder reads a state in place with View, writing the stored
// skipped keys newest first (as libsignal's records list them); a decoder
// rebuilds the state with a Builder, one key at a time, in the order the
// record lists them. Clone copies a state without either.
func ExampleBuilder() {
	root := sha256.Sum256([]byte("X3DH root key"))
	chain := sha256.Sum256([]byte("X3DH chain key"))
	bobKey, _ := curve.GenerateKeyPair()
	aliceKey, _ := curve.GenerateKeyPair()
	alice, _ := ratchet.NewAlice(root[:], chain[:], bobKey.Public, aliceKey)
	bob, _ := ratchet.NewBob(root[:], chain[:], bobKey)
	var last ratchet.Header
	var body []byte
	for range 4 { // Bob will receive only the fourth message
		last, body, _, _ = alice.Encrypt(nil, []byte("hi"), nil)
	}
	if _, err := bob.Decrypt(nil, last, body, nil, func(*ratchet.MACKey) error { return nil }); err != nil {
		panic(err) // (a real verify function checks the message's MAC)
	}

	// Encode: a stand-in for the protobuf record.
	type storedKey struct {
		index uint32
		seed  [ratchet.KeySize]byte
	}
	v := bob.View()
	var stored []storedKey
	for _, rc := range v.Receivers {
		for j := rc.Skipped.Len() - 1; j >= 0; j-- {
			stored = append(stored, storedKey{rc.Skipped.Index(j), rc.Skipped.Seed(j)})
		}
	}
	fmt.Println("stored, newest first:", stored[0].index, stored[1].index, stored[2].index)

	// Decode.
	b := ratchet.NewBuilder(v.RootKey, v.PreviousCounter)
	b.SetSender(v.Sender.RatchetKey, v.Sender.ChainKey)
	rc := v.Receivers[0]
	b.AddReceiver(rc.RatchetKey, rc.ChainKey, rc.SkippedFloor, len(stored))
	for _, k := range stored {
		b.AddSkippedSeed(k.index, &k.seed)
	}
	restored, err := b.Build()
	if err != nil {
		panic(err)
	}
	same := func(x, y *ratchet.State) bool {
		ex, _ := x.MarshalBinary()
		ey, _ := y.MarshalBinary()
		return string(ex) == string(ey)
	}
	fmt.Println("restored equals Bob:", same(restored, bob))
	fmt.Println("clone equals Bob:", same(bob.Clone(), bob))
	// Output:
	// stored, newest first: 2 1 0
	// restored equals Bob: true
	// clone equals Bob: true
}
