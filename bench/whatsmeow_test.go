package bench

// The DB scenarios (db_harness_test.go) for go.mau.fi/libsignal v0.2.1
// through whatsmeow's SQL store (go.mau.fi/whatsmeow/store/sqlstore, MPL-2.0,
// a benchmark dependency of this module only): what a Go messenger uses
// today. The receiver is a whatsmeow store.Device in a sqlstore.Container
// over the scenario's database; every operation goes through
// go.mau.fi/libsignal as whatsmeow's client calls it (facts read from
// whatsmeow's message.go and send.go, no code taken):
//
//   - decrypt (Client.decryptDM): session.NewBuilderFromSignal over the
//     store.Device with store.SignalProtobufSerializer, session.NewCipher,
//     Cipher.Decrypt (DecryptMessage for a PreKey message). With the
//     client's default EnableDecryptedEventBuffer = false every store call
//     is its own autocommitted statement: ContainsSession, LoadSession,
//     IsTrustedIdentity (reads), SaveIdentity, StoreSession (writes: two
//     commits per message). Impl "whatsmeow".
//   - decrypt with EnableDecryptedEventBuffer = true (Client.bufferedDecrypt):
//     EventBuffer.GetBufferedEvent on the ciphertext's SHA-256, then
//     EventBuffer.DoDecryptionTxn around the decrypt and PutBufferedEvent
//     (the plaintext kept for a redelivery): one commit per message, two more
//     statements. Impl "whatsmeow-evbuf" (Decrypt only).
//   - encrypt (Client.encryptMessageForDevices for one device):
//     Device.WithCachedSessions (GetManySessions), Cipher.Encrypt over the
//     cached record (IsTrustedIdentity and SaveIdentity go to the database),
//     Device.PutCachedSessions (PutManySessions, one transaction). The
//     message padding and LID lookups of the send path are left out.
//
// ParallelProc<N> runs N child processes, each with its own Container over
// the same database (whatsmeow has one client per device; this is the
// store's concurrency, not a deployment whatsmeow supports).
//
// The senders are go.mau.fi/libsignal devices with in-memory stores
// (gomauStore, objects), whose messages are encrypted before the timed
// part. whatsmeow has no batch decrypt: it decrypts an offline queue one
// message at a time, so its catch-up is Single1000 (CatchUp1000 is skipped,
// saying so).
//
// SQLite: modernc.org/sqlite (pure Go, registered as "sqlite", which
// whatsmeow's dbutil accepts as the SQLite dialect), the driver and engine
// build sqlstore uses, on a file in WAL mode with the same busy timeout and
// synchronous FULL (the driver's default, checked), plus foreign keys, which
// whatsmeow requires. whatsmeow's own documentation uses
// github.com/mattn/go-sqlite3 (cgo); mautrix bridges use it with WAL and
// synchronous NORMAL, which does not fsync on every commit: not the
// durability measured here. PostgreSQL: pgx's database/sql driver ("pgx"),
// a fresh schema per benchmark. Both through internal/sqlcount, so
// stmts/op and trips/op are reported as for the other implementations, and
// with the pool sized as sqlstore.Open sizes ours (poolLikeOurs: 32 idle
// connections; whatsmeow uses the app's *sql.DB as it is, and
// database/sql's default of 2 made its Parallel8 reopen about 20
// PostgreSQL connections per run, 30 % of its wall time there).

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/libsignal/keys/identity"
	"go.mau.fi/libsignal/keys/prekey"
	"go.mau.fi/libsignal/protocol"
	gsession "go.mau.fi/libsignal/session"
	"go.mau.fi/libsignal/util/optional"
	"go.mau.fi/whatsmeow/proto/waAdv"
	wmstore "go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"

	"github.com/forwardsecret/signal/internal/cputime"
	"github.com/forwardsecret/signal/internal/sqlcount"
)

