package migrate

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forwardsecret/signal/compat/gomau"
	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/sqlstore"
	"github.com/forwardsecret/signal/sqlstore/sqlite"
	"github.com/forwardsecret/signal/x3dh"
)

// The known answers of package compat/gomau: records go.mau.fi/libsignal
// v0.2.1 wrote (with whatsmeow's serializer) in the middle of a conversation
// between alice.1 and bob.1, and what each sent afterwards (see
// compat/gomau/testdata/README.md).
const gomauKnown = "../../compat/gomau/testdata/go.mau.fi-libsignal-0.2.1.json"

func gomauAnswers(t testing.TB) map[string][]byte {
	t.Helper()
	raw, err := os.ReadFile(gomauKnown)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for k, s := range m {
		if b, err := hex.DecodeString(s); err == nil {
			out[k] = b
		}
	}
	return out
}

// The test store's devices, as whatsmeow names them: alice and bob of the
// known answers as WhatsApp devices, and carol, whose rows are broken.
const (
	aliceJID  = "4915100000001:1@s.whatsapp.net"
	bobJID    = "4915100000002:1@s.whatsapp.net"
	carolJID  = "4915100000003:2@s.whatsapp.net"
	aliceSig  = "4915100000001:1" // go.mau.fi/libsignal's SignalAddress.String
	bobSig    = "4915100000002:1"
	groupChat = "120363025246125486@g.us"
)

