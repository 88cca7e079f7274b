package gomau_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/forwardsecret/signal/compat"
	"github.com/forwardsecret/signal/compat/gomau"
	"github.com/forwardsecret/signal/compat/libsignal"
	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// testdata/go.mau.fi-libsignal-0.2.1.json holds records as go.mau.fi/libsignal
// serialized them with serialize.NewProtoBufSerializer (JSON), taken
// mid-conversation, and what each side sent afterwards; testdata/README.md
// says how they were made.
const knownFile = "testdata/go.mau.fi-libsignal-0.2.1.json"

var (
	aliceAddr = session.Address{Name: "alice", DeviceID: 1}
	bobAddr   = session.Address{Name: "bob", DeviceID: 1}
	migrated  = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func knownAnswers(t testing.TB) map[string][]byte {
	t.Helper()
	raw, err := os.ReadFile(knownFile)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for k, s := range m {
		if k == "generator" {
			continue
		}
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		out[k] = b
	}
	return out
}

// identity is the identity key pair of name: whatsmeow keeps it as raw
// keys, not as a record.
func identity(t *testing.T, v map[string][]byte, name string) *curve.IdentityKeyPair {
	t.Helper()
	priv, err := curve.NewPrivateKey(v[name+"_identity_private"])
	if err != nil {
		t.Fatal(err)
	}
	id, err := curve.NewIdentityKeyPair(priv)
	if err != nil {
		t.Fatal(err)
	}
	if pub, err := curve.ParsePublicKey(v[name+"_identity_public"]); err != nil || !pub.Equal(id.PublicKey()) {
		t.Fatalf("%s's identity public key does not match (%v)", name, err)
	}
	return id
}

type device struct {
	store *memstore.Store
	m     *session.Manager
	addr  session.Address
}

func newDevice(t *testing.T, v map[string][]byte, name string, regID uint32) *device {
	s := memstore.New(identity(t, v, name), regID)
	return &device{store: s, m: session.NewManager(session.StoresOf(s)), addr: session.Address{Name: name, DeviceID: 1}}
}

func (d *device) decrypt(t *testing.T, from session.Address, typ session.MessageType, body []byte, want string) {
	t.Helper()
	pt, err := d.m.Decrypt(context.Background(), from, session.Message{Type: typ, Body: body})
	if err != nil || string(pt) != want {
		t.Fatalf("%s decrypted %q (%v), want %q", d.addr.Name, pt, err, want)
	}
}

func TestKeyRecords(t *testing.T) {
	v := knownAnswers(t)
	pk, err := gomau.ImportPreKeyRecord(v["prekey_record"])
	if err != nil || pk.ID != 3 {
		t.Fatalf("prekey record: %v (%v)", pk, err)
	}
	spk, err := gomau.ImportSignedPreKeyRecord(v["signed_prekey_record"])
	if err != nil {
		t.Fatal(err)
	}
	if spk.ID != 7 || !spk.Timestamp.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("signed prekey %d, %v", spk.ID, spk.Timestamp)
	}
	if !identity(t, v, "bob").PublicKey().VerifySignature(spk.KeyPair.Public.Bytes(), spk.Signature) {
		t.Error("signed prekey signature does not verify")
	}
	// A record of one kind is not one of the other.
	if _, err := gomau.ImportPreKeyRecord(v["signed_prekey_record"]); !errors.Is(err, compat.ErrInvalidRecord) {
		t.Errorf("signed prekey record read as a prekey record: %v", err)
	}
	if _, err := gomau.ImportSignedPreKeyRecord(v["prekey_record"]); !errors.Is(err, compat.ErrInvalidRecord) {
		t.Errorf("prekey record read as a signed prekey record: %v", err)
	}
}

// TestPreKeyMessage imports Bob's prekeys and decrypts Alice's first
// message, a v3 PreKey message from go.mau.fi/libsignal.
func TestPreKeyMessage(t *testing.T) {
	v := knownAnswers(t)
	bob := newDevice(t, v, "bob", 2222)
	ctx := context.Background()
	pk, err := gomau.ImportPreKeyRecord(v["prekey_record"])
	if err != nil {
		t.Fatal(err)
	}
	spk, err := gomau.ImportSignedPreKeyRecord(v["signed_prekey_record"])
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.store.AddPreKey(ctx, pk); err != nil {
		t.Fatal(err)
	}
	if err := bob.store.AddSignedPreKey(ctx, spk); err != nil {
		t.Fatal(err)
	}
	bob.decrypt(t, aliceAddr, session.TypePreKey, v["prekey_message"], "m1")
}

