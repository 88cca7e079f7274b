package gomau_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/forwardsecret/signal/compat/gomau"
	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// ExampleImportSessionRecord moves Alice's session with Bob from
// go.mau.fi/libsignal (as whatsmeow stores it) to this library, which then
// reads what Bob's go.mau.fi/libsignal sent next. Alice's identity key pair
// comes as whatsmeow keeps it, a raw private key.
func ExampleImportSessionRecord() {
	raw, err := os.ReadFile("testdata/go.mau.fi-libsignal-0.2.1.json")
	if err != nil {
		log.Fatal(err)
	}
	var known map[string]string
	if err := json.Unmarshal(raw, &known); err != nil {
		log.Fatal(err)
	}
	get := func(k string) []byte { b, _ := hex.DecodeString(known[k]); return b }

	priv, err := curve.NewPrivateKey(get("alice_identity_private"))
	if err != nil {
		log.Fatal(err)
	}
	identity, err := curve.NewIdentityKeyPair(priv)
	if err != nil {
		log.Fatal(err)
	}
	rec, err := gomau.ImportSessionRecord(get("session_record_alice"), time.Now())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec)

	ctx := context.Background()
	bob := session.Address{Name: "bob", DeviceID: 1}
	store := memstore.New(identity, 1111)
	if err := store.StoreSession(ctx, bob, rec, session.Consumed{}); err != nil {
		log.Fatal(err)
	}
	pt, err := session.NewManager(session.StoresOf(store)).Decrypt(ctx, bob, session.Message{Type: session.TypeSignal, Body: get("next_from_bob")})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", pt)
	// Output:
	// session.Record{current: v3, archived: 1}
	// next from bob
}
