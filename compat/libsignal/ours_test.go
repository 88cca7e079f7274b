package libsignal_test

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/forwardsecret/signal/compat/libsignal"
	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// testdata/ours-to-libsignal-client-0.103.0.json holds records this
// package exported and what the official libsignal did with them (see
// testdata/README.md): it loaded Carol's identity and prekeys and decrypted
// Dave's PreKey message to her exported Kyber prekey, continued Frank's
// exported session with Erin, and read Erin's group messages from Frank's
// exported sender-key record. These tests check that the exports are still
// those bytes and that this library reads libsignal's answers.
const oursFile = "testdata/ours-to-libsignal-client-0.103.0.json"

func labelSeed(label string) []byte { s := sha256.Sum256([]byte(label)); return s[:] }

// TestOursExportsUnchanged rebuilds Carol's keys from the labels they were
// made from and exports them again: the records libsignal loaded.
func TestOursExportsUnchanged(t *testing.T) {
	v := knownAnswers(t, oursFile)
	ts := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	key := func(label string) *curve.PrivateKey {
		k, err := curve.NewPrivateKey(labelSeed(label))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	id, err := curve.NewIdentityKeyPair(key("carol identity"))
	if err != nil {
		t.Fatal(err)
	}
	kp, err := x3dh.NewKEMKeyPairFromSeed(x3dh.Kyber1024, append(labelSeed("carol kyber d"), labelSeed("carol kyber z")...))
	if err != nil {
		t.Fatal(err)
	}
	for name, export := range map[string]func() ([]byte, error){
		"carol_identity_key_pair": func() ([]byte, error) { return libsignal.ExportIdentityKeyPair(id) },
		"carol_signed_prekey_record": func() ([]byte, error) {
			return libsignal.ExportSignedPreKeyRecord(&x3dh.SignedPreKey{ID: 5, KeyPair: curve.NewKeyPair(key("carol signed prekey")),
				Timestamp: ts, Signature: v["carol_signed_prekey_signature"]})
		},
		"carol_kyber_prekey_record": func() ([]byte, error) {
			return libsignal.ExportKyberPreKeyRecord(&x3dh.KEMPreKey{ID: 6, KeyPair: kp, Timestamp: ts.Add(time.Second),
				Signature: v["carol_kyber_prekey_signature"]})
		},
		"carol_prekey_record": func() ([]byte, error) {
			return libsignal.ExportPreKeyRecord(&x3dh.OneTimePreKey{ID: 8, KeyPair: curve.NewKeyPair(key("carol one-time prekey"))})
		},
	} {
		got, err := export()
		if err != nil || !bytes.Equal(got, v[name]) {
			t.Errorf("%s exports differently (%v)", name, err)
		}
	}
	// Each export also imports back to the bytes it came from.
	for _, name := range []string{"carol_signed_prekey_record", "carol_kyber_prekey_record", "carol_prekey_record",
		"dave_session_record", "erin_session_record", "frank_session_record"} {
		if got := reexport(t, name, v[name]); !bytes.Equal(got, v[name]) {
			t.Errorf("%s re-exports differently", name)
		}
	}
}

// reexport imports b as the record its name says and exports it again.
func reexport(t *testing.T, name string, b []byte) []byte {
	t.Helper()
	var out []byte
	var err error
	switch {
	case bytes.HasSuffix([]byte(name), []byte("session_record")):
		var r *session.Record
		if r, err = libsignal.ImportSessionRecord(b); err == nil {
			out, err = libsignal.ExportSessionRecord(r)
		}
	case name == "carol_signed_prekey_record":
		var k *x3dh.SignedPreKey
		if k, err = libsignal.ImportSignedPreKeyRecord(b); err == nil {
			out, err = libsignal.ExportSignedPreKeyRecord(k)
		}
	case name == "carol_kyber_prekey_record":
		var k *x3dh.KEMPreKey
		if k, err = libsignal.ImportKyberPreKeyRecord(b); err == nil {
			out, err = libsignal.ExportKyberPreKeyRecord(k)
		}
	case name == "carol_prekey_record":
		var k *x3dh.OneTimePreKey
		if k, err = libsignal.ImportPreKeyRecord(b); err == nil {
			out, err = libsignal.ExportPreKeyRecord(k)
		}
	default:
		t.Fatalf("no record type for %s", name)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

// TestOursLibsignalAnswers checks what libsignal did with the exports, and
// reads its answers with the sessions this library exported and imports
// again.
func TestOursLibsignalAnswers(t *testing.T) {
	v := knownAnswers(t, oursFile)
	for name, want := range map[string]string{
		"libsignal_carol_decrypted":         "hello carol",
		"libsignal_frank_decrypted_next":    "next from erin",
		"libsignal_frank_decrypted_skipped": "e3",
		"libsignal_frank_group_next":        "g2",
		"libsignal_frank_group_skipped":     "g0",
	} {
		if string(v[name]) != want {
			t.Errorf("%s: %q, want %q", name, v[name], want)
		}
	}
	carol := session.Address{Name: "carol", DeviceID: 1}
	frank := session.Address{Name: "frank", DeviceID: 1}
	dave := importedParty(t, v, "dave", 4444)
	dave.putSession(t, carol, importSession(t, v["dave_session_record"]))
	dave.decrypt(t, carol, session.TypeSignal, v["carol_to_dave"], "hello dave")
	erin := importedParty(t, v, "erin", 5555)
	erin.putSession(t, frank, importSession(t, v["erin_session_record"]))
	erin.decrypt(t, frank, session.TypeSignal, v["frank_to_erin"], "reply from frank")
	erin.decrypt(t, frank, session.TypeSignal, v["frank_skipped_to_erin"], "f1") // archived session
}
