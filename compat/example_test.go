package compat_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"os"

	"github.com/forwardsecret/signal/compat/libsignal"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// Example moves Bob's device from the official libsignal to this library
// in the middle of a conversation: his identity, his prekeys and his
// session with Alice, as libsignal stored them, go into a store of this
// library, whose Manager then reads the next message Alice's libsignal
// sent. The records are known answers that libsignal wrote.
func Example() {
	records := knownAnswers("libsignal/testdata/libsignal-client-0.103.0.json")
	ctx := context.Background()
	alice := session.Address{Name: "alice", DeviceID: 1}

	identity, err := libsignal.ImportIdentityKeyPair(records["bob_identity_key_pair"])
	if err != nil {
		log.Fatal(err)
	}
	// No record holds the registration id: the app kept it beside them.
	store := memstore.New(identity, 2222)

	signed, err := libsignal.ImportSignedPreKeyRecord(records["signed_prekey_record"])
	if err != nil {
		log.Fatal(err)
	}
	if err := store.AddSignedPreKey(ctx, signed); err != nil {
		log.Fatal(err)
	}
	kyber, err := libsignal.ImportKyberPreKeyRecord(records["kyber_prekey_record"])
	if err != nil {
		log.Fatal(err)
	}
	// Whether a Kyber prekey is the last-resort one is the app's
	// knowledge too (libsignal's records do not say).
	if err := store.AddLastResortKEMPreKey(ctx, kyber); err != nil {
		log.Fatal(err)
	}
	rec, err := libsignal.ImportSessionRecord(records["session_record_bob"])
	if err != nil {
		log.Fatal(err)
	}
	if err := store.StoreSession(ctx, alice, rec, session.Consumed{}); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("signed prekey %d, Kyber prekey %d (%v), session with %v: %v\n",
		signed.ID, kyber.ID, kyber.KeyPair.Public.Type(), alice, rec)

	m := session.NewManager(session.StoresOf(store))
	pt, err := m.Decrypt(ctx, alice, session.Message{Type: session.TypeSignal, Body: records["next_from_alice"]})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", pt)

	// The way back: the record as libsignal reads it.
	rec, err = store.LoadSession(ctx, alice)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := libsignal.ExportSessionRecord(rec); err != nil {
		log.Fatal(err)
	}
	// Output:
	// signed prekey 7, Kyber prekey 9 (Kyber1024), session with alice.1: session.Record{current: v4, archived: 1}
	// next from alice
}

// knownAnswers reads a flat JSON object of hex strings.
func knownAnswers(path string) map[string][]byte {
	raw, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		log.Fatal(err)
	}
	out := map[string][]byte{}
	for k, v := range m {
		out[k], _ = hex.DecodeString(v)
	}
	return out
}
