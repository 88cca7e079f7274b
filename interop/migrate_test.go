package interop_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/forwardsecret/signal/interop/peer"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/sqlstore"
	"github.com/forwardsecret/signal/sqlstore/postgres"
	"github.com/forwardsecret/signal/sqlstore/sqlite"
)

// The acceptance test of cmd/signal-migrate (issue #19): a whatsmeow
// device with sessions to many go.mau.fi/libsignal peers moves to this
// library, and every conversation goes on.
//
// One gomau peer process runs the whatsmeow device ("W"): its stores are
// whatsmeow's own SQL store (sqlstore.Container on a SQLite file) and its
// operations go through go.mau.fi/libsignal as whatsmeow calls it (the
// wm_* ops, interop/gomau/whatsmeow.go). Each of migrateEnds other ends is a
// gomau peer process of its own. Before the migration, per end (by its
// index mod 4):
//
//	0  W starts the session from the end's bundle; messages both ways; the
//	   end sends x1 and x2, W reads x2 only (x1's key is a skipped key in
//	   W's record);
//	1  the end starts from W's bundle (a one-time prekey of whatsmeow's
//	   store for half of them); messages both ways; the end's last message
//	   is held back (W's receiving chain must produce its key);
//	2  W starts from the end's bundle and sends one PreKey message, held
//	   back: W's session is still unacknowledged;
//	3  as 1, then W starts a new session from a second bundle of the
//	   end's (W's first session archived), and the end sends on the first
//	   one, held back (only the archived state decrypts it).
//
// Sender keys: W hands its sender key for a group to some ends, and some
// ends hand theirs to W (one group message each held back).
//
// W's database is closed; signal-migrate runs on it with -dry-run and then
// for real (the file byte-identical after each), and this library opens the
// migrated store: every held-back message decrypts, every end decrypts a
// new message and answers twice, the held-back group messages and new ones
// decrypt, and W's group message under the migrated sender key decrypts at
// each end that has the key.
const migrateEnds = 56

const (
	wmJID   = "4915100000000:7@s.whatsapp.net"
	wmGroup = "120363000000000042@g.us"
)

// wmAddr is W's address as the ends (and W's own sender key) name it.
var wmAddr = peer.Address{Name: "4915100000000", DeviceID: 7}

// wmDevice drives the whatsmeow device of a gomau peer.
type wmDevice struct{ p *peer.Process }

func (w wmDevice) call(t *testing.T, op string, req map[string]any, resp any) {
	t.Helper()
	if err := w.p.Call(context.Background(), op, req, resp); err != nil {
		t.Fatalf("whatsmeow device: %s: %v", op, err)
	}
}