func init() {
	dbProcRoles["whatsmeow"] = wmDBProc
	dbImpls = append(dbImpls,
		dbImpl{name: "whatsmeow", run: func(b *testing.B, db dbBackend, sc string) bool {
			return whatsmeowRun(b, db, sc, false)
		}},
		dbImpl{name: "whatsmeow-evbuf", run: func(b *testing.B, db dbBackend, sc string) bool {
			return whatsmeowRun(b, db, sc, true)
		}},
	)
}

func whatsmeowRun(b *testing.B, db dbBackend, sc string, evbuf bool) bool {
	if evbuf && sc != "Decrypt" {
		return false
	}
	switch sc {
	case "Decrypt":
		wmBenchDecrypt(b, db, evbuf)
	case "Encrypt":
		wmBenchEncrypt(b, db)
	case "CatchUp1000":
		b.Skip("whatsmeow has no batch decrypt: its catch-up of 1,000 queued messages is Single1000")
	case "Single1000":
		wmBenchSingle(b, db)
	default:
		rest, proc := strings.CutPrefix(sc, "ParallelProc")
		if !proc {
			rest, _ = strings.CutPrefix(sc, "Parallel")
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || rest == sc {
			return false
		}
		wmBenchParallel(b, db, n, proc)
	}
	return true
}

// wmDeviceAddr is the whatsmeow device's address at its senders.
var wmDeviceAddr = protocol.NewSignalAddress("15550000000", 1)

// wmEnv is a whatsmeow device in a new database.
type wmEnv struct {
	driver string
	dsn    string // with the SQLite parameters
	db     *sql.DB
	cnt    *sqlcount.Counter
	c      *sqlstore.Container
	d      *wmstore.Device
	bundle *prekey.Bundle
	evbuf  bool
	pt     []byte
}

func newWMEnv(b *testing.B, db dbBackend, evbuf bool) *wmEnv {
	ctx := withTimeout(b)
	driver, dsn := db.newDB(b)
	if driver == "sqlite" {
		dsn = sqliteDSN(dsn) + "&_pragma=foreign_keys(1)"
	}
	sqlDB, cnt, err := sqlcount.Open(driver, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sqlDB.Close() })
	poolLikeOurs(sqlDB)
	if err := wmDurability(ctx, driver, dsn, sqlDB); err != nil {
		b.Fatal(err)
	}
	if driver != "sqlite" {
		if err := wmOwnVersionTable(ctx, sqlDB); err != nil {
			b.Fatal(err)
		}
	}
	c := sqlstore.NewWithDB(sqlDB, driver, nil)
	if err := c.Upgrade(ctx); err != nil {
		b.Fatal(err)
	}
	d := c.NewDevice()
	jid := types.NewADJID(wmDeviceAddr.Name(), 0, uint8(wmDeviceAddr.DeviceID()))
	d.ID = &jid
	// What pairing would set; not Signal state.
	d.Account = &waAdv.ADVSignedDeviceIdentity{
		Details: []byte{}, AccountSignature: make([]byte, 64),
		AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64),
	}
	if err := d.Save(ctx); err != nil {
		b.Fatal(err)
	}
	bundle := prekey.NewBundle(d.RegistrationID, wmDeviceAddr.DeviceID(), optional.NewEmptyUint32(),
		d.SignedPreKey.KeyID, nil, ecc.NewDjbECPublicKey(*d.SignedPreKey.Pub), *d.SignedPreKey.Signature,
		identity.NewKey(ecc.NewDjbECPublicKey(*d.IdentityKey.Pub)))
	return &wmEnv{driver: driver, dsn: dsn, db: sqlDB, cnt: cnt, c: c, d: d, bundle: bundle, evbuf: evbuf, pt: message(100)}
}

// wmOwnVersionTable creates whatsmeow's schema version table, empty, in
// the fresh PostgreSQL schema of a benchmark, before whatsmeow's Upgrade
// runs. go.mau.fi/util's dbutil (v0.9.4) asks information_schema whether
// that table and its compat column exist without naming a schema, so while
// any other schema of the database has a whatsmeow_version table (another
// benchmark's, a concurrent test's, one left by a killed run) it skips
// creating its own and then fails reading it ("relation whatsmeow_version
// does not exist"). With the table already in the search path's schema,
// Upgrade reads no version from it and creates everything there.
func wmOwnVersionTable(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, "CREATE TABLE whatsmeow_version (version INTEGER, compat INTEGER)")
	return err
}

