package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/sqlstore"
	"github.com/forwardsecret/signal/sqlstore/sqlite"
	"github.com/forwardsecret/signal/x3dh"
)

// Bob keeps his stores in a SQLite file; Alice in another; Bob's app
// restarts midway. (For PostgreSQL,
// open with postgres.Open of package sqlstore/postgres and a postgres://
// URL.) Bob's Manager
// takes a per-address transaction around each operation, so the handler of
// DecryptWith runs before anything commits.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "sqlstore-example-")
	defer os.RemoveAll(dir)

	// OpenDevice makes the device's identity and registration id on first
	// start, and opens them after.
	open := func(name string) *sqlstore.Store {
		st, err := sqlite.OpenDevice(ctx, filepath.Join(dir, name+".db"))
		if err != nil {
			panic(err)
		}
		return st
	}
	aliceStore := open("alice")
	defer aliceStore.Close()
	bobStore := open("bob")
	bobID, _ := bobStore.IdentityKeyPair(ctx)
	bobReg, _ := bobStore.LocalRegistrationID(ctx)

	// Bob's prekeys go into his database; his bundle goes to a server.
	spk, _ := x3dh.GenerateSignedPreKey(bobID, 1)
	otk, _ := x3dh.GenerateOneTimePreKey(100)
	if err := bobStore.AddSignedPreKey(ctx, spk); err != nil {
		panic(err)
	}
	if err := bobStore.AddPreKey(ctx, otk); err != nil {
		panic(err)
	}
	otkPub := otk.Public()
	bundle, _ := x3dh.NewBundle(bobReg, 1, bobID.PublicKey(), spk.Public(), &otkPub, nil)

	alice := session.NewManager(session.StoresOf(aliceStore))
	bob := session.NewManager(session.StoresOf(bobStore))
	aliceAddr, bobAddr := session.Address{Name: "alice", DeviceID: 1}, session.Address{Name: "bob", DeviceID: 1}
	if err := alice.ProcessBundle(ctx, bobAddr, bundle); err != nil {
		panic(err)
	}
	msg, _ := alice.Encrypt(ctx, bobAddr, []byte("hello from a database"))

	err := bob.DecryptWith(ctx, aliceAddr, msg, func(pt []byte) error {
		fmt.Printf("handler: %s\n", pt) // the app stores the message here
		return nil
	})
	fmt.Println("committed:", err == nil)
	left, _ := bobStore.HasPreKey(ctx, 100)
	fmt.Println("one-time prekey left:", left)

	// Bob's app restarts: the same file, the same identity, the session
	// goes on.
	bobStore.Close()
	bobStore = open("bob")
	defer bobStore.Close()
	bob = session.NewManager(session.StoresOf(bobStore))
	again, _ := bobStore.IdentityKeyPair(ctx)
	fmt.Println("same identity after reopening:", again.PublicKey().Equal(bobID.PublicKey()))
	msg, _ = alice.Encrypt(ctx, bobAddr, []byte("still here"))
	pt, err := bob.Decrypt(ctx, aliceAddr, msg)
	fmt.Printf("%s, %v\n", pt, err)
	// Output:
	// handler: hello from a database
	// committed: true
	// one-time prekey left: false
	// same identity after reopening: true
	// still here, <nil>
}