var (
	aliceAddr = session.Address{Name: "4915100000001", DeviceID: 1}
	bobAddr   = session.Address{Name: "4915100000002", DeviceID: 1}
	migrated  = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

// whatsmeowDB fills a database (SQLite or PostgreSQL: placeholders are
// $n, rewritten for SQLite) with whatsmeow's schema and the devices alice,
// bob and carol.
type whatsmeowDB struct {
	db      *sql.DB
	dialect sqlstore.Dialect
}

func (w *whatsmeowDB) exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if w.dialect == sqlstore.SQLite {
		for i := len(args); i >= 1; i-- {
			q = strings.ReplaceAll(q, fmt.Sprintf("$%d", i), "?")
		}
	}
	if _, err := w.db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func rawPrivate(k *curve.PrivateKey) []byte { return k.Bytes() }

func (w *whatsmeowDB) device(t testing.TB, jid string, regID uint32, id *curve.IdentityKeyPair, spk *x3dh.SignedPreKey) {
	t.Helper()
	w.exec(t, `INSERT INTO whatsmeow_device (jid, registration_id, noise_key, identity_key,
		signed_pre_key, signed_pre_key_id, signed_pre_key_sig,
		adv_key, adv_details, adv_account_sig, adv_account_sig_key, adv_device_sig)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		jid, int64(regID), make([]byte, 32), rawPrivate(id.PrivateKey()),
		rawPrivate(spk.KeyPair.Private), int64(spk.ID), spk.Signature,
		make([]byte, 32), []byte{}, make([]byte, 64), make([]byte, 32), make([]byte, 64))
}

func identityOf(t testing.TB, v map[string][]byte, name string) *curve.IdentityKeyPair {
	t.Helper()
	priv, err := curve.NewPrivateKey(v[name+"_identity_private"])
	if err != nil {
		t.Fatal(err)
	}
	id, err := curve.NewIdentityKeyPair(priv)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// fill writes the schema and the three devices:
//
//   - bob (the known answers' Bob): signed prekey 7 and one-time prekey 3
//     of the known answers, one-time prekey 4 never uploaded, alice's
//     identity, his session with alice, his copy of alice's sender key;
//   - alice: a signed prekey made here, bob's identity, her session with
//     bob, her own sender key;
//   - carol: records that do not import (garbage, a NULL session, a
//     version 2 session, an address without a device).
func (w *whatsmeowDB) fill(t testing.TB, v map[string][]byte) {
	t.Helper()
	for _, q := range whatsmeowSchema {
		w.exec(t, q)
	}
	alice, bob := identityOf(t, v, "alice"), identityOf(t, v, "bob")
	bobSPK := must(gomau.ImportSignedPreKeyRecord(v["signed_prekey_record"]))
	w.device(t, bobJID, 2222, bob, bobSPK)
	aliceSPK := must(x3dh.GenerateSignedPreKey(alice, 1))
	w.device(t, aliceJID, 1111, alice, aliceSPK)
	carol := must(curve.GenerateIdentityKeyPair())
	carolSPK := must(x3dh.GenerateSignedPreKey(carol, 5))
	w.device(t, carolJID, 3333, carol, carolSPK)

	pk3 := must(gomau.ImportPreKeyRecord(v["prekey_record"]))
	pk4 := must(x3dh.GenerateOneTimePreKey(4))
	w.exec(t, `INSERT INTO whatsmeow_pre_keys (jid, key_id, key, uploaded) VALUES ($1, $2, $3, $4)`, bobJID, 3, rawPrivate(pk3.KeyPair.Private), true)
	w.exec(t, `INSERT INTO whatsmeow_pre_keys (jid, key_id, key, uploaded) VALUES ($1, $2, $3, $4)`, bobJID, 4, rawPrivate(pk4.KeyPair.Private), false)

	u := func(k curve.PublicKey) []byte { b := k.U(); return b[:] }
	w.exec(t, `INSERT INTO whatsmeow_identity_keys (our_jid, their_id, identity) VALUES ($1, $2, $3)`, bobJID, aliceSig, u(alice.PublicKey()))
	w.exec(t, `INSERT INTO whatsmeow_identity_keys (our_jid, their_id, identity) VALUES ($1, $2, $3)`, aliceJID, bobSig, u(bob.PublicKey()))
	w.exec(t, `INSERT INTO whatsmeow_sessions (our_jid, their_id, session) VALUES ($1, $2, $3)`, bobJID, aliceSig, v["session_record_bob"])
	w.exec(t, `INSERT INTO whatsmeow_sessions (our_jid, their_id, session) VALUES ($1, $2, $3)`, aliceJID, bobSig, v["session_record_alice"])
	w.exec(t, `INSERT INTO whatsmeow_sender_keys (our_jid, chat_id, sender_id, sender_key) VALUES ($1, $2, $3, $4)`, bobJID, groupChat, aliceSig, v["sender_key_record_bob"])
	w.exec(t, `INSERT INTO whatsmeow_sender_keys (our_jid, chat_id, sender_id, sender_key) VALUES ($1, $2, $3, $4)`, aliceJID, groupChat, aliceSig, v["sender_key_record_alice"])
	w.exec(t, `INSERT INTO whatsmeow_contacts (our_jid, their_jid, push_name) VALUES ($1, $2, $3)`, bobJID, "4915100000001@s.whatsapp.net", "Alice")

	// Carol's broken rows.
	var st map[string]any
	if err := json.Unmarshal(v["session_record_bob"], &st); err != nil {
		t.Fatal(err)
	}
	st["SessionState"].(map[string]any)["SessionVersion"] = 2
	st["PreviousStates"] = []any{}
	v2 := must(json.Marshal(st))
	for _, r := range []struct {
		their string
		rec   []byte
	}{
		{"4915100000009:0", []byte(`{"SessionState":`)}, // cut short
		{"4915100000010:0", nil},                        // NULL
		{"4915100000011:0", v2},                         // version 2
		{"4915100000012", v["session_record_bob"]},      // no device
		{"4915100000013:0", v["session_record_alice"]},  // fine
	} {
		w.exec(t, `INSERT INTO whatsmeow_sessions (our_jid, their_id, session) VALUES ($1, $2, $3)`, carolJID, r.their, r.rec)
	}
	w.exec(t, `INSERT INTO whatsmeow_sender_keys (our_jid, chat_id, sender_id, sender_key) VALUES ($1, $2, $3, $4)`,
		carolJID, groupChat, "4915100000009:0", []byte(`{"SenderKeyStates":[{"KeyID":1}]}`))
	w.exec(t, `INSERT INTO whatsmeow_identity_keys (our_jid, their_id, identity) VALUES ($1, $2, $3)`, carolJID, "4915100000013:0", u(alice.PublicKey()))
}

// newWhatsmeowSQLite writes the test store into a new SQLite file (in the
// default rollback-journal mode, as whatsmeow leaves it once closed) and
// returns its name.
func newWhatsmeowSQLite(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "whatsmeow.db")
	db, err := sql.Open(sqlstore.DriverSQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	(&whatsmeowDB{db: db, dialect: sqlstore.SQLite}).fill(t, gomauAnswers(t))
	return path
}

// dirState is every file of a directory with the SHA-256 of its bytes.
func dirState(t testing.TB, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = sha256.Sum256(b)
	}
	return out
}

func sameDir(t testing.TB, dir string, before map[string][32]byte) {
	t.Helper()
	after := dirState(t, dir)
	if len(after) != len(before) {
		t.Errorf("the source's directory holds %d files, %d before", len(after), len(before))
	}
	for name, h := range before {
		if after[name] != h {
			t.Errorf("%s changed", name)
		}
	}
}

func run(t testing.TB, opts Options) *Report {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = migrated
	}
	rep, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

func wantCounts(t testing.TB, rep *Report, k Kind, imported, skipped, failed int) {
	t.Helper()
	if i, s, f := rep.Count(k, Imported), rep.Count(k, Skipped), rep.Count(k, Failed); i != imported || s != skipped || f != failed {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Errorf("%s: %d imported, %d skipped, %d failed; want %d, %d, %d\n%s", k, i, s, f, imported, skipped, failed, b.String())
	}
}

// party is a migrated device, continued with this library.
type party struct {
	st   *sqlstore.Store
	m    *session.Manager
	sk   *senderkey.Cipher
	addr session.Address
}

func openParty(t testing.TB, path string, addr session.Address) *party {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &party{st: st, m: session.NewManager(session.StoresOf(st)), sk: senderkey.NewCipher(st), addr: addr}
}

func (p *party) decrypt(t testing.TB, from session.Address, m session.Message, want string) {
	t.Helper()
	pt, err := p.m.Decrypt(context.Background(), from, m)
	if err != nil || string(pt) != want {
		t.Fatalf("%v decrypted %q (%v), want %q", p.addr, pt, err, want)
	}
}

func signalMessage(b []byte) session.Message {
	return session.Message{Type: session.TypeSignal, Body: b}
}

// TestWhatsmeowSQLite migrates alice's and bob's devices out of one
// whatsmeow store, and the two go on talking with this library: the
// messages go.mau.fi/libsignal sent after the records were taken decrypt
// (skipped ones too), new ones go both ways, and so do group messages
// under the sender keys. The store's file is byte-identical afterwards,
// and no journal, -wal or -shm file appears beside it.
func TestWhatsmeowSQLite(t *testing.T) {
	v := gomauAnswers(t)
	src := newWhatsmeowSQLite(t)
	before := dirState(t, filepath.Dir(src))
	out := t.TempDir()
	from := Source{Kind: WhatsmeowSQLite, Location: src}

	// A dry run reports what a real one does, and writes nothing.
	target := Target{Dialect: sqlstore.SQLite, Location: filepath.Join(out, "bob.db")}
	dry := run(t, Options{From: from, To: target, DryRun: true, WhatsmeowJID: bobJID})
	if dry.Committed || !dry.DryRun {
		t.Errorf("dry run: committed %v", dry.Committed)
	}
	if _, err := os.Stat(target.Location); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dry run made the target: %v", err)
	}
	rep := run(t, Options{From: from, To: target, WhatsmeowJID: bobJID})
	if !rep.Committed || rep.Failed() != 0 {
		t.Fatalf("bob: committed %v, %d failed", rep.Committed, rep.Failed())
	}
	dry.DryRun, dry.Committed, dry.Target = rep.DryRun, rep.Committed, rep.Target
	if fmt.Sprint(dry) != fmt.Sprint(rep) {
		t.Errorf("the dry run's report differs from the run's:\n%v\n%v", dry, rep)
	}
	for _, c := range []struct {
		k       Kind
		i, s, f int
	}{
		{KindIdentity, 1, 0, 0}, {KindSignedPreKey, 1, 0, 0}, {KindPreKey, 2, 0, 0}, {KindPeerIdentity, 1, 0, 0},
		{KindSession, 1, 0, 0}, {KindSenderKey, 1, 0, 0}, {KindDevice, 0, 2, 0}, {KindOther, 0, 2, 0},
	} {
		wantCounts(t, rep, c.k, c.i, c.s, c.f)
	}
	aliceTarget := Target{Dialect: sqlstore.SQLite, Location: filepath.Join(out, "alice.db")}
	if rep := run(t, Options{From: from, To: aliceTarget, WhatsmeowJID: aliceJID}); !rep.Committed || rep.Imported() != 5 {
		t.Fatalf("alice: committed %v, %d imported", rep.Committed, rep.Imported())
	}
	sameDir(t, filepath.Dir(src), before)

	ctx := context.Background()
	alice, bob := openParty(t, aliceTarget.Location, aliceAddr), openParty(t, target.Location, bobAddr)
	if reg, err := bob.st.LocalRegistrationID(ctx); err != nil || reg != 2222 {
		t.Errorf("bob's registration id %d (%v)", reg, err)
	}
	if id, err := bob.st.IdentityKeyPair(ctx); err != nil || !id.PublicKey().Equal(identityOf(t, v, "bob").PublicKey()) {
		t.Errorf("bob's identity (%v)", err)
	}
	if spk, err := bob.st.LoadSignedPreKey(ctx, 7); err != nil || !spk.Timestamp.IsZero() {
		t.Errorf("bob's signed prekey: %v (%v)", spk, err)
	}
	for _, id := range []uint32{3, 4} {
		if ok, err := bob.st.HasPreKey(ctx, id); !ok || err != nil {
			t.Errorf("bob's prekey %d: %v (%v)", id, ok, err)
		}
	}
	if k, ok, err := bob.st.Identity(ctx, aliceAddr); !ok || err != nil || !k.Equal(identityOf(t, v, "alice").PublicKey()) {
		t.Errorf("alice's identity at bob: %v (%v)", ok, err)
	}

	alice.decrypt(t, bobAddr, signalMessage(v["next_from_bob"]), "next from bob")
	alice.decrypt(t, bobAddr, signalMessage(v["skipped_from_bob_current"]), "r6")
	alice.decrypt(t, bobAddr, signalMessage(v["skipped_from_bob"]), "r2")
	bob.decrypt(t, aliceAddr, signalMessage(v["next_from_alice"]), "next from alice")
	for i := range 6 {
		from, to := alice, bob
		if i%2 == 1 {
			from, to = bob, alice
		}
		pt := fmt.Sprintf("after the migration %d", i)
		m, err := from.m.Encrypt(ctx, to.addr, []byte(pt))
		if err != nil {
			t.Fatal(err)
		}
		to.decrypt(t, from.addr, m, pt)
	}

	// Bob's copy of alice's sender key skipped g0 and g1. (Alice's record
	// was taken before she sent group_next, at the iteration her first
	// message after the migration takes.)
	dist := WhatsmeowDistributionID(groupChat)
	for _, c := range []struct{ msg, want string }{{"group_skipped_1", "g1"}, {"group_skipped_0", "g0"}} {
		pt, err := bob.sk.DecryptLegacy(ctx, senderkey.Sender(aliceAddr), dist, v[c.msg])
		if err != nil || string(pt) != c.want {
			t.Errorf("bob decrypted %s: %q (%v)", c.msg, pt, err)
		}
	}
	g, err := alice.sk.EncryptLegacy(ctx, senderkey.Sender(aliceAddr), dist, []byte("group after"))
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := bob.sk.DecryptLegacy(ctx, senderkey.Sender(aliceAddr), dist, g); err != nil || string(pt) != "group after" {
		t.Errorf("bob decrypted alice's new group message: %q (%v)", pt, err)
	}
}

// TestWhatsmeowFailures migrates carol, whose rows do not all import: by
// default nothing is written (and the new target file is removed); with
// AllowFailures the others are.
func TestWhatsmeowFailures(t *testing.T) {
	src := newWhatsmeowSQLite(t)
	before := dirState(t, filepath.Dir(src))
	from := Source{Kind: WhatsmeowSQLite, Location: src}
	target := Target{Dialect: sqlstore.SQLite, Location: filepath.Join(t.TempDir(), "carol.db")}
	rep := run(t, Options{From: from, To: target, WhatsmeowJID: carolJID})
	if rep.Committed {
		t.Error("a run with failures committed")
	}
	wantCounts(t, rep, KindSession, 1, 2, 2)
	wantCounts(t, rep, KindSenderKey, 0, 0, 1)
	wantCounts(t, rep, KindPeerIdentity, 1, 0, 0)
	for _, e := range rep.Entries {
		if e.Outcome != Imported && e.Reason == "" {
			t.Errorf("%v without a reason", e)
		}
	}
	if _, err := os.Stat(target.Location); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the failed run left the target: %v", err)
	}
	rep = run(t, Options{From: from, To: target, WhatsmeowJID: carolJID, AllowFailures: true})
	if !rep.Committed || rep.Failed() != 3 {
		t.Fatalf("with AllowFailures: committed %v, %d failed", rep.Committed, rep.Failed())
	}
	p := openParty(t, target.Location, session.Address{Name: "4915100000003", DeviceID: 2})
	ctx := context.Background()
	if ok, err := p.m.HasSession(ctx, session.Address{Name: "4915100000013", DeviceID: 0}); !ok || err != nil {
		t.Errorf("carol's good session: %v (%v)", ok, err)
	}
	// The target now holds a device: a second run is refused.
	if _, err := Run(ctx, Options{From: from, To: target, WhatsmeowJID: carolJID}); !errors.Is(err, ErrTargetNotEmpty) {
		t.Errorf("a run into a target with a device: %v", err)
	}
	sameDir(t, filepath.Dir(src), before)
}

// TestWhatsmeowSourceErrors checks the errors that stop a run before it
// writes: several devices and none chosen, an unknown device, a pending
// -wal file, a file that is not a whatsmeow store.
func TestWhatsmeowSourceErrors(t *testing.T) {
	ctx := context.Background()
	src := newWhatsmeowSQLite(t)
	from := Source{Kind: WhatsmeowSQLite, Location: src}
	target := Target{Dialect: sqlstore.SQLite, Location: filepath.Join(t.TempDir(), "out.db")}
	if _, err := Run(ctx, Options{From: from, To: target}); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), bobJID) {
		t.Errorf("no device chosen: %v", err)
	}
	if _, err := Run(ctx, Options{From: from, To: target, WhatsmeowJID: "nobody@s.whatsapp.net"}); !errors.Is(err, ErrUsage) {
		t.Errorf("unknown device: %v", err)
	}
	if _, err := Run(ctx, Options{From: Source{Kind: LibsignalDir, Location: t.TempDir()}, To: target, WhatsmeowJID: bobJID}); !errors.Is(err, ErrUsage) {
		t.Errorf("-whatsmeow-jid with a directory: %v", err)
	}
	if err := os.WriteFile(src+"-wal", []byte("pending"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, Options{From: from, To: target, WhatsmeowJID: bobJID}); !errors.Is(err, ErrSource) || !strings.Contains(err.Error(), "-wal") {
		t.Errorf("a pending -wal file: %v", err)
	}
	os.Remove(src + "-wal")
	other := filepath.Join(t.TempDir(), "other.db")
	db, err := sql.Open(sqlstore.DriverSQLite, other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Run(ctx, Options{From: Source{Kind: WhatsmeowSQLite, Location: other}, To: target}); !errors.Is(err, ErrSource) {
		t.Errorf("not a whatsmeow store: %v", err)
	}
	if _, err := Run(ctx, Options{From: Source{Kind: WhatsmeowSQLite, Location: filepath.Join(t.TempDir(), "missing.db")}, To: target}); !errors.Is(err, ErrSource) {
		t.Errorf("a missing file: %v", err)
	}
	if _, err := os.Stat(target.Location); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("runs that stopped left the target: %v", err)
	}
}

// TestWhatsmeowPostgres reads the test store from PostgreSQL (in a READ
// ONLY transaction) and writes the target there too; it needs a server
// (SIGNAL_TEST_POSTGRES_DSN, as the sqlstore tests).
func TestWhatsmeowPostgres(t *testing.T) {
	dsn := os.Getenv("SIGNAL_TEST_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("SIGNAL_TEST_POSTGRES_DSN is not set: CI must provide a PostgreSQL server")
		}
		t.Skip("SIGNAL_TEST_POSTGRES_DSN is not set")
	}
	srcDSN, dstDSN := pgSchema(t, dsn), pgSchema(t, dsn)
	db, err := sql.Open(sqlstore.DriverPostgres, srcDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v := gomauAnswers(t)
	(&whatsmeowDB{db: db, dialect: sqlstore.Postgres}).fill(t, v)
	sum := func() string {
		var s string
		if err := db.QueryRow(`SELECT md5(string_agg(t, ',' ORDER BY t)) FROM (
			SELECT our_jid || their_id || encode(session, 'hex') AS t FROM whatsmeow_sessions
			UNION ALL SELECT our_jid || chat_id || sender_id || encode(sender_key, 'hex') FROM whatsmeow_sender_keys
			UNION ALL SELECT jid || key_id || encode(key, 'hex') FROM whatsmeow_pre_keys) x`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := sum()
	rep := run(t, Options{From: Source{Kind: WhatsmeowPostgres, Location: srcDSN},
		To: Target{Dialect: sqlstore.Postgres, Location: dstDSN}, WhatsmeowJID: bobJID})
	if !rep.Committed || rep.Failed() != 0 || rep.Count(KindSession, Imported) != 1 || rep.Count(KindOther, Skipped) != 2 {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("committed %v\n%s", rep.Committed, b.String())
	}
	if sum() != before {
		t.Error("the source changed")
	}
	st, err := sqlstore.Open(context.Background(), sqlstore.DriverPostgres, dstDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := session.NewManager(session.StoresOf(st))
	if pt, err := m.Decrypt(context.Background(), aliceAddr, signalMessage(v["next_from_alice"])); err != nil || string(pt) != "next from alice" {
		t.Errorf("bob decrypted %q (%v)", pt, err)
	}
}

// pgSchema makes a schema in the database dsn for the test and returns a
// DSN that uses it.
func pgSchema(t testing.TB, dsn string) string {
	t.Helper()
	db, err := sql.Open(sqlstore.DriverPostgres, dsn)
	if err != nil {
		t.Fatal(err)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	schema := "t_" + hex.EncodeToString(rnd[:])
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
		db.Close()
	})
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}

func TestParseWhatsmeowAddress(t *testing.T) {
	for in, want := range map[string]session.Address{
		"491511234567:0":               {Name: "491511234567", DeviceID: 0},
		"491511234567:12":              {Name: "491511234567", DeviceID: 12},
		"123456789012345_1:3":          {Name: "123456789012345_1", DeviceID: 3}, // a LID
		"a:b:7":                        {Name: "a:b", DeviceID: 7},
		"4915100000001_128:4294967295": {Name: "4915100000001_128", DeviceID: 4294967295},
	} {
		if got, err := ParseWhatsmeowAddress(in); err != nil || got != want {
			t.Errorf("%q: %v (%v), want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "491511234567", ":1", "4915:", "4915:x", "4915:4294967296", "4915:-1"} {
		if got, err := ParseWhatsmeowAddress(in); err == nil {
			t.Errorf("%q: %v, want an error", in, got)
		}
	}
}

// TestWhatsmeowDistributionID checks the UUIDs against Python's
// uuid.uuid5(uuid.NAMESPACE_URL, "xmpp:" + chat).
func TestWhatsmeowDistributionID(t *testing.T) {
	for chat, want := range map[string]string{
		"120363025246125486@g.us": "a5fef7a8-bc41-5060-85d5-8bc71b834d84",
		"status@broadcast":        "1ea61f73-4407-5da5-9a52-b43902f82b2b",
	} {
		if got := WhatsmeowDistributionID(chat).String(); got != want {
			t.Errorf("%s: %s, want %s", chat, got, want)
		}
	}
}