// wmDurability switches a SQLite database to WAL mode (as sqlstore.Open
// does) and checks that the database has sqlstore's durability: SQLite
// synchronous FULL, PostgreSQL synchronous_commit on; or, for
// BenchmarkDurabilityOff (whose DSNs say so), SQLite synchronous OFF and
// PostgreSQL synchronous_commit off.
func wmDurability(ctx context.Context, driver, dsn string, db *sql.DB) error {
	off := strings.Contains(dsn, durabilityOffFile) || strings.Contains(dsn, durabilityOffPostgres)
	if driver != "sqlite" {
		var sc string
		if err := db.QueryRowContext(ctx, "SHOW synchronous_commit").Scan(&sc); err != nil {
			return err
		}
		if want := map[bool]string{false: "on", true: "off"}[off]; sc != want {
			return fmt.Errorf("whatsmeow's PostgreSQL database: synchronous_commit %s, want %s", sc, want)
		}
		return nil
	}
	if _, err := db.ExecContext(ctx, "PRAGMA journal_mode=WAL"); err != nil {
		return err
	}
	var mode string
	var sync int
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return err
	}
	if want := map[bool]int{false: 2, true: 0}[off]; mode != "wal" || sync != want {
		return fmt.Errorf("whatsmeow's SQLite database: journal_mode %s, synchronous %d; want wal, %d", mode, sync, want)
	}
	return nil
}

// decrypt decrypts a message from addr as whatsmeow's client does.
func (e *wmEnv) decrypt(ctx context.Context, addr *protocol.SignalAddress, typ uint32, body []byte) ([]byte, error) {
	cipher := gsession.NewCipher(gsession.NewBuilderFromSignal(e.d, addr, wmstore.SignalProtobufSerializer), addr)
	ser := wmstore.SignalProtobufSerializer
	var run func(context.Context) ([]byte, error)
	switch typ {
	case protocol.PREKEY_TYPE:
		m, err := protocol.NewPreKeySignalMessageFromBytes(body, ser.PreKeySignalMessage, ser.SignalMessage)
		if err != nil {
			return nil, err
		}
		run = func(ctx context.Context) ([]byte, error) { return cipher.DecryptMessage(ctx, m) }
	case protocol.WHISPER_TYPE:
		m, err := protocol.NewSignalMessageFromBytes(body, ser.SignalMessage)
		if err != nil {
			return nil, err
		}
		run = func(ctx context.Context) ([]byte, error) { return cipher.Decrypt(ctx, m) }
	default:
		return nil, fmt.Errorf("message type %d", typ)
	}
	if !e.evbuf {
		return run(ctx)
	}
	hash := sha256.Sum256(body)
	if buf, err := e.d.EventBuffer.GetBufferedEvent(ctx, hash); err != nil {
		return nil, err
	} else if buf != nil {
		return nil, fmt.Errorf("message %x already buffered", hash[:4])
	}
	var pt []byte
	err := e.d.EventBuffer.DoDecryptionTxn(ctx, func(ctx context.Context) error {
		var err error
		if pt, err = run(ctx); err != nil {
			return err
		}
		return e.d.EventBuffer.PutBufferedEvent(ctx, hash, pt, time.Now())
	})
	return pt, err
}

