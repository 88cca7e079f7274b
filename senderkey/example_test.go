package senderkey_test

import (
	"context"
	"fmt"

	"github.com/forwardsecret/signal/senderkey"
)

// Alice starts a group with Bob and Carol. She creates her sender key,
// sends the distribution message to each of them over their pairwise
// sessions (not shown), then broadcasts one ciphertext that both decrypt.
func Example() {
	ctx := context.Background()
	group := senderkey.DistributionID{0x1e, 0x5d, 0x0c, 0x57, 0x40, 0x21, 0x4c, 0x2e, 0x9b, 0x8a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66}
	aliceAddr := senderkey.Sender{Name: "alice", DeviceID: 1}

	alice := senderkey.NewCipher(new(senderkey.MemoryStore))
	bob := senderkey.NewCipher(new(senderkey.MemoryStore))
	carol := senderkey.NewCipher(new(senderkey.MemoryStore))

	dm, err := alice.CreateDistributionMessage(ctx, aliceAddr, group)
	if err != nil {
		panic(err)
	}
	wire := dm.Bytes() // travels inside Alice's 1:1 messages to Bob and Carol

	for _, member := range []*senderkey.Cipher{bob, carol} {
		received, err := senderkey.ParseDistributionMessage(wire)
		if err != nil {
			panic(err)
		}
		if err := member.ProcessDistributionMessage(ctx, aliceAddr, received); err != nil {
			panic(err)
		}
	}

	ciphertext, err := alice.Encrypt(ctx, aliceAddr, group, []byte("lunch at noon?"))
	if err != nil {
		panic(err)
	}
	for _, member := range []*senderkey.Cipher{bob, carol} {
		plaintext, err := member.Decrypt(ctx, aliceAddr, ciphertext)
		fmt.Printf("%s %v\n", plaintext, err)
	}
	// Output:
	// lunch at noon? <nil>
	// lunch at noon? <nil>
}

// A message delivered twice is refused the second time.
func ExampleCipher_Decrypt_duplicate() {
	ctx := context.Background()
	var group senderkey.DistributionID
	alice := senderkey.Sender{Name: "alice", DeviceID: 1}
	sender := senderkey.NewCipher(new(senderkey.MemoryStore))
	receiver := senderkey.NewCipher(new(senderkey.MemoryStore))

	dm, _ := sender.CreateDistributionMessage(ctx, alice, group)
	_ = receiver.ProcessDistributionMessage(ctx, alice, dm)
	ct, _ := sender.Encrypt(ctx, alice, group, []byte("once"))

	pt, err := receiver.Decrypt(ctx, alice, ct)
	fmt.Printf("%s %v\n", pt, err)
	_, err = receiver.Decrypt(ctx, alice, ct)
	fmt.Println(err)
	// Output:
	// once <nil>
	// senderkey: duplicate message: iteration 0, chain at 1
}
