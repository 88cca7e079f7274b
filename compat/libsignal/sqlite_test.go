// The fuzzlean tag leaves this test out of .ci/fuzz's instrumented test
// binaries: it is the only test of the package that imports SQLite, whose
// transpiled C, once instrumented for coverage, halves the executions per
// second of every fuzz target here.

//go:build !fuzzlean

package libsignal_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/forwardsecret/signal/compat/libsignal"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/sqlstore/sqlite"
)

// TestLibsignalIntoSQLite migrates Bob's libsignal records into a SQLite
// store, as a migration command does, reopens it and uses them: the
// imported Kyber prekey (stored in libsignal's expanded form, having no
// seed) decapsulates Alice's PreKey message, and the imported session
// reads Alice's next message.
func TestLibsignalIntoSQLite(t *testing.T) {
	v := knownAnswers(t, libsignalFile)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bob.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	id, err := libsignal.ImportIdentityKeyPair(v["bob_identity_key_pair"])
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Init(ctx, id, 2222); err != nil {
		t.Fatal(err)
	}
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
	for _, err := range []error{st.AddPreKey(ctx, pk), st.AddSignedPreKey(ctx, spk), st.AddKEMPreKey(ctx, kk)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := session.NewManager(session.StoresOf(st))
	pt, err := m.Decrypt(ctx, aliceAddr, session.Message{Type: session.TypePreKey, Body: v["prekey_message"]})
	if err != nil || string(pt) != "m1" {
		t.Fatalf("PreKey message: %q (%v)", pt, err)
	}
	// Replace the session by the one libsignal had mid-conversation.
	if err := st.StoreSession(ctx, aliceAddr, importSession(t, v["session_record_bob"]), session.Consumed{}); err != nil {
		t.Fatal(err)
	}
	pt, err = m.Decrypt(ctx, aliceAddr, session.Message{Type: session.TypeSignal, Body: v["next_from_alice"]})
	if err != nil || string(pt) != "next from alice" {
		t.Fatalf("next message: %q (%v)", pt, err)
	}
}