func addrReq(a peer.Address, kv ...any) map[string]any {
	m := map[string]any{"name": a.Name, "device_id": a.DeviceID}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func (w wmDevice) bundle(t *testing.T, oneTime bool) peer.Bundle {
	var b peer.Bundle
	w.call(t, "wm_bundle", map[string]any{"one_time": oneTime}, &b)
	return b
}

func (w wmDevice) processBundle(t *testing.T, a peer.Address, b peer.Bundle) {
	w.call(t, "wm_process_bundle", addrReq(a, "bundle", b), nil)
}

func (w wmDevice) encrypt(t *testing.T, a peer.Address, pt string) peer.Message {
	var m peer.Message
	w.call(t, "wm_encrypt", addrReq(a, "plaintext", peer.Hex(pt)), &m)
	return m
}

func (w wmDevice) decrypt(t *testing.T, a peer.Address, m peer.Message, want string) {
	t.Helper()
	var r struct {
		Plaintext peer.Hex `json:"plaintext"`
	}
	w.call(t, "wm_decrypt", addrReq(a, "type", m.Type, "body", m.Body), &r)
	if string(r.Plaintext) != want {
		t.Fatalf("whatsmeow device decrypted %q from %v, want %q", r.Plaintext, a, want)
	}
}

// held is a message sent before the migration and delivered after it.
type held struct {
	m  peer.Message
	pt string
}

// migrateEnd is one other end of W's sessions.
type migrateEnd struct {
	p       *peer.Process
	addr    peer.Address // as W (and the migrated store) names it
	toW     []held       // from the end to W
	fromW   []held       // from W to the end
	group   []byte       // a group message of the end's, held back
	hasWKey bool         // the end holds W's sender key
}

func endDecrypt(t *testing.T, e *migrateEnd, m peer.Message, want string) {
	t.Helper()
	pt, err := e.p.Decrypt(context.Background(), wmAddr, m)
	if err != nil || string(pt) != want {
		t.Fatalf("%v decrypted %q (%v), want %q", e.addr, pt, err, want)
	}
}

func endEncrypt(t *testing.T, e *migrateEnd, pt string) peer.Message {
	t.Helper()
	m, err := e.p.Encrypt(context.Background(), wmAddr, []byte(pt))
	if err != nil {
		t.Fatalf("%v encrypt: %v", e.addr, err)
	}
	return m
}

// migrateReport is the part of signal-migrate -json's report read here.
type migrateReport struct {
	DryRun    bool `json:"dry_run"`
	Committed bool `json:"committed"`
	Entries   []struct {
		Kind    string `json:"kind"`
		Source  string `json:"source"`
		Target  string `json:"target"`
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
	} `json:"entries"`
}

func (r *migrateReport) count(kind, outcome string) int {
	n := 0
	for _, e := range r.Entries {
		if e.Kind == kind && e.Outcome == outcome {
			n++
		}
	}
	return n
}

// fileSums returns every file of dir with the SHA-256 of its bytes.
func fileSums(t *testing.T, dir string) map[string][32]byte {
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

func sameFiles(t *testing.T, what string, got, want map[string][32]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: the source's directory holds %d files, %d before", what, len(got), len(want))
	}
	for name, h := range want {
		if got[name] != h {
			t.Errorf("%s: %s changed", what, name)
		}
	}
}

// buildMigrate builds cmd/signal-migrate (of the root module) into dir.
func buildMigrate(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "signal-migrate")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/signal-migrate")
	cmd.Dir = filepath.Dir(peer.Dir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/signal-migrate: %v\n%s", err, out)
	}
	return bin
}

func runMigrate(t *testing.T, bin string, args ...string) migrateReport {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, append(args, "-json")...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("signal-migrate %q: %v\n%s\n%s", args, err, stdout.String(), stderr.String())
	}
	var r migrateReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("signal-migrate -json: %v\n%s", err, stdout.String())
	}
	return r
}

// TestMigrateWhatsmeow is the acceptance test: whatsmeow on SQLite, with
// migrateEnds sessions, migrated into SQLite.
func TestMigrateWhatsmeow(t *testing.T) { testMigrateWhatsmeow(t, "sqlite", migrateEnds) }

// TestMigrateWhatsmeowPostgres: whatsmeow on PostgreSQL (its own schema
// there), migrated into PostgreSQL, with fewer ends.
func TestMigrateWhatsmeowPostgres(t *testing.T) { testMigrateWhatsmeow(t, "postgres", 16) }

