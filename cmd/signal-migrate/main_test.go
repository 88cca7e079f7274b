package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/compat/libsignal"
	"github.com/forwardsecret/signal/internal/migrate"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/sqlstore/sqlite"
	"github.com/forwardsecret/signal/x3dh"
)

// exportDevice writes a device with one session (bob's, with alice) into
// dir in the libsignal-dir layout, and returns alice's Manager.
func exportDevice(t *testing.T, dir string) *session.Manager {
	t.Helper()
	ctx := context.Background()
	alice, err := memstore.NewDevice()
	if err != nil {
		t.Fatal(err)
	}
	bob, err := memstore.NewDevice()
	if err != nil {
		t.Fatal(err)
	}
	bobID, _ := bob.IdentityKeyPair(ctx)
	bobReg, _ := bob.LocalRegistrationID(ctx)
	spk, err := x3dh.GenerateSignedPreKey(bobID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.AddSignedPreKey(ctx, spk); err != nil {
		t.Fatal(err)
	}
	b, err := x3dh.NewBundle(bobReg, 1, bobID.PublicKey(), spk.Public(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	am, bm := session.NewManager(session.StoresOf(alice)), session.NewManager(session.StoresOf(bob))
	aliceAddr, bobAddr := session.Address{Name: "alice", DeviceID: 1}, session.Address{Name: "bob", DeviceID: 1}
	if err := am.ProcessBundle(ctx, bobAddr, b); err != nil {
		t.Fatal(err)
	}
	m, err := am.Encrypt(ctx, bobAddr, []byte("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bm.Decrypt(ctx, aliceAddr, m); err != nil {
		t.Fatal(err)
	}
	rec, _ := bob.LoadSession(ctx, aliceAddr)
	files := map[string][]byte{"registration_id": []byte(strconv.Itoa(int(bobReg)))}
	if files["identity_key_pair"], err = libsignal.ExportIdentityKeyPair(bobID); err != nil {
		t.Fatal(err)
	}
	if files["signed_prekeys/1"], err = libsignal.ExportSignedPreKeyRecord(spk); err != nil {
		t.Fatal(err)
	}
	if files["sessions/alice.1"], err = libsignal.ExportSessionRecord(rec); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return am
}

func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCommand(t *testing.T) {
	dir := t.TempDir()
	alice := exportDevice(t, dir)
	target := filepath.Join(t.TempDir(), "bob.db")

	// Usage errors: exit 2.
	for _, args := range [][]string{
		{},
		{"-from", "libsignal-dir:" + dir}, // no target
		{"-from", "mysql:x", "-to", "sqlite:" + target},                      // unknown source
		{"-from", "libsignal-dir:" + dir, "-to", "bob.db"},                   // target without a kind
		{"-from", "libsignal-dir:" + dir, "-dry-run", "extra"},               // an argument
		{"-from", "libsignal-dir:" + dir, "-dry-run", "-whatsmeow-jid", "x"}, // jid for a directory
		{"-nope"},
	} {
		if code, _, stderr := runCmd(args...); code != 2 || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
	}

	// A dry run needs no target, prints the report, writes nothing.
	code, stdout, stderr := runCmd("-from", "libsignal-dir:"+dir, "-dry-run", "-json")
	if code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, stderr)
	}
	var rep migrate.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("dry run -json: %v\n%s", err, stdout)
	}
	if !rep.DryRun || rep.Committed || rep.Imported() != 3 || rep.Failed() != 0 {
		t.Errorf("dry run report: %+v", rep)
	}

	code, stdout, stderr = runCmd("-from", "libsignal-dir:"+dir, "-to", "sqlite:"+target)
	if code != 0 || !strings.Contains(stdout, "imported  session        sessions/alice.1 -> session alice.1") ||
		!strings.Contains(stdout, "total: 3 imported, 0 skipped, 0 failed; written") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	// The target now holds a device: exit 2.
	if code, _, stderr := runCmd("-from", "libsignal-dir:"+dir, "-to", "sqlite:"+target); code != 2 || !strings.Contains(stderr, "already holds a device") {
		t.Errorf("second run: exit %d, %s", code, stderr)
	}

	// Bob goes on from the target.
	ctx := context.Background()
	st, err := sqlite.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bob := session.NewManager(session.StoresOf(st))
	m, err := alice.Encrypt(ctx, session.Address{Name: "bob", DeviceID: 1}, []byte("again"))
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := bob.Decrypt(ctx, session.Address{Name: "alice", DeviceID: 1}, m); err != nil || string(pt) != "again" {
		t.Errorf("bob decrypted %q (%v)", pt, err)
	}

	// A record that fails: exit 1, nothing written.
	if err := os.WriteFile(filepath.Join(dir, "sessions", "carol.1"), []byte{0xff}, 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other.db")
	code, stdout, _ = runCmd("-from", "libsignal-dir:"+dir, "-to", "sqlite:"+other)
	if code != 1 || !strings.Contains(stdout, "failed    session        sessions/carol.1") || !strings.Contains(stdout, "nothing written") {
		t.Errorf("exit %d\n%s", code, stdout)
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Errorf("the failed run left %s: %v", other, err)
	}
	code, stdout, _ = runCmd("-from", "libsignal-dir:"+dir, "-to", "sqlite:"+other, "-allow-failures")
	if code != 1 || !strings.Contains(stdout, "written without the failed records") {
		t.Errorf("-allow-failures: exit %d\n%s", code, stdout)
	}
}
