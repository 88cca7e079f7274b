package migrate

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/compat/libsignal"
	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/sqlstore"
	"github.com/forwardsecret/signal/x3dh"
)

// dirDevice is a device of this library in memory whose state the test
// exports into the libsignal-dir layout.
type dirDevice struct {
	st   *memstore.Store
	sk   *senderkey.MemoryStore
	m    *session.Manager
	c    *senderkey.Cipher
	addr session.Address
}

func newDirDevice(t testing.TB, addr session.Address) *dirDevice {
	t.Helper()
	st, err := memstore.NewDevice()
	if err != nil {
		t.Fatal(err)
	}
	sk := &senderkey.MemoryStore{}
	return &dirDevice{st: st, sk: sk, m: session.NewManager(session.StoresOf(st)), c: senderkey.NewCipher(sk), addr: addr}
}

// write puts b at rel under dir.
func write(t testing.TB, dir, rel string, b []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// must returns v, and panics (failing the test) for an error of the
// test's setup.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// libsignalDirScenario: bob publishes a v4 bundle (signed prekey 1,
// one-time prekeys 10 and 11, one-time KEM prekey 20, last-resort KEM
// prekey 21); alice starts a session with it (using 10 and 20) and the
// two talk, one message of alice's held back; alice hands bob her sender
// key and sends g0, g1, of which bob reads g1. Bob's state is then exported
// into dir with compat/libsignal's Export functions, with a legacy session
// record of libsignal-protocol-c beside it.
type libsignalDirScenario struct {
	dir        string
	alice, bob *dirDevice
	bobID      *curve.IdentityKeyPair
	heldBack   session.Message
	g0         []byte
	dist       senderkey.DistributionID
	bobSPK     *x3dh.SignedPreKey
	bobKEM21   *x3dh.KEMPreKey
	bobOneTime *x3dh.OneTimePreKey
	legacyAddr session.Address
	bobRegID   uint32
}

func newLibsignalDir(t testing.TB) *libsignalDirScenario {
	t.Helper()
	ctx := context.Background()
	s := &libsignalDirScenario{dir: t.TempDir()}
	// A name with a slash, which the file name escapes.
	s.alice = newDirDevice(t, session.Address{Name: "alice/phone", DeviceID: 1})
	s.bob = newDirDevice(t, session.Address{Name: "bob", DeviceID: 2})
	bob := s.bob
	s.bobID = must(bob.st.IdentityKeyPair(ctx))
	s.bobRegID = must(bob.st.LocalRegistrationID(ctx))
	s.bobSPK = must(x3dh.GenerateSignedPreKey(s.bobID, 1))
	otk10 := must(x3dh.GenerateOneTimePreKey(10))
	s.bobOneTime = must(x3dh.GenerateOneTimePreKey(11))
	kem20 := must(x3dh.GenerateKEMPreKey(s.bobID, 20, x3dh.Kyber1024))
	s.bobKEM21 = must(x3dh.GenerateKEMPreKey(s.bobID, 21, x3dh.Kyber1024))
	for _, err := range []error{
		bob.st.AddSignedPreKey(ctx, s.bobSPK), bob.st.AddPreKey(ctx, otk10), bob.st.AddPreKey(ctx, s.bobOneTime),
		bob.st.AddKEMPreKey(ctx, kem20), bob.st.AddLastResortKEMPreKey(ctx, s.bobKEM21),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	otkPub, kemPub := otk10.Public(), kem20.Public()
	b := must(x3dh.NewBundle(s.bobRegID, bob.addr.DeviceID, s.bobID.PublicKey(), s.bobSPK.Public(), &otkPub, &kemPub))
	if err := s.alice.m.ProcessBundle(ctx, bob.addr, b); err != nil {
		t.Fatal(err)
	}
	send := func(from, to *dirDevice, pt string) session.Message {
		t.Helper()
		return must(from.m.Encrypt(ctx, to.addr, []byte(pt)))
	}
	recv := func(at, from *dirDevice, m session.Message, want string) {
		t.Helper()
		if pt, err := at.m.Decrypt(ctx, from.addr, m); err != nil || string(pt) != want {
			t.Fatalf("%v decrypted %q (%v), want %q", at.addr, pt, err, want)
		}
	}
	recv(bob, s.alice, send(s.alice, bob, "a1"), "a1")
	recv(s.alice, bob, send(bob, s.alice, "b1"), "b1")
	recv(bob, s.alice, send(s.alice, bob, "a2"), "a2")
	s.heldBack = send(s.alice, bob, "a3 (held back)")
	recv(bob, s.alice, send(s.alice, bob, "a4"), "a4")

	s.dist = senderkey.NewDistributionID()
	dm := must(s.alice.c.CreateDistributionMessage(ctx, senderkey.Sender(s.alice.addr), s.dist))
	if err := bob.c.ProcessDistributionMessage(ctx, senderkey.Sender(s.alice.addr), dm); err != nil {
		t.Fatal(err)
	}
	s.g0 = must(s.alice.c.Encrypt(ctx, senderkey.Sender(s.alice.addr), s.dist, []byte("g0")))
	g1 := must(s.alice.c.Encrypt(ctx, senderkey.Sender(s.alice.addr), s.dist, []byte("g1")))
	if pt, err := bob.c.Decrypt(ctx, senderkey.Sender(s.alice.addr), g1); err != nil || string(pt) != "g1" {
		t.Fatalf("bob decrypted g1: %q (%v)", pt, err)
	}

	// Bob's state, exported.
	d := s.dir
	write(t, d, "identity_key_pair", must(libsignal.ExportIdentityKeyPair(s.bobID)))
	write(t, d, "registration_id", []byte(strconv.FormatUint(uint64(s.bobRegID), 10)+"\n"))
	write(t, d, "signed_prekeys/1", must(libsignal.ExportSignedPreKeyRecord(must(bob.st.LoadSignedPreKey(ctx, 1)))))
	if bob.st.HasPreKey(10) {
		t.Fatal("prekey 10 was not consumed")
	}
	write(t, d, "prekeys/11", must(libsignal.ExportPreKeyRecord(must(bob.st.LoadPreKey(ctx, 11)))))
	if _, err := bob.st.LoadKEMPreKey(ctx, 20); err == nil {
		t.Fatal("KEM prekey 20 was not consumed")
	}
	write(t, d, "last_resort_kyber_prekeys/21", must(libsignal.ExportKyberPreKeyRecord(must(bob.st.LoadKEMPreKey(ctx, 21)))))
	kem22 := must(x3dh.GenerateKEMPreKey(s.bobID, 22, x3dh.Kyber1024))
	write(t, d, "kyber_prekeys/22", must(libsignal.ExportKyberPreKeyRecord(kem22)))
	aliceKey, ok, err := bob.st.Identity(ctx, s.alice.addr)
	if !ok || err != nil {
		t.Fatalf("alice's identity at bob: %v (%v)", ok, err)
	}
	write(t, d, "identities/"+LibsignalDirAddress(s.alice.addr), must(libsignal.ExportIdentityKey(aliceKey)))
	write(t, d, "sessions/"+LibsignalDirAddress(s.alice.addr), must(libsignal.ExportSessionRecord(must(bob.st.LoadSession(ctx, s.alice.addr)))))
	rec := must(bob.sk.LoadSenderKey(ctx, senderkey.Sender(s.alice.addr), s.dist))
	write(t, d, "sender_keys/"+LibsignalDirAddress(s.alice.addr)+"/"+s.dist.String(), must(libsignal.ExportSenderKeyRecord(rec)))

	// A session record in the legacy layout, by libsignal-protocol-c.
	raw := must(os.ReadFile("../../compat/libsignal/testdata/libsignal-protocol-c-2.3.3.json"))
	var c map[string]string
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	s.legacyAddr = session.Address{Name: "carol", DeviceID: 7}
	write(t, d, "sessions/carol.7", must(hex.DecodeString(c["session_record_bob"])))
	// Its archived-only record: an empty current state of version 2 (no
	// state at all, dropped) and one archived state.
	write(t, d, "sessions/dave.3", must(hex.DecodeString(c["session_record_alice_archived_only"])))
	return s
}

// TestLibsignalDir migrates bob's exported state and bob goes on with
// this library: alice's held-back message and her new ones decrypt, his
// replies decrypt at alice's, a new peer starts a session from the migrated
// prekeys, and alice's sender key's skipped and new group messages decrypt.
func TestLibsignalDir(t *testing.T) {
	s := newLibsignalDir(t)
	before := dirState(t, filepath.Join(s.dir, "sessions"))
	target := Target{Dialect: sqlstore.SQLite, Location: filepath.Join(t.TempDir(), "bob.db")}
	rep := run(t, Options{From: Source{Kind: LibsignalDir, Location: s.dir}, To: target})
	if !rep.Committed || rep.Failed() != 0 || rep.Skipped() != 0 {
		t.Fatalf("committed %v, %d failed, %d skipped", rep.Committed, rep.Failed(), rep.Skipped())
	}
	for _, c := range []struct {
		k Kind
		n int
	}{{KindIdentity, 1}, {KindSignedPreKey, 1}, {KindPreKey, 1}, {KindKyberPreKey, 2}, {KindPeerIdentity, 1}, {KindSession, 3}, {KindSenderKey, 1}} {
		wantCounts(t, rep, c.k, c.n, 0, 0)
	}
	// libsignal-protocol-c's archived-only record reads only with the
	// legacy layout's rules.
	for _, e := range rep.Entries {
		if e.Source == "sessions/dave.3" && (!strings.Contains(e.Reason, "legacy layout") || !strings.Contains(e.Reason, "no current state, 1 archived")) {
			t.Errorf("%+v", e)
		}
	}
	sameDir(t, filepath.Join(s.dir, "sessions"), before)

	ctx := context.Background()
	bob := openParty(t, target.Location, s.bob.addr)
	if ok, err := bob.m.HasSession(ctx, s.legacyAddr); !ok || err != nil {
		t.Errorf("the legacy session: %v (%v)", ok, err)
	}
	bob.decrypt(t, s.alice.addr, s.heldBack, "a3 (held back)")
	for i := range 4 {
		pt := "after " + strconv.Itoa(i)
		if i%2 == 0 {
			bob.decrypt(t, s.alice.addr, must(s.alice.m.Encrypt(ctx, s.bob.addr, []byte(pt))), pt)
			continue
		}
		m := must(bob.m.Encrypt(ctx, s.alice.addr, []byte(pt)))
		if got, err := s.alice.m.Decrypt(ctx, bob.addr, m); err != nil || string(got) != pt {
			t.Fatalf("alice decrypted %q (%v)", got, err)
		}
	}

	// Dave fetches a bundle with the migrated prekeys: signed prekey 1,
	// one-time prekey 11, last-resort KEM prekey 21.
	dave := newDirDevice(t, session.Address{Name: "dave", DeviceID: 1})
	otk, kem := s.bobOneTime.Public(), s.bobKEM21.Public()
	b := must(x3dh.NewBundle(s.bobRegID, 2, s.bobID.PublicKey(), s.bobSPK.Public(), &otk, &kem))
	if err := dave.m.ProcessBundle(ctx, bob.addr, b); err != nil {
		t.Fatal(err)
	}
	bob.decrypt(t, dave.addr, must(dave.m.Encrypt(ctx, bob.addr, []byte("hello bob"))), "hello bob")
	if ok, err := bob.st.HasPreKey(ctx, 11); ok || err != nil {
		t.Errorf("prekey 11 still stored after its use: %v (%v)", ok, err)
	}

	for _, m := range [][]byte{s.g0, must(s.alice.c.Encrypt(ctx, senderkey.Sender(s.alice.addr), s.dist, []byte("g2")))} {
		if _, err := bob.sk.Decrypt(ctx, senderkey.Sender(s.alice.addr), m); err != nil {
			t.Errorf("bob's group decrypt: %v", err)
		}
	}
}

// TestLibsignalDirFailures adds files that do not import, or are not part
// of the layout: the run reports each, and writes nothing.
func TestLibsignalDirFailures(t *testing.T) {
	s := newLibsignalDir(t)
	d := s.dir
	pk11 := must(os.ReadFile(filepath.Join(d, "prekeys", "11")))
	write(t, d, "prekeys/abc", pk11)                   // not a key id
	write(t, d, "prekeys/99", pk11)                    // the record is prekey 11
	write(t, d, "sessions/garbage.1", []byte{1, 2, 3}) // not a record
	write(t, d, "sessions/nodevice", pk11)             // no device id
	write(t, d, "sessions/.DS_Store", nil)             // hidden
	write(t, d, "identities/x.1", []byte{5, 1})        // a short key
	write(t, d, "sender_keys/x.1/not-a-uuid", nil)     // a bad distribution id
	write(t, d, "sender_keys/flat", nil)               // a file, not a sender
	write(t, d, "notes.txt", []byte("hello"))          // not in the layout
	target := Target{Dialect: sqlstore.SQLite, Location: filepath.Join(t.TempDir(), "bob.db")}
	rep := run(t, Options{From: Source{Kind: LibsignalDir, Location: d}, To: target})
	if rep.Committed {
		t.Error("committed with failures")
	}
	wantCounts(t, rep, KindPreKey, 1, 0, 2)
	wantCounts(t, rep, KindSession, 3, 0, 2)
	wantCounts(t, rep, KindPeerIdentity, 1, 0, 1)
	wantCounts(t, rep, KindSenderKey, 1, 0, 2)
	wantCounts(t, rep, KindOther, 0, 2, 0)
	if _, err := os.Stat(target.Location); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the failed run left the target: %v", err)
	}

	// Without the identity a run stops.
	if err := os.Remove(filepath.Join(d, "registration_id")); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), Options{From: Source{Kind: LibsignalDir, Location: d}, To: target}); !errors.Is(err, ErrSource) {
		t.Errorf("no registration id: %v", err)
	}
}