// whatsmeowSum is a SHA-256 over every row of the whatsmeow tables of a
// PostgreSQL database, in a fixed order.
func whatsmeowSum(t *testing.T, dsn string) [32]byte {
	t.Helper()
	db, err := sql.Open(sqlstore.DriverPostgres, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := sha256.New()
	for _, q := range []string{
		`SELECT jid, registration_id::text, encode(identity_key, 'hex') || encode(signed_pre_key, 'hex') || signed_pre_key_id::text FROM whatsmeow_device ORDER BY jid`,
		`SELECT our_jid, their_id, encode(identity, 'hex') FROM whatsmeow_identity_keys ORDER BY 1, 2`,
		`SELECT jid, key_id::text, encode(key, 'hex') || uploaded::text FROM whatsmeow_pre_keys ORDER BY 1, key_id`,
		`SELECT our_jid, their_id, encode(session, 'hex') FROM whatsmeow_sessions ORDER BY 1, 2`,
		`SELECT our_jid, chat_id || sender_id, encode(sender_key, 'hex') FROM whatsmeow_sender_keys ORDER BY 1, 2`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var a, b, c string
			if err := rows.Scan(&a, &b, &c); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(h, "%s|%s|%s\n", a, b, c)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return [32]byte(h.Sum(nil))
}

func testMigrateWhatsmeow(t *testing.T, backend string, nEnds int) {
	ctx := context.Background()
	srcDir, outDir := t.TempDir(), t.TempDir()
	dbPath := filepath.Join(srcDir, "whatsmeow.db")
	from, to := "whatsmeow-sqlite:"+dbPath, "sqlite:"+filepath.Join(outDir, "signal.db")
	var srcDSN, dstDSN string
	open := map[string]any{"path": dbPath, "jid": wmJID}
	if backend == "postgres" {
		_, srcDSN = sqlDatabase(t, backend)
		_, dstDSN = sqlDatabase(t, backend)
		from, to = "whatsmeow-postgres:"+srcDSN, "postgres:"+dstDSN
		open = map[string]any{"dsn": srcDSN, "jid": wmJID}
	}

	wp := needPeer(t, peer.KindGomau)
	wp.SetLabel("whatsmeow")
	wp.SetTimeout(2 * time.Minute)
	w := wmDevice{wp}
	var opened struct {
		IdentityPublic peer.Hex `json:"identity_public"`
		RegistrationID uint32   `json:"registration_id"`
	}
	w.call(t, "wm_open", open, &opened)

	ends := make([]*migrateEnd, nEnds)
	devices := []uint32{0, 1, 7, 12, 33}
	for i := range ends {
		name := fmt.Sprintf("4915200%06d", i)
		if i%5 == 3 {
			name = fmt.Sprintf("1%014d_1", 7300000000+i) // a LID, with whatsmeow's agent suffix
		}
		e := &migrateEnd{addr: peer.Address{Name: name, DeviceID: devices[i%len(devices)]}}
		e.p = newParty(t, peer.KindGomau, "end-"+e.addr.String(), e.addr.DeviceID)
		ends[i] = e
	}
	for i, e := range ends {
		p := fmt.Sprintf("[%d] ", i)
		switch i % 4 {
		case 0:
			b, err := e.p.Bundle(ctx, peer.BundleRequest{SignedPreKeyID: 1, OneTime: i%8 == 0})
			if err != nil {
				t.Fatal(err)
			}
			w.processBundle(t, e.addr, b)
			endDecrypt(t, e, w.encrypt(t, e.addr, p+"m1"), p+"m1")
			w.decrypt(t, e.addr, endEncrypt(t, e, p+"r1"), p+"r1")
			endDecrypt(t, e, w.encrypt(t, e.addr, p+"m2"), p+"m2")
			e.toW = append(e.toW, held{endEncrypt(t, e, p+"x1"), p + "x1"})
			w.decrypt(t, e.addr, endEncrypt(t, e, p+"x2"), p+"x2")
		case 1, 3:
			if err := e.p.ProcessBundle(ctx, wmAddr, w.bundle(t, i%8 == 1 || i%8 == 3)); err != nil {
				t.Fatal(err)
			}
			w.decrypt(t, e.addr, endEncrypt(t, e, p+"m1"), p+"m1")
			endDecrypt(t, e, w.encrypt(t, e.addr, p+"r1"), p+"r1")
			w.decrypt(t, e.addr, endEncrypt(t, e, p+"m2"), p+"m2")
			endDecrypt(t, e, w.encrypt(t, e.addr, p+"r2"), p+"r2")
			if i%4 == 1 {
				e.toW = append(e.toW, held{endEncrypt(t, e, p+"x1"), p + "x1"})
				break
			}
			b, err := e.p.Bundle(ctx, peer.BundleRequest{SignedPreKeyID: 2, OneTime: true})
			if err != nil {
				t.Fatal(err)
			}
			w.processBundle(t, e.addr, b) // archives W's first session
			e.toW = append(e.toW, held{endEncrypt(t, e, p+"old"), p + "old"})
		case 2:
			b, err := e.p.Bundle(ctx, peer.BundleRequest{SignedPreKeyID: 1, OneTime: i%8 == 2})
			if err != nil {
				t.Fatal(err)
			}
			w.processBundle(t, e.addr, b)
			e.fromW = append(e.fromW, held{w.encrypt(t, e.addr, p+"pending"), p + "pending"})
		}
	}

	// Sender keys: W's goes to every sixth end, and every ninth-but-one
	// end's to W.
	var wSKDM struct {
		SKDM peer.Hex `json:"skdm"`
	}
	w.call(t, "wm_group_create", addrReq(wmAddr, "group", wmGroup), &wSKDM)
	var g0 struct {
		Body peer.Hex `json:"body"`
	}
	w.call(t, "wm_group_encrypt", addrReq(wmAddr, "group", wmGroup, "plaintext", peer.Hex("g-w-0")), &g0)
	groupIn, groupOut := 0, 0
	for i, e := range ends {
		if i%6 == 0 {
			if err := e.p.GroupProcess(ctx, wmGroup, wmAddr, wSKDM.SKDM); err != nil {
				t.Fatal(err)
			}
			if pt, err := e.p.GroupDecrypt(ctx, wmGroup, wmAddr, g0.Body); err != nil || string(pt) != "g-w-0" {
				t.Fatalf("%v group decrypt: %q (%v)", e.addr, pt, err)
			}
			e.hasWKey = true
			groupOut++
		}
		if i%9 == 1 {
			self := peer.Address{Name: "self", DeviceID: e.addr.DeviceID}
			skdm, err := e.p.GroupCreate(ctx, wmGroup, self)
			if err != nil {
				t.Fatal(err)
			}
			w.call(t, "wm_group_process", addrReq(e.addr, "group", wmGroup, "skdm", peer.Hex(skdm)), nil)
			g1, err := e.p.GroupEncrypt(ctx, wmGroup, self, []byte(fmt.Sprintf("[%d] g1", i)))
			if err != nil {
				t.Fatal(err)
			}
			var r struct {
				Plaintext peer.Hex `json:"plaintext"`
			}
			w.call(t, "wm_group_decrypt", addrReq(e.addr, "group", wmGroup, "body", peer.Hex(g1)), &r)
			if e.group, err = e.p.GroupEncrypt(ctx, wmGroup, self, []byte(fmt.Sprintf("[%d] g2", i))); err != nil {
				t.Fatal(err)
			}
			groupIn++
		}
	}
	w.call(t, "wm_close", map[string]any{}, nil)
	if _, err := os.Stat(dbPath); (err == nil) != (backend == "sqlite") {
		t.Fatalf("whatsmeow's SQLite file: %v", err)
	}
	for _, side := range []string{"-wal", "-journal"} {
		if _, err := os.Stat(dbPath + side); err == nil {
			t.Fatalf("whatsmeow left %s%s behind", dbPath, side)
		}
	}

	// The migration: a dry run, then the real one; the source stays as it
	// was (the SQLite file byte for byte; every row on PostgreSQL).
	bin := buildMigrate(t, outDir)
	before := fileSums(t, srcDir)
	var pgBefore [32]byte
	if srcDSN != "" {
		pgBefore = whatsmeowSum(t, srcDSN)
	}
	unchanged := func(what string) {
		t.Helper()
		sameFiles(t, what, fileSums(t, srcDir), before)
		if srcDSN != "" && whatsmeowSum(t, srcDSN) != pgBefore {
			t.Errorf("%s: the whatsmeow tables changed", what)
		}
	}
	dry := runMigrate(t, bin, "-from", from, "-dry-run")
	unchanged("after -dry-run")
	if ents, _ := os.ReadDir(outDir); len(ents) != 1 {
		t.Fatalf("the dry run wrote into %s: %v", outDir, ents)
	}
	rep := runMigrate(t, bin, "-from", from, "-to", to)
	unchanged("after the migration")
	if !dry.DryRun || dry.Committed || !rep.Committed || len(dry.Entries) != len(rep.Entries) {
		t.Fatalf("dry run: %v, %v, %d entries; run: %v, %d entries", dry.DryRun, dry.Committed, len(dry.Entries), rep.Committed, len(rep.Entries))
	}
	for i := range rep.Entries {
		if rep.Entries[i] != dry.Entries[i] {
			t.Errorf("the dry run reported %+v, the run %+v", dry.Entries[i], rep.Entries[i])
		}
	}
	for _, c := range []struct {
		kind string
		want int
	}{{"identity", 1}, {"signed-prekey", 1}, {"prekey", 5}, {"peer-identity", nEnds}, {"session", nEnds}, {"sender-key", 1 + groupIn}} {
		if got := rep.count(c.kind, "imported"); got != c.want {
			t.Errorf("%s: %d imported, want %d", c.kind, got, c.want)
		}
	}
	for _, e := range rep.Entries {
		if e.Outcome == "failed" || (e.Outcome == "skipped" && e.Kind != "other") {
			t.Errorf("%+v", e)
		}
	}
	t.Logf("migrated %d sessions, %d peer identities, %d sender keys; %d entries", rep.count("session", "imported"),
		rep.count("peer-identity", "imported"), rep.count("sender-key", "imported"), len(rep.Entries))

	// This library goes on as W.
	var st *sqlstore.Store
	var err error
	if dstDSN != "" {
		st, err = postgres.Open(ctx, dstDSN)
	} else {
		st, err = sqlite.Open(ctx, filepath.Join(outDir, "signal.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if id, err := st.IdentityKeyPair(ctx); err != nil || !bytes.Equal(id.PublicKey().Bytes(), opened.IdentityPublic) {
		t.Fatalf("migrated identity: %v", err)
	}
	if reg, err := st.LocalRegistrationID(ctx); err != nil || reg != opened.RegistrationID {
		t.Fatalf("migrated registration id %d (%v), want %d", reg, err, opened.RegistrationID)
	}
	m := session.NewManager(session.StoresOf(st))
	sk := senderkey.NewCipher(st)
	libAddr := func(a peer.Address) session.Address { return session.Address{Name: a.Name, DeviceID: a.DeviceID} }
	libDecrypt := func(e *migrateEnd, pm peer.Message, want string) {
		t.Helper()
		pt, err := m.Decrypt(ctx, libAddr(e.addr), session.Message{Type: session.MessageType(pm.Type), Body: pm.Body})
		if err != nil || string(pt) != want {
			t.Fatalf("migrated store decrypted %q from %v (%v), want %q", pt, e.addr, err, want)
		}
	}
	libEncrypt := func(e *migrateEnd, pt string) peer.Message {
		t.Helper()
		lm, err := m.Encrypt(ctx, libAddr(e.addr), []byte(pt))
		if err != nil {
			t.Fatalf("migrated store: encrypt to %v: %v", e.addr, err)
		}
		return peer.Message{Type: int(lm.Type), Body: lm.Body}
	}
	continued := 0
	for i, e := range ends {
		p := fmt.Sprintf("[%d] ", i)
		for _, h := range e.toW {
			libDecrypt(e, h.m, h.pt)
		}
		for _, h := range e.fromW {
			endDecrypt(t, e, h.m, h.pt)
		}
		for round := range 2 {
			pt := fmt.Sprintf("%safter the migration %d", p, round)
			endDecrypt(t, e, libEncrypt(e, pt), pt)
			pt = fmt.Sprintf("%sreply %d", p, round)
			libDecrypt(e, endEncrypt(t, e, pt), pt)
		}
		continued++
	}
	dist := whatsmeowDistributionID(wmGroup)
	for i, e := range ends {
		if e.group == nil {
			continue
		}
		from := senderkey.Sender(libAddr(e.addr))
		if pt, err := sk.DecryptLegacy(ctx, from, dist, e.group); err != nil || string(pt) != fmt.Sprintf("[%d] g2", i) {
			t.Fatalf("held-back group message of %v: %q (%v)", e.addr, pt, err)
		}
		g3, err := e.p.GroupEncrypt(ctx, wmGroup, peer.Address{Name: "self", DeviceID: e.addr.DeviceID}, []byte("g3"))
		if err != nil {
			t.Fatal(err)
		}
		if pt, err := sk.DecryptLegacy(ctx, from, dist, g3); err != nil || string(pt) != "g3" {
			t.Fatalf("new group message of %v: %q (%v)", e.addr, pt, err)
		}
	}
	gw, err := sk.EncryptLegacy(ctx, senderkey.Sender(libAddr(wmAddr)), dist, []byte("g-w-after"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ends {
		if !e.hasWKey {
			continue
		}
		if pt, err := e.p.GroupDecrypt(ctx, wmGroup, wmAddr, gw); err != nil || string(pt) != "g-w-after" {
			t.Fatalf("%v decrypted W's group message after the migration: %q (%v)", e.addr, pt, err)
		}
	}
	if continued != nEnds {
		t.Fatalf("%d of %d sessions continued", continued, nEnds)
	}
	t.Logf("%s: %d of %d sessions continued (held-back messages both ways, two turns each); %d group senders read, W's group message read by %d ends",
		backend, continued, nEnds, groupIn, groupOut)
}

// whatsmeowDistributionID is the distribution id signal-migrate stores a
// whatsmeow chat's sender keys under, computed here as its documentation
// says: the version 5 UUID of "xmpp:" + chat in the URL name space.
func whatsmeowDistributionID(chat string) senderkey.DistributionID {
	ns := []byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := sha1.Sum(append(ns, []byte("xmpp:"+chat)...))
	var id senderkey.DistributionID
	copy(id[:], h[:16])
	id[6] = id[6]&0x0f | 0x50
	id[8] = id[8]&0x3f | 0x80
	return id
}
