package libsignal_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/forwardsecret/signal/compat"
	"github.com/forwardsecret/signal/compat/libsignal"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
)

// testdata/libsignal-protocol-c-2.3.3.json and python-axolotl-0.2.3.json
// hold records written by libsignal-protocol-c and python-axolotl (see
// testdata/README.md): their key records have libsignal's layout, their
// session records the legacy one.
const (
	lpcFile     = "testdata/libsignal-protocol-c-2.3.3.json"
	axolotlFile = "testdata/python-axolotl-0.2.3.json"
)

var legacyFiles = []string{lpcFile, axolotlFile}

// forLegacy runs f as a subtest for each legacy library's known answers.
func forLegacy(t *testing.T, f func(t *testing.T, v map[string][]byte)) {
	for _, file := range legacyFiles {
		t.Run(file[len("testdata/"):], func(t *testing.T) { f(t, knownAnswers(t, file)) })
	}
}

var migrated = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestLegacyKeyRecords(t *testing.T) {
	forLegacy(t, func(t *testing.T, v map[string][]byte) {
		id, err := libsignal.ImportIdentityKeyPair(v["bob_identity_key_pair"])
		if err != nil {
			t.Fatal(err)
		}
		pk, err := libsignal.ImportPreKeyRecord(v["prekey_record"])
		if err != nil || pk.ID != 3 {
			t.Fatalf("prekey record: %v (%v)", pk, err)
		}
		spk, err := libsignal.ImportSignedPreKeyRecord(v["signed_prekey_record"])
		if err != nil || spk.ID != 7 || spk.Timestamp.IsZero() {
			t.Fatalf("signed prekey record: %v (%v)", spk, err)
		}
		if !id.PublicKey().VerifySignature(spk.KeyPair.Public.Bytes(), spk.Signature) {
			t.Error("signed prekey signature does not verify")
		}
		// libsignal-protocol-c writes these records as libsignal does.
		for name, export := range map[string]func() ([]byte, error){
			"bob_identity_key_pair": func() ([]byte, error) { return libsignal.ExportIdentityKeyPair(id) },
			"prekey_record":         func() ([]byte, error) { return libsignal.ExportPreKeyRecord(pk) },
			"signed_prekey_record":  func() ([]byte, error) { return libsignal.ExportSignedPreKeyRecord(spk) },
		} {
			if got, err := export(); err != nil || !bytes.Equal(got, v[name]) {
				t.Errorf("%s re-exports as %x (%v), want %x", name, got, err, v[name])
			}
		}
	})
}

// TestLegacyPreKeyMessage imports Bob's records from libsignal-protocol-c
// and decrypts Alice's first (v3) message to them.
func TestLegacyPreKeyMessage(t *testing.T) {
	forLegacy(t, func(t *testing.T, v map[string][]byte) {
		id, err := libsignal.ImportIdentityKeyPair(v["bob_identity_key_pair"])
		if err != nil {
			t.Fatal(err)
		}
		bob := newDevice(t, "bob", id, 2222)
		ctx := context.Background()
		pk, err := libsignal.ImportPreKeyRecord(v["prekey_record"])
		if err != nil {
			t.Fatal(err)
		}
		spk, err := libsignal.ImportSignedPreKeyRecord(v["signed_prekey_record"])
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
		if info, err := bob.m.Info(ctx, aliceAddr); err != nil || info.Version != 3 || info.RemoteRegistrationID != 1111 {
			t.Errorf("Bob's session: %+v (%v)", info, err)
		}
	})
}

func TestLegacySessionRecords(t *testing.T) {
	forLegacy(t, func(t *testing.T, v map[string][]byte) {
		for _, c := range []struct {
			name     string
			current  bool
			archived int
		}{
			{"session_record_alice_pending", true, 0},
			{"session_record_alice_archived_only", false, 1},
			{"session_record_alice", true, 1},
			{"session_record_bob", true, 1},
		} {
			rec, err := libsignal.ImportLegacySessionRecord(v[c.name], migrated)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if rec.HasCurrentState() != c.current || rec.ArchivedStates() != c.archived {
				t.Errorf("%s: %v", c.name, rec)
			}
			// The export is in the current layout and imports as it is.
			b, err := libsignal.ExportSessionRecord(rec)
			if err != nil {
				t.Fatal(err)
			}
			again, err := libsignal.ImportSessionRecord(b)
			if err != nil {
				t.Fatalf("%s: the export does not import: %v", c.name, err)
			}
			if b2, err := libsignal.ExportSessionRecord(again); err != nil || !bytes.Equal(b2, b) {
				t.Errorf("%s: the export re-exports differently (%v)", c.name, err)
			}
		}
		// These libraries keep an empty state (libsignal-protocol-c's of
		// version 2, python-axolotl's of none) as the current state of an
		// archived-only record: the current layout's importer refuses it as
		// such.
		if _, err := libsignal.ImportSessionRecord(v["session_record_alice_archived_only"]); !errors.Is(err, compat.ErrUnsupportedVersion) {
			t.Errorf("ImportSessionRecord of an archived-only legacy record: %v", err)
		}
	})
}

