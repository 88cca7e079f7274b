package prekey_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/prekey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// Bob's device sets itself up: an identity, a registration id and its first
// keys, which it stores and then uploads. The server hands Alice a bundle
// of them, and she starts a session.
func Example() {
	ctx := context.Background()

	// Bob's device, at install.
	bobID, _ := curve.GenerateIdentityKeyPair()
	bobReg := prekey.NewRegistrationID()
	bobStore := memstore.New(bobID, bobReg)
	set, err := prekey.Generate(bobID, prekey.IDs{}, prekey.Initial)
	if err != nil {
		log.Fatal(err)
	}
	if err := prekey.Store(ctx, bobStore, set); err != nil {
		log.Fatal(err)
	}
	next := set.Next       // kept with the keys, for the next Generate
	server := set.Public() // uploaded
	fmt.Println(len(server.OneTimePreKeys), len(server.OneTimeKEMPreKeys), next.PreKey, next.KEMPreKey, next.SignedPreKey)

	// The server hands out a bundle with one key of each kind.
	bundle, err := server.Take(bobReg, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(bundle.OneTimePreKey.ID, bundle.KEMPreKey.ID, bundle.SignedPreKey.ID)

	// Alice starts a session; Bob decrypts.
	aliceID, _ := curve.GenerateIdentityKeyPair()
	alice := session.NewManager(session.StoresOf(memstore.New(aliceID, prekey.NewRegistrationID())))
	bob := session.NewManager(session.StoresOf(bobStore))
	bobAddr := session.Address{Name: "bob", DeviceID: 1}
	if err := alice.ProcessBundle(ctx, bobAddr, bundle); err != nil {
		log.Fatal(err)
	}
	msg, _ := alice.Encrypt(ctx, bobAddr, []byte("Hello, Bob"))
	pt, err := bob.Decrypt(ctx, session.Address{Name: "alice", DeviceID: 1}, msg)
	fmt.Println(string(pt), err)
	// Output:
	// 100 100 101 102 2
	// 1 1 1
	// Hello, Bob <nil>
}

// Two and a half days later the device checks its keys: the signed prekey
// and the last-resort KEM prekey are due, and the server holds few one-time
// prekeys. The plan says what to generate, from the ids the device kept.
func ExamplePolicy_Plan() {
	identity, _ := curve.GenerateIdentityKeyPair()
	now := time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)
	made := now.Add(-60 * time.Hour)
	plan := prekey.DefaultPolicy.Plan(prekey.Status{
		Now:                 now,
		SignedPreKey:        made,
		LastResortKEMPreKey: made,
		OneTimePreKeys:      7,
		OneTimeKEMPreKeys:   55,
	})
	fmt.Println(plan.SignedPreKey, plan.LastResortKEMPreKey, plan.OneTimePreKeys, plan.OneTimeKEMPreKeys)

	set, err := prekey.Generate(identity, prekey.IDs{PreKey: 101, KEMPreKey: 102, SignedPreKey: 2}, plan)
	if err != nil {
		log.Fatal(err)
	}
	first, last := set.OneTimePreKeys[0].ID, set.OneTimePreKeys[len(set.OneTimePreKeys)-1].ID
	fmt.Println(first, last, set.LastResortKEMPreKey.ID, set.SignedPreKey.ID, set.Next)
	// Output:
	// true true 100 0
	// 101 200 102 2 {201 3 103}
}
