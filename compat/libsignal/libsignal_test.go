package libsignal_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/forwardsecret/signal/compat/libsignal"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// The known answers of testdata/libsignal-client-0.103.0.json come from
// the official libsignal; testdata/README.md says how.

var (
	aliceAddr = session.Address{Name: "alice", DeviceID: 1}
	bobAddr   = session.Address{Name: "bob", DeviceID: 1}
	// kaTime is the signed prekey's timestamp in the known answers; the
	// Kyber prekeys' is a second later.
	kaTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

func TestLibsignalKeyRecords(t *testing.T) {
	v := knownAnswers(t, libsignalFile)
	bobID, err := libsignal.ImportIdentityKeyPair(v["bob_identity_key_pair"])
	if err != nil {
		t.Fatal(err)
	}
	if got, err := libsignal.ExportIdentityKeyPair(bobID); err != nil || !bytes.Equal(got, v["bob_identity_key_pair"]) {
		t.Errorf("identity key pair re-exports as %x (%v)", got, err)
	}
	pub, err := libsignal.ImportIdentityKey(v["bob_identity_key"])
	if err != nil || !pub.Equal(bobID.PublicKey()) {
		t.Fatalf("identity key %v (%v), want the key pair's", pub, err)
	}
	if got, err := libsignal.ExportIdentityKey(pub); err != nil || !bytes.Equal(got, v["bob_identity_key"]) {
		t.Errorf("identity key re-exports as %x (%v)", got, err)
	}

	pk, err := libsignal.ImportPreKeyRecord(v["prekey_record"])
	if err != nil {
		t.Fatal(err)
	}
	if pk.ID != 3 {
		t.Errorf("prekey id %d", pk.ID)
	}
	if got, err := libsignal.ExportPreKeyRecord(pk); err != nil || !bytes.Equal(got, v["prekey_record"]) {
		t.Errorf("prekey record re-exports as %x (%v)", got, err)
	}

	spk, err := libsignal.ImportSignedPreKeyRecord(v["signed_prekey_record"])
	if err != nil {
		t.Fatal(err)
	}
	if spk.ID != 7 || !spk.Timestamp.Equal(kaTime) || spk.Timestamp.Location() != time.UTC {
		t.Errorf("signed prekey id %d, timestamp %v", spk.ID, spk.Timestamp)
	}
	if !bobID.PublicKey().VerifySignature(spk.KeyPair.Public.Bytes(), spk.Signature) {
		t.Error("signed prekey signature does not verify")
	}
	if got, err := libsignal.ExportSignedPreKeyRecord(spk); err != nil || !bytes.Equal(got, v["signed_prekey_record"]) {
		t.Errorf("signed prekey record re-exports as %x (%v)", got, err)
	}

	kk, err := libsignal.ImportKyberPreKeyRecord(v["kyber_prekey_record"])
	if err != nil {
		t.Fatal(err)
	}
	if kk.ID != 9 || !kk.Timestamp.Equal(kaTime.Add(time.Second)) || kk.KeyPair.Public.Type() != x3dh.Kyber1024 {
		t.Errorf("Kyber prekey id %d, timestamp %v, type %v", kk.ID, kk.Timestamp, kk.KeyPair.Public.Type())
	}
	if kpub := kk.Public(); kpub.Verify(bobID.PublicKey()) != nil {
		t.Error("Kyber prekey signature does not verify")
	}
	if got, err := libsignal.ExportKyberPreKeyRecord(kk); err != nil || !bytes.Equal(got, v["kyber_prekey_record"]) {
		t.Errorf("Kyber prekey record re-exports differently (%v)", err)
	}
}

// TestLibsignalPreKeyMessage imports Bob's records from libsignal and
// decrypts Alice's (libsignal's) first message, a PreKey message to the
// imported Kyber prekey: the imported expanded secret key decapsulates.
func TestLibsignalPreKeyMessage(t *testing.T) {
	v := knownAnswers(t, libsignalFile)
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
	kk, err := libsignal.ImportKyberPreKeyRecord(v["kyber_prekey_record"])
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.store.AddPreKey(ctx, pk); err != nil {
		t.Fatal(err)
	}
	if err := bob.store.AddSignedPreKey(ctx, spk); err != nil {
		t.Fatal(err)
	}
	if err := bob.store.AddKEMPreKey(ctx, kk); err != nil {
		t.Fatal(err)
	}
	bob.decrypt(t, aliceAddr, session.TypePreKey, v["prekey_message"], "m1")
	info, err := bob.m.Info(ctx, aliceAddr)
	if err != nil || info.Version != 4 || info.RemoteRegistrationID != 1111 {
		t.Errorf("Bob's session: %+v (%v)", info, err)
	}
	// The one-time keys are consumed.
	if n, kn, err := bob.store.PreKeyCount(ctx); err != nil || n != 0 || kn != 0 {
		t.Errorf("prekeys left: %d, %d (%v)", n, kn, err)
	}
}

// TestLibsignalSessionRecords imports every session record libsignal
// wrote and exports it back byte for byte.
func TestLibsignalSessionRecords(t *testing.T) {
	v := knownAnswers(t, libsignalFile)
	for _, c := range []struct {
		name     string
		current  bool
		archived int
	}{
		{"session_record_alice_pending", true, 0},
		{"session_record_bob_first", true, 0},
		{"session_record_alice_archived_only", false, 1},
		{"session_record_alice", true, 1},
		{"session_record_bob", true, 1},
	} {
		rec, err := libsignal.ImportSessionRecord(v[c.name])
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if rec.HasCurrentState() != c.current || rec.ArchivedStates() != c.archived {
			t.Errorf("%s: %v", c.name, rec)
		}
		got, err := libsignal.ExportSessionRecord(rec)
		if err != nil || !bytes.Equal(got, v[c.name]) {
			t.Errorf("%s re-exports differently (%v)", c.name, err)
		}
	}
}

// TestLibsignalContinue imports Alice's and Bob's session records taken
// mid-conversation and decrypts what libsignal sent from those states: the
// next message each way, a skipped message of the current session and one
// of the archived session.
func TestLibsignalContinue(t *testing.T) {
	v := knownAnswers(t, libsignalFile)
	alice, bob := importedParty(t, v, "alice", 1111), importedParty(t, v, "bob", 2222)
	alice.putSession(t, bobAddr, importSession(t, v["session_record_alice"]))
	bob.putSession(t, aliceAddr, importSession(t, v["session_record_bob"]))

	alice.decrypt(t, bobAddr, session.TypeSignal, v["next_from_bob"], "next from bob")
	alice.decrypt(t, bobAddr, session.TypeSignal, v["skipped_from_bob_current"], "r6")
	alice.decrypt(t, bobAddr, session.TypeSignal, v["skipped_from_bob"], "r2")
	bob.decrypt(t, aliceAddr, session.TypeSignal, v["next_from_alice"], "next from alice")

	// The two imported sides go on talking (with libsignal, the interop
	// tests check it live).
	ctx := context.Background()
	for i, pair := range [][2]*device{{alice, bob}, {bob, alice}, {alice, bob}} {
		msg, err := pair[0].m.Encrypt(ctx, pair[1].addr, []byte{byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		pair[1].decrypt(t, pair[0].addr, msg.Type, msg.Body, string([]byte{byte(i)}))
	}
}

func importedParty(t *testing.T, v map[string][]byte, name string, regID uint32) *device {
	t.Helper()
	id, err := libsignal.ImportIdentityKeyPair(v[name+"_identity_key_pair"])
	if err != nil {
		t.Fatal(err)
	}
	return newDevice(t, name, id, regID)
}

func importSession(t *testing.T, b []byte) *session.Record {
	t.Helper()
	rec, err := libsignal.ImportSessionRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestLibsignalSenderKeys imports both sides' sender-key records: Bob's
// decrypts the messages libsignal sent after it was taken and those it
// skipped, and Alice's own chain keeps sending.
func TestLibsignalSenderKeys(t *testing.T) {
	v := knownAnswers(t, libsignalFile)
	dist := distributionID(t, string(v["distribution_id"]))
	ctx := context.Background()
	sender := senderkey.Sender(aliceAddr)
	stores := map[string]*senderkey.MemoryStore{}
	for _, name := range []string{"alice", "bob"} {
		b := v["sender_key_record_"+name]
		rec, err := libsignal.ImportSenderKeyRecord(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, err := libsignal.ExportSenderKeyRecord(rec); err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s's sender-key record re-exports differently (%v)", name, err)
		}
		stores[name] = new(senderkey.MemoryStore)
		if err := stores[name].StoreSenderKey(ctx, sender, dist, rec); err != nil {
			t.Fatal(err)
		}
	}
	bob := senderkey.NewCipher(stores["bob"])
	for name, want := range map[string]string{"group_next": "group next", "group_skipped_0": "g0", "group_skipped_1": "g1"} {
		pt, err := bob.Decrypt(ctx, sender, v[name])
		if err != nil || string(pt) != want {
			t.Errorf("%s: %q (%v), want %q", name, pt, err, want)
		}
	}
	alice := senderkey.NewCipher(stores["alice"])
	msg, err := alice.Encrypt(ctx, sender, dist, []byte("from the imported chain"))
	if err != nil {
		t.Fatal(err)
	}
	// Alice's imported chain is at the iteration libsignal's was at when
	// the record was taken: the message reuses the iteration of
	// group_next, whose key Bob has used, so Bob's record refuses it.
	if _, err := bob.Decrypt(ctx, sender, msg); err == nil {
		t.Error("a message of a used iteration decrypted")
	}
	fresh := senderkey.NewCipher(new(senderkey.MemoryStore))
	if err := fresh.ProcessDistributionMessage(ctx, sender, mustDistribution(t, alice, sender, dist)); err != nil {
		t.Fatal(err)
	}
	msg, err = alice.Encrypt(ctx, sender, dist, []byte("again"))
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := fresh.Decrypt(ctx, sender, msg); err != nil || string(pt) != "again" {
		t.Errorf("decrypted %q (%v)", pt, err)
	}
}

func mustDistribution(t *testing.T, c *senderkey.Cipher, self senderkey.Sender, id senderkey.DistributionID) *senderkey.DistributionMessage {
	t.Helper()
	m, err := c.CreateDistributionMessage(context.Background(), self, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// distributionID parses a UUID string.
func distributionID(t *testing.T, s string) senderkey.DistributionID {
	t.Helper()
	var id senderkey.DistributionID
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != len(id) {
		t.Fatalf("distribution id %q", s)
	}
	copy(id[:], b)
	return id
}