// encrypt encrypts pt to addr as whatsmeow's send path does for one device.
func (e *wmEnv) encrypt(ctx context.Context, addr *protocol.SignalAddress, pt []byte) (uint32, []byte, error) {
	existing, ctx, err := e.d.WithCachedSessions(ctx, []string{addr.String()})
	if err != nil {
		return 0, nil, err
	}
	if !existing[addr.String()] {
		return 0, nil, fmt.Errorf("no session with %s", addr)
	}
	cipher := gsession.NewCipher(gsession.NewBuilderFromSignal(e.d, addr, wmstore.SignalProtobufSerializer), addr)
	msg, err := cipher.Encrypt(ctx, pt)
	if err != nil {
		return 0, nil, err
	}
	if err := e.d.PutCachedSessions(ctx); err != nil {
		return 0, nil, err
	}
	return msg.Type(), msg.Serialize(), nil
}

// wmSender is a go.mau.fi/libsignal device in memory with an acknowledged
// session with the whatsmeow device.
type wmSender struct {
	addr *protocol.SignalAddress // its address at the whatsmeow device
	p    *gomauParty
}

func (e *wmEnv) newSender(b *testing.B, i int) *wmSender {
	ctx := context.Background()
	s := &wmSender{
		addr: protocol.NewSignalAddress(fmt.Sprintf("1555%07d", i+1), 1),
		p:    newGomauParty(newGomauStore(b, uint32(100+i), "objects"), wmDeviceAddr),
	}
	if err := s.p.bld.ProcessBundle(ctx, e.bundle); err != nil {
		b.Fatal(err)
	}
	typ, body := s.p.encrypt(b, e.pt)
	got, err := e.decrypt(ctx, s.addr, typ, body)
	if err != nil {
		b.Fatal(err)
	}
	checkPlaintext(b, got, e.pt)
	typ, body, err = e.encrypt(ctx, s.addr, e.pt)
	if err != nil {
		b.Fatal(err)
	}
	checkPlaintext(b, s.p.decrypt(b, typ, body), e.pt) // acknowledged
	return s
}

// queue returns n messages of s, in order.
func (s *wmSender) queue(b *testing.B, pt []byte, n int) []gomauMsg {
	msgs := make([]gomauMsg, n)
	for i := range msgs {
		msgs[i].typ, msgs[i].body = s.p.encrypt(b, pt)
	}
	return msgs
}

// decryptAll decrypts msgs of s at the whatsmeow device, in order.
func (e *wmEnv) decryptAll(ctx context.Context, s *wmSender, msgs []gomauMsg) error {
	for _, m := range msgs {
		got, err := e.decrypt(ctx, s.addr, m.typ, m.body)
		if err != nil {
			return err
		}
		if len(got) != len(e.pt) {
			return fmt.Errorf("plaintext of %d bytes, want %d", len(got), len(e.pt))
		}
	}
	return nil
}

// timed runs f as the timed part of a benchmark: wall time (ns/op),
// process CPU time (cpu-ns/op: this process only, not PostgreSQL's), and the
// statements and round trips sent per op, of which there are ops.
func (e *wmEnv) timed(b *testing.B, ops int, f func()) {
	runtime.GC()
	b.ReportAllocs()
	before := e.cnt.Counts()
	b.ResetTimer()
	stop := cputime.MeasureProcess(b)
	f()
	b.StopTimer()
	stop()
	reportCounts(b, e.cnt, before, ops)
}

func wmBenchDecrypt(b *testing.B, db dbBackend, evbuf bool) {
	e := newWMEnv(b, db, evbuf)
	s := e.newSender(b, 0)
	msgs := s.queue(b, e.pt, b.N)
	ctx := context.Background()
	rec, err := e.d.Sessions.GetSession(ctx, s.addr.String())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(rec)), "record-B")
	e.timed(b, b.N, func() {
		if err := e.decryptAll(ctx, s, msgs); err != nil {
			b.Fatal(err)
		}
	})
}