// TestLegacyPendingDated checks that a session waiting for its peer's
// answer, undated in the legacy layout, is dated importedAt: it encrypts
// until session.MaxUnacknowledgedSessionAge after that, not before.
func TestLegacyPendingDated(t *testing.T) {
	forLegacy(t, func(t *testing.T, v map[string][]byte) {
		rec, err := libsignal.ImportLegacySessionRecord(v["session_record_alice_pending"], migrated)
		if err != nil {
			t.Fatal(err)
		}
		id, err := libsignal.ImportIdentityKeyPair(v["alice_identity_key_pair"])
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			now  time.Time
			want error
		}{
			{migrated.Add(session.MaxUnacknowledgedSessionAge - time.Hour), nil},
			{migrated.Add(session.MaxUnacknowledgedSessionAge + time.Hour), session.ErrStaleSession},
		} {
			s := newDevice(t, "alice", id, 1111).store
			if err := s.StoreSession(context.Background(), bobAddr, rec, session.Consumed{}); err != nil {
				t.Fatal(err)
			}
			m := session.NewManager(session.StoresOf(s), session.WithClock(func() time.Time { return c.now }))
			msg, err := m.Encrypt(context.Background(), bobAddr, []byte("m1 again"))
			if !errors.Is(err, c.want) || (err == nil && msg.Type != session.TypePreKey) {
				t.Errorf("encrypt at %v: %v, %v; want %v", c.now, msg.Type, err, c.want)
			}
		}
	})
}

// TestLegacyContinue continues libsignal-protocol-c's conversation from
// the imported records: the next message each way, a skipped message of
// the current session and one of the archived session.
func TestLegacyContinue(t *testing.T) {
	forLegacy(t, func(t *testing.T, v map[string][]byte) {
		alice, bob := importedParty(t, v, "alice", 1111), importedParty(t, v, "bob", 2222)
		for _, c := range []struct {
			d    *device
			peer session.Address
			rec  string
		}{{alice, bobAddr, "session_record_alice"}, {bob, aliceAddr, "session_record_bob"}} {
			rec, err := libsignal.ImportLegacySessionRecord(v[c.rec], migrated)
			if err != nil {
				t.Fatal(err)
			}
			c.d.putSession(t, c.peer, rec)
		}
		alice.decrypt(t, bobAddr, session.TypeSignal, v["next_from_bob"], "next from bob")
		alice.decrypt(t, bobAddr, session.TypeSignal, v["skipped_from_bob_current"], "r6")
		alice.decrypt(t, bobAddr, session.TypeSignal, v["skipped_from_bob"], "r2")
		bob.decrypt(t, aliceAddr, session.TypeSignal, v["next_from_alice"], "next from alice")
		ctx := context.Background()
		for i, pair := range [][2]*device{{alice, bob}, {bob, alice}} {
			msg, err := pair[0].m.Encrypt(ctx, pair[1].addr, []byte{byte(i)})
			if err != nil {
				t.Fatal(err)
			}
			pair[1].decrypt(t, pair[0].addr, msg.Type, msg.Body, string([]byte{byte(i)}))
		}
	})
}

// TestLegacySenderKeys imports libsignal-protocol-c's sender-key records
// (libsignal's layout without message_version) and decrypts its legacy
// group messages.
func TestLegacySenderKeys(t *testing.T) {
	forLegacy(t, func(t *testing.T, v map[string][]byte) {
		ctx := context.Background()
		sender := senderkey.Sender(aliceAddr)
		dist := senderkey.DistributionID{1} // the app's id for "group-1"
		stores := map[string]*senderkey.MemoryStore{}
		for _, name := range []string{"alice", "bob"} {
			b := v["sender_key_record_"+name]
			rec, err := libsignal.ImportSenderKeyRecord(b)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			stores[name] = new(senderkey.MemoryStore)
			if err := stores[name].StoreSenderKey(ctx, sender, dist, rec); err != nil {
				t.Fatal(err)
			}
		}
		bob := senderkey.NewCipher(stores["bob"])
		for name, want := range map[string]string{"group_next": "group next", "group_skipped_0": "g0", "group_skipped_1": "g1"} {
			pt, err := bob.DecryptLegacy(ctx, sender, dist, v[name])
			if err != nil || string(pt) != want {
				t.Errorf("%s: %q (%v), want %q", name, pt, err, want)
			}
		}
	})
}