func TestParseSourceTarget(t *testing.T) {
	for in, want := range map[string]Source{
		"whatsmeow-sqlite:/tmp/wm.db":                {WhatsmeowSQLite, "/tmp/wm.db"},
		"whatsmeow-postgres:postgres://u:p@h/db?x=1": {WhatsmeowPostgres, "postgres://u:p@h/db?x=1"},
		"libsignal-dir:./export":                     {LibsignalDir, "./export"},
		"whatsmeow-sqlite:file:wm.db?mode=ro":        {WhatsmeowSQLite, "file:wm.db?mode=ro"},
	} {
		if got, err := ParseSource(in); err != nil || got != want {
			t.Errorf("%q: %v (%v)", in, got, err)
		}
	}
	for _, in := range []string{"", "whatsmeow-sqlite", "whatsmeow-sqlite:", "sqlite:x.db", "dir:/x"} {
		if _, err := ParseSource(in); !errors.Is(err, ErrUsage) {
			t.Errorf("%q: %v", in, err)
		}
	}
	for in, want := range map[string]Target{
		"sqlite:out.db":             {sqlstore.SQLite, "out.db"},
		"postgres:postgres://h/db":  {sqlstore.Postgres, "postgres://h/db"},
		"postgres:host=h dbname=db": {sqlstore.Postgres, "host=h dbname=db"},
	} {
		if got, err := ParseTarget(in); err != nil || got != want {
			t.Errorf("%q: %v (%v)", in, got, err)
		}
	}
	for _, in := range []string{"", "out.db", "sqlite:", "mysql:x"} {
		if _, err := ParseTarget(in); !errors.Is(err, ErrUsage) {
			t.Errorf("%q: %v", in, err)
		}
	}
	for in, want := range map[string]string{
		"postgres:postgres://user:secret@host/db":   "postgres:postgres://user:xxxxx@host/db",
		"postgres:host=h password=secret dbname=db": "postgres:host=h password=xxxxx dbname=db",
		"postgres:postgres://user@host/db":          "postgres:postgres://user@host/db",
		"sqlite:/tmp/user:secret@host":              "sqlite:/tmp/user:secret@host",
	} {
		if got := must(ParseTarget(in)).String(); got != want {
			t.Errorf("%q prints %q, want %q", in, got, want)
		}
	}
	if got := must(ParseSource("whatsmeow-postgres:postgres://u:secret@h/db")).String(); got != "whatsmeow-postgres:postgres://u:xxxxx@h/db" {
		t.Errorf("source prints %q", got)
	}
}