func wmBenchEncrypt(b *testing.B, db dbBackend) {
	e := newWMEnv(b, db, false)
	s := e.newSender(b, 0)
	ctx := context.Background()
	e.timed(b, b.N, func() {
		for range b.N {
			if _, _, err := e.encrypt(ctx, s.addr, e.pt); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// wmBenchSingle: an op is the queued messages of one sender (dbQueue:
// 1,000, or BENCH_DB_QUEUE), decrypted one by one.
func wmBenchSingle(b *testing.B, db dbBackend) {
	e := newWMEnv(b, db, false)
	s := e.newSender(b, 0)
	msgs := s.queue(b, e.pt, b.N*dbQueue())
	ctx := context.Background()
	e.timed(b, b.N, func() {
		if err := e.decryptAll(ctx, s, msgs); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(len(msgs)), "ns/msg")
}

// wmBenchParallel: n senders' messages decrypted at once, one goroutine
// (proc: one process, ParallelProc) per sender, ceil(b.N/n) messages each
// (as ours): wall-ns/msg is the wall time over all of them, 1/throughput.
func wmBenchParallel(b *testing.B, db dbBackend, n int, proc bool) {
	e := newWMEnv(b, db, false)
	senders := make([]*wmSender, n)
	queues := make([][]gomauMsg, n)
	per := (b.N + n - 1) / n
	for i := range senders {
		senders[i] = e.newSender(b, i)
		queues[i] = senders[i].queue(b, e.pt, per+dbWarmMsgs)
	}
	if proc {
		inputs := make([]any, n)
		for i, s := range senders {
			in := wmProcInput{Driver: e.driver, DSN: e.dsn, Sender: s.addr.Name(), Device: s.addr.DeviceID()}
			for _, m := range queues[i] {
				in.Msgs = append(in.Msgs, wmProcMsg{Type: m.typ, Body: m.body})
			}
			inputs[i] = in
		}
		b.ResetTimer()
		b.StopTimer() // dbProcs times from go to done
		elapsed := dbProcs(b, "whatsmeow", inputs)
		b.ReportMetric(float64(elapsed.Nanoseconds())/float64(n*per), "wall-ns/msg")
		return
	}
	ctx := context.Background()
	dbWarmUp(b, e.db, n, func(i, j int) error { return e.decryptAll(ctx, senders[i], queues[i][j:j+1]) })
	for i := range queues {
		queues[i] = queues[i][dbWarmMsgs:]
	}
	var elapsed time.Duration
	e.timed(b, n*per, func() {
		busy := measureBusy(b)
		start := time.Now()
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range senders {
			wg.Go(func() { errs[i] = e.decryptAll(ctx, senders[i], queues[i]) })
		}
		wg.Wait()
		elapsed = time.Since(start)
		busy()
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(n*per), "wall-ns/msg")
}

// wmProcInput is the input of a child process of whatsmeow's
// ParallelProc<N>: the database, one sender and its messages.
type wmProcInput struct {
	Driver, DSN string
	Sender      string
	Device      uint32
	Msgs        []wmProcMsg
}

type wmProcMsg struct {
	Type uint32
	Body []byte
}

// wmDBProc is a child process: it opens the whatsmeow database (a
// container of its own, as another process of the app would) and decrypts
// its sender's messages.
func wmDBProc(raw json.RawMessage, ready func()) error {
	var in wmProcInput
	if err := json.Unmarshal(raw, &in); err != nil {
		return err
	}
	ctx := context.Background()
	db, err := sql.Open(in.Driver, in.DSN)
	if err != nil {
		return err
	}
	defer db.Close()
	poolLikeOurs(db)
	if err := wmDurability(ctx, in.Driver, in.DSN, db); err != nil {
		return err
	}
	c := sqlstore.NewWithDB(db, in.Driver, nil)
	d, err := c.GetDevice(ctx, types.NewADJID(wmDeviceAddr.Name(), 0, uint8(wmDeviceAddr.DeviceID())))
	if err != nil || d == nil {
		return fmt.Errorf("whatsmeow device: %v", err)
	}
	e := &wmEnv{d: d, pt: message(100)}
	s := &wmSender{addr: protocol.NewSignalAddress(in.Sender, in.Device)}
	msgs := make([]gomauMsg, len(in.Msgs))
	for i, m := range in.Msgs {
		msgs[i] = gomauMsg{typ: m.Type, body: m.Body}
	}
	if len(msgs) < dbWarmMsgs {
		return fmt.Errorf("%d messages, fewer than the %d of the warm-up", len(msgs), dbWarmMsgs)
	}
	if err := e.decryptAll(ctx, s, msgs[:dbWarmMsgs]); err != nil { // untimed, as in one process (dbWarmUp)
		return fmt.Errorf("warm-up: %w", err)
	}
	ready()
	return e.decryptAll(ctx, s, msgs[dbWarmMsgs:])
}

// TestWhatsmeowPostgresBesideOthers: a whatsmeow device opens in a fresh
// PostgreSQL schema while another schema of the database holds a
// whatsmeow_version table (as when two benchmarks or tests run at once).
// Without wmOwnVersionTable this failed ("relation whatsmeow_version does
// not exist"), as two rounds of BenchmarkDB/postgres/whatsmeow/Parallel*
// did beside another run.
func TestWhatsmeowPostgresBesideOthers(t *testing.T) {
	driver, dsn := newPostgresSchema(t) // skips without SIGNAL_TEST_POSTGRES_DSN
	_, other := newPostgresSchema(t)
	ctx := context.Background()
	odb, err := sql.Open(driver, other)
	if err != nil {
		t.Fatal(err)
	}
	defer odb.Close()
	if _, err := odb.ExecContext(ctx, "CREATE TABLE whatsmeow_version (version INTEGER, compat INTEGER)"); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := wmOwnVersionTable(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := sqlstore.NewWithDB(db, driver, nil).Upgrade(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestWhatsmeowStatements pins what the notes quote (on SQLite): a
// whatsmeow decrypt sends five statements, each its own implicit
// transaction, two of them writes (two commits); with the event buffer one
// read and then one transaction of eight statements; an encrypt reads the
// session, reads and writes the identity (a commit) and writes the session
// in a transaction of its own (a second commit).
func TestWhatsmeowStatements(t *testing.T) {
	for _, c := range []struct {
		name, op string
		evbuf    bool
		want     []string // the first two words of every statement
	}{
		{"decrypt", "decrypt", false, []string{
			"query SELECT true", "query SELECT session", "query SELECT identity",
			"exec INSERT INTO whatsmeow_identity_keys", "exec INSERT INTO whatsmeow_sessions"}},
		{"decrypt-evbuf", "decrypt", true, []string{
			"query SELECT plaintext,", "begin", "query SELECT true", "query SELECT session", "query SELECT identity",
			"exec INSERT INTO whatsmeow_identity_keys", "exec INSERT INTO whatsmeow_sessions",
			"exec INSERT INTO whatsmeow_event_buffer", "commit"}},
		{"encrypt", "encrypt", false, []string{
			"query SELECT their_id,", "query SELECT identity", "exec INSERT INTO whatsmeow_identity_keys",
			"begin", "exec INSERT INTO whatsmeow_sessions", "commit"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			var setupErr error
			// newWMEnv and the go.mau.fi helpers take a *testing.B.
			testing.Benchmark(func(b *testing.B) {
				if got != nil || setupErr != nil {
					return
				}
				setupErr = errors.New("setup failed")
				sqlite := dbBackends()[0]
				e := newWMEnv(b, sqlite, c.evbuf)
				s := e.newSender(b, 0)
				msgs := s.queue(b, e.pt, 1)
				ctx := context.Background()
				e.cnt.Log(true)
				var err error
				if c.op == "decrypt" {
					err = e.decryptAll(ctx, s, msgs)
				} else {
					_, _, err = e.encrypt(ctx, s.addr, e.pt)
				}
				got, setupErr = e.cnt.Log(false), err
			})
			if setupErr != nil {
				t.Fatal(setupErr)
			}
			if len(got) != len(c.want) {
				t.Fatalf("%d statements, want %d:\n%s", len(got), len(c.want), strings.Join(got, "\n"))
			}
			for i, w := range c.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("statement %d: %q, want %q...", i, got[i], w)
				}
			}
		})
	}
}
