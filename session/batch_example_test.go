package session_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

// A device back online catches up with the messages one sender queued
// meanwhile: one DecryptBatch call decrypts them in one lock and one
// transaction, and hands each plaintext to the app before the commit. A
// message that does not decrypt (here a duplicate the server delivered
// twice) stops the batch: the app drops it and goes on with the rest.
func ExampleManager_DecryptBatch() {
	ctx := context.Background()
	aliceAddr := session.Address{Name: "alice", DeviceID: 1}
	bobAddr := session.Address{Name: "bob", DeviceID: 1}
	aliceID, _ := curve.GenerateIdentityKeyPair()
	bobID, _ := curve.GenerateIdentityKeyPair()
	bobStore := memstore.New(bobID, 2)
	alice := session.NewManager(session.StoresOf(memstore.New(aliceID, 1)))
	bob := session.NewManager(session.StoresOf(bobStore))
	spk, _ := x3dh.GenerateSignedPreKey(bobID, 1)
	kpk, _ := x3dh.GenerateKEMPreKey(bobID, 1, x3dh.Kyber1024)
	bobStore.AddSignedPreKey(ctx, spk)
	bobStore.AddLastResortKEMPreKey(ctx, kpk)
	kemPub := kpk.Public()
	bundle, _ := x3dh.NewBundle(2, 1, bobID.PublicKey(), spk.Public(), nil, &kemPub)
	if err := alice.ProcessBundle(ctx, bobAddr, bundle); err != nil {
		log.Fatal(err)
	}

	// Alice's messages queue up while Bob is offline; the server delivers
	// one of them twice.
	var queue []session.Message
	for i := range 4 {
		m, _ := alice.Encrypt(ctx, bobAddr, []byte(fmt.Sprint("message ", i)))
		queue = append(queue, m)
	}
	queue = append(queue[:3], queue[1], queue[3])

	// The handler stores each message in the app's database, keyed by
	// its position, so that running it again after a failed commit
	// changes nothing.
	inbox := map[int]string{}
	for start := 0; start < len(queue); {
		n, err := bob.DecryptBatch(ctx, aliceAddr, queue[start:], func(i int, pt []byte) error {
			inbox[start+i] = string(pt)
			return nil
		})
		start += n
		if errors.Is(err, session.ErrDuplicateMessage) {
			fmt.Println("dropped duplicate at", start)
			start++ // drop it, go on with the rest
		} else if err != nil {
			log.Fatal(err) // retry later from queue[start:]
		}
	}
	for i := range len(queue) {
		if pt, ok := inbox[i]; ok {
			fmt.Println(i, pt)
		}
	}
	// Output:
	// dropped duplicate at 3
	// 0 message 0
	// 1 message 1
	// 2 message 2
	// 4 message 3
}
