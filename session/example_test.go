package session_test

import (
	"context"
	"fmt"
	"log"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

// Alice starts a PQXDH (v4) session from Bob's bundle, sends a message, and
// Bob answers.
func Example() {
	ctx := context.Background()
	aliceAddr := session.Address{Name: "alice", DeviceID: 1}
	bobAddr := session.Address{Name: "bob", DeviceID: 1}

	// Each device has an identity and stores.
	aliceID, _ := curve.GenerateIdentityKeyPair()
	bobID, _ := curve.GenerateIdentityKeyPair()
	aliceStore, bobStore := memstore.New(aliceID, 1), memstore.New(bobID, 2)
	alice := session.NewManager(session.StoresOf(aliceStore))
	bob := session.NewManager(session.StoresOf(bobStore))

	// Bob publishes a bundle: a signed prekey and a Kyber1024 prekey.
	spk, _ := x3dh.GenerateSignedPreKey(bobID, 1)
	kpk, _ := x3dh.GenerateKEMPreKey(bobID, 1, x3dh.Kyber1024)
	bobStore.AddSignedPreKey(ctx, spk)
	bobStore.AddLastResortKEMPreKey(ctx, kpk)
	kemPub := kpk.Public()
	bundle, err := x3dh.NewBundle(2, 1, bobID.PublicKey(), spk.Public(), nil, &kemPub)
	if err != nil {
		log.Fatal(err)
	}

	// Alice starts the session and sends.
	if err := alice.ProcessBundle(ctx, bobAddr, bundle); err != nil {
		log.Fatal(err)
	}
	msg, _ := alice.Encrypt(ctx, bobAddr, []byte("Hello, Bob"))
	fmt.Println(msg.Type, fmt.Sprintf("%#x", msg.Body[0]))

	pt, err := bob.Decrypt(ctx, aliceAddr, msg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(pt))

	reply, _ := bob.Encrypt(ctx, aliceAddr, []byte("Hello, Alice"))
	pt, _ = alice.Decrypt(ctx, bobAddr, reply)
	fmt.Println(reply.Type, string(pt))
	// Output:
	// PreKeySignalMessage 0x44
	// Hello, Bob
	// SignalMessage Hello, Alice
}