func TestSessionRecords(t *testing.T) {
	v := knownAnswers(t)
	for _, c := range []struct {
		name     string
		archived int
	}{
		{"session_record_alice_pending", 0},
		{"session_record_alice", 1},
		{"session_record_bob", 1},
	} {
		rec, err := gomau.ImportSessionRecord(v[c.name], migrated)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !rec.HasCurrentState() || rec.ArchivedStates() != c.archived {
			t.Errorf("%s: %v", c.name, rec)
		}
		// What the importer made exports and imports in libsignal's layout.
		b, err := libsignal.ExportSessionRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := libsignal.ImportSessionRecord(b); err != nil {
			t.Errorf("%s: the export does not import: %v", c.name, err)
		}
	}
}

// TestContinue continues go.mau.fi/libsignal's conversation from the
// imported records.
func TestContinue(t *testing.T) {
	v := knownAnswers(t)
	alice, bob := newDevice(t, v, "alice", 1111), newDevice(t, v, "bob", 2222)
	ctx := context.Background()
	for _, c := range []struct {
		d    *device
		peer session.Address
		rec  string
	}{{alice, bobAddr, "session_record_alice"}, {bob, aliceAddr, "session_record_bob"}} {
		rec, err := gomau.ImportSessionRecord(v[c.rec], migrated)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.d.store.StoreSession(ctx, c.peer, rec, session.Consumed{}); err != nil {
			t.Fatal(err)
		}
	}
	alice.decrypt(t, bobAddr, session.TypeSignal, v["next_from_bob"], "next from bob")
	alice.decrypt(t, bobAddr, session.TypeSignal, v["skipped_from_bob_current"], "r6")
	alice.decrypt(t, bobAddr, session.TypeSignal, v["skipped_from_bob"], "r2")
	bob.decrypt(t, aliceAddr, session.TypeSignal, v["next_from_alice"], "next from alice")
	for i, pair := range [][2]*device{{alice, bob}, {bob, alice}} {
		msg, err := pair[0].m.Encrypt(ctx, pair[1].addr, []byte{byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		pair[1].decrypt(t, pair[0].addr, msg.Type, msg.Body, string([]byte{byte(i)}))
	}
}

// TestSenderKeys imports both sides' sender-key records: Bob's decrypts
// what go.mau.fi sent after it was taken and what Bob skipped; Alice's own
// keeps its private signing key, Bob's copy has none.
func TestSenderKeys(t *testing.T) {
	v := knownAnswers(t)
	ctx := context.Background()
	sender := senderkey.Sender(aliceAddr)
	dist := senderkey.DistributionID{1} // the app's id for "group-1"
	var stores [2]senderkey.MemoryStore
	for i, name := range []string{"sender_key_record_alice", "sender_key_record_bob"} {
		rec, err := gomau.ImportSenderKeyRecord(v[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := stores[i].StoreSenderKey(ctx, sender, dist, rec); err != nil {
			t.Fatal(err)
		}
	}
	bob := senderkey.NewCipher(&stores[1])
	for name, want := range map[string]string{"group_next": "group next", "group_skipped_0": "g0", "group_skipped_1": "g1"} {
		if pt, err := bob.DecryptLegacy(ctx, sender, dist, v[name]); err != nil || string(pt) != want {
			t.Errorf("%s: %q (%v), want %q", name, pt, err, want)
		}
	}
	if _, err := bob.EncryptLegacy(ctx, sender, dist, []byte("x")); !errors.Is(err, senderkey.ErrNoSigningKey) {
		t.Errorf("Bob's copy of Alice's chain signs: %v", err)
	}
	alice := senderkey.NewCipher(&stores[0])
	if _, err := alice.EncryptLegacy(ctx, sender, dist, []byte("x")); err != nil {
		t.Errorf("Alice's own chain does not sign: %v", err)
	}
}
