package bench

// Database scenarios (issue 20): the cost of a message when the session
// state lives in a database, against the database's own floor.
//
// Naming convention (every implementation uses it, so run.sh and benchstat
// line them up):
//
//	BenchmarkDB/<db>/<impl>/<Scenario>
//
//	db        sqlite    a file in WAL mode with sqlstore's durability
//	                    (synchronous FULL, modernc.org/sqlite's default)
//	          postgres  SIGNAL_TEST_POSTGRES_DSN (loopback), a fresh
//	                    schema per benchmark; skipped without it (fails
//	                    with CI=true)
//	impl      floor     the minimal transaction of the same sizes: read one
//	                    row and write one row (plus the prekey delete when
//	                    one is consumed), same durability, no cryptography
//	          ours-v3, ours-v4
//	                    this library: a session.Manager over sqlstore
//	          whatsmeow go.mau.fi/libsignal through whatsmeow's SQL store
//	                    (its own file, whatsmeow*_test.go)
//	Scenario  Decrypt       one 100 B message decrypted by the receiver:
//	                        load, decrypt, store (op: one message)
//	          Encrypt       one 100 B message encrypted (op: one message)
//	          CatchUp1000   1,000 queued messages of one sender decrypted in
//	                        one batch, one transaction where the
//	                        implementation offers that (op: the 1,000)
//	          Single1000    the same 1,000 messages, one decrypt call each
//	                        (op: the 1,000)
//	          Parallel<N>   N = 1, 2, 4, 8 senders decrypted at once into one
//	                        receiver's database from one process, one
//	                        goroutine per sender (op: one message; ns/op is
//	                        wall time over all messages: 1/throughput),
//	                        after an untimed warm-up with N connections
//	                        open and dbWarmMsgs messages per sender
//	                        (dbWarmUp)
//	          ParallelProc<N> the same from N processes (the test binary run
//	                        again, one sender each, warmed up the same way
//	                        before it reports ready; dbProcs)
//
// ns/op is wall time: part of the work runs in the database server;
// cpu-ns/op is this process's CPU time (SQLite's work included, the
// PostgreSQL server's not). Where
// an implementation counts them, stmts/op and trips/op are the statements
// and round trips sent per op (internal/sqlcount).
//
// An implementation registers itself in dbImpls from an init function of
// its own file; BenchmarkDB runs, per scenario and database, every
// implementation back to back.

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	// The drivers of the DB scenarios: "sqlite" and "pgx".
	_ "github.com/forwardsecret/signal/sqlstore/postgres"
	_ "github.com/forwardsecret/signal/sqlstore/sqlite"

	"github.com/forwardsecret/signal/internal/cputime"
	"github.com/forwardsecret/signal/internal/sqlcount"
	"github.com/forwardsecret/signal/sqlstore"
)

// PostgresDSNEnv names the environment variable with the URL of the
// PostgreSQL database the DB scenarios use (they create and drop schemas in
// it).
const PostgresDSNEnv = "SIGNAL_TEST_POSTGRES_DSN"

// dbBackend is one database of the DB scenarios.
type dbBackend struct {
	name string // "sqlite" or "postgres"
	// newDB returns the database/sql driver name ("sqlite" or "pgx") and
	// DSN of a fresh, empty database that the benchmark's cleanup drops.
	// A SQLite DSN is a file path without parameters (see sqliteDSN).
	newDB func(tb testing.TB) (driverName, dsn string)
}

// dbImpl is one implementation of the DB scenarios.
type dbImpl struct {
	name string // floor, ours-v3, ours-v4, whatsmeow
	// run runs scenario on db, and reports false (without calling b.Run)
	// if the implementation has no such scenario.
	run func(b *testing.B, db dbBackend, scenario string) bool
}

// dbImpls are the registered implementations, in the order they run.
var dbImpls []dbImpl

// dbQueueEnv names the environment variable that overrides the number of
// queued messages of CatchUp1000 and Single1000 (default 1,000; run.sh sets
// 100 under CI=true, to keep CI short: the names stay).
const dbQueueEnv = "BENCH_DB_QUEUE"

// dbQueue returns the number of queued messages of CatchUp1000 and
// Single1000.
func dbQueue() int {
	if n, err := strconv.Atoi(os.Getenv(dbQueueEnv)); err == nil && n > 0 {
		return n
	}
	return 1000
}

// dbScenarios are the scenarios, in the order they run.
var dbScenarios = []string{
	"Decrypt", "Encrypt", "CatchUp1000", "Single1000",
	"Parallel1", "Parallel2", "Parallel4", "Parallel8",
	"ParallelProc1", "ParallelProc2", "ParallelProc4", "ParallelProc8",
}

// dbBackends returns the databases of the DB scenarios.
func dbBackends() []dbBackend {
	return []dbBackend{
		{name: "sqlite", newDB: func(tb testing.TB) (string, string) {
			return "sqlite", filepath.Join(tb.TempDir(), "db.sqlite")
		}},
		{name: "postgres", newDB: newPostgresSchema},
	}
}

// BenchmarkDB runs the DB scenarios: BenchmarkDB/<db>/<impl>/<Scenario>.
func BenchmarkDB(b *testing.B) {
	for _, sc := range dbScenarios {
		for _, db := range dbBackends() {
			for _, im := range dbImpls {
				b.Run(db.name+"/"+im.name+"/"+sc, func(b *testing.B) {
					if !im.run(b, db, sc) {
						b.Skipf("%s has no %s scenario", im.name, sc)
					}
				})
			}
		}
	}
}

var pgAdmin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// newPostgresSchema returns a DSN whose search_path is a new schema,
// dropped at cleanup. Without SIGNAL_TEST_POSTGRES_DSN it skips (fails when
// CI=true).
func newPostgresSchema(tb testing.TB) (string, string) {
	tb.Helper()
	dsn := os.Getenv(PostgresDSNEnv)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set: CI provides a PostgreSQL server (see .ci/run)", PostgresDSNEnv)
		}
		tb.Skipf("%s is not set: skipping PostgreSQL", PostgresDSNEnv)
	}
	pgAdmin.once.Do(func() {
		pgAdmin.db, pgAdmin.err = sql.Open("pgx", dsn)
		if pgAdmin.err == nil {
			pgAdmin.err = pgAdmin.db.Ping()
		}
	})
	if pgAdmin.err != nil {
		tb.Fatalf("PostgreSQL at %s: %v", PostgresDSNEnv, pgAdmin.err)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	schema := "bench_" + hex.EncodeToString(rnd[:])
	if _, err := pgAdmin.db.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := pgAdmin.db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return "pgx", u.String()
}

// sqliteBusyTimeoutMillis is sqlstore.SQLiteBusyTimeoutMillis.
const sqliteBusyTimeoutMillis = 60000

// sqliteDSN adds the busy timeout sqlstore.Open adds to a SQLite path.
func sqliteDSN(path string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "_pragma=busy_timeout(" + strconv.Itoa(sqliteBusyTimeoutMillis) + ")"
}

// openCounted opens (driverName, dsn) from a dbBackend through
// internal/sqlcount, with sqlstore's settings: for SQLite the busy timeout
// and WAL mode. The handle is closed at cleanup.
func openCounted(tb testing.TB, driverName, dsn string) (*sql.DB, *sqlcount.Counter) {
	tb.Helper()
	if driverName == "sqlite" {
		dsn = sqliteDSN(dsn)
	}
	db, c, err := sqlcount.Open(driverName, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	poolLikeOurs(db)
	if driverName == "sqlite" {
		if _, err := db.Exec("PRAGMA journal_mode=WAL"); err != nil {
			tb.Fatal(err)
		}
	}
	return db, c
}

// reportCounts reports the statements and round trips per op since before.
func reportCounts(b *testing.B, c *sqlcount.Counter, before sqlcount.Counts, ops int) {
	if c == nil || ops <= 0 {
		return
	}
	d := c.Counts().Sub(before)
	b.ReportMetric(float64(d.Statements)/float64(ops), "stmts/op")
	b.ReportMetric(float64(d.RoundTrips)/float64(ops), "trips/op")
}

// Processes of the ParallelProc scenarios: the test binary runs itself with
// dbProcEnv set to a role of dbProcRoles.

const (
	dbProcEnv   = "BENCH_DB_PROC"       // the role
	dbProcInput = "BENCH_DB_PROC_INPUT" // a JSON file with the role's input
)

// dbProcRoles are the roles a child process can run. A role reads its
// input, prepares (opens its database, ...), calls ready (which returns
// when the parent says go), does the measured work and returns.
var dbProcRoles = map[string]func(input json.RawMessage, ready func()) error{}

func TestMain(m *testing.M) {
	if role := os.Getenv(dbProcEnv); role != "" {
		os.Exit(runDBProc(role))
	}
	os.Exit(m.Run())
}

func runDBProc(role string) int {
	f := dbProcRoles[role]
	if f == nil {
		fmt.Fprintf(os.Stderr, "db proc: unknown role %q\n", role)
		return 2
	}
	in, err := os.ReadFile(os.Getenv(dbProcInput))
	if err != nil {
		fmt.Fprintln(os.Stderr, "db proc:", err)
		return 2
	}
	stdin := bufio.NewReader(os.Stdin)
	ready := func() {
		fmt.Println("ready")
		if line, err := stdin.ReadString('\n'); err != nil || line != "go\n" {
			fmt.Fprintln(os.Stderr, "db proc: no go:", err)
			os.Exit(2)
		}
	}
	if err := f(in, ready); err != nil {
		fmt.Fprintln(os.Stderr, "db proc:", err)
		return 1
	}
	fmt.Println("done")
	return 0
}

// dbProcs runs one child process per input, each running role, and
// returns the wall time from the moment every child is ready (has opened
// its database and run its warm-up) to the moment the last one is done.
// The benchmark's timer runs for that part only; the caller stops it
// before.
func dbProcs(b *testing.B, role string, inputs []any) time.Duration {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	type child struct {
		cmd    *exec.Cmd
		stdin  io.WriteCloser
		stdout *bufio.Reader
		stderr strings.Builder
	}
	children := make([]*child, len(inputs))
	dir := b.TempDir()
	for i, in := range inputs {
		enc, err := json.Marshal(in)
		if err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(dir, "input"+strconv.Itoa(i)+".json")
		if err := os.WriteFile(path, enc, 0o600); err != nil {
			b.Fatal(err)
		}
		c := &child{cmd: exec.Command(exe, "-test.run=^$")}
		c.cmd.Env = append(os.Environ(), dbProcEnv+"="+role, dbProcInput+"="+path)
		c.cmd.Stderr = &c.stderr
		if c.stdin, err = c.cmd.StdinPipe(); err != nil {
			b.Fatal(err)
		}
		out, err := c.cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		c.stdout = bufio.NewReader(out)
		if err := c.cmd.Start(); err != nil {
			b.Fatal(err)
		}
		children[i] = c
	}
	fail := func(c *child, what string) {
		for _, o := range children {
			o.cmd.Process.Kill()
			o.cmd.Wait()
		}
		b.Fatalf("db proc %s: %s: %s", role, what, c.stderr.String())
	}
	for _, c := range children {
		if line, err := c.stdout.ReadString('\n'); err != nil || line != "ready\n" {
			fail(c, fmt.Sprintf("not ready (%q, %v)", line, err))
		}
	}
	b.StartTimer()
	busy := measureBusy(b)
	start := time.Now()
	for _, c := range children {
		io.WriteString(c.stdin, "go\n")
	}
	for _, c := range children {
		if line, err := c.stdout.ReadString('\n'); err != nil || line != "done\n" {
			fail(c, fmt.Sprintf("not done (%q, %v)", line, err))
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	busy()
	for _, c := range children {
		c.stdin.Close()
		if err := c.cmd.Wait(); err != nil {
			fail(c, err.Error())
		}
	}
	return elapsed
}

// withTimeout is a context for one benchmark's setup.
func withTimeout(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	tb.Cleanup(cancel)
	return ctx
}

// busyMetric is the unit of the machine's CPU use during a Parallel<N>
// scenario: the CPUs busy on average (all processes, the database
// server's and other jobs' included), from /proc/stat. Next to the
// throughput it says where the time goes: a single sender that already
// keeps about one of two CPUs busy cannot be sped up 3x by more senders.
const busyMetric = "busy-CPUs"

// busyMinWall is the shortest timed part for which measureBusy reports:
// /proc/stat counts in ticks of 10 ms per CPU, so a shorter one (a CI run
// of one operation) gives noise.
const busyMinWall = 500 * time.Millisecond

// measureBusy starts measuring the machine's busy CPUs and returns the
// function that reports them as busyMetric. Where the machine's CPU time
// cannot be read (cputime.Machine) it reports nothing.
func measureBusy(b *testing.B) func() {
	start := time.Now()
	busy0, ok := cputime.Machine()
	return func() {
		busy1, ok1 := cputime.Machine()
		wall := time.Since(start)
		if !ok || !ok1 || wall < busyMinWall {
			return
		}
		b.ReportMetric(float64(busy1-busy0)/float64(wall), busyMetric)
	}
}

// dbWarmMsgs is how many operations each sender of a Parallel<N> scenario
// runs, all senders at once, before the clock starts.
const dbWarmMsgs = 2

// dbWarmUp is the untimed start of a Parallel<N> scenario in one process.
// It opens n connections of db at once, so that the timed part opens none
// (a new PostgreSQL connection authenticates with SCRAM: milliseconds of
// CPU on both sides, which with 25 messages per sender was most of what
// 8 senders measured), and then runs op(i, j) for j < dbWarmMsgs on every
// sender i at once, so that the statements are prepared on the
// connections the timed part uses.
func dbWarmUp(b *testing.B, db *sql.DB, n int, op func(i, j int) error) {
	b.Helper()
	ctx := withTimeout(b)
	conns := make([]*sql.Conn, n)
	for i := range conns {
		c, err := db.Conn(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.PingContext(ctx); err != nil {
			b.Fatal(err)
		}
		conns[i] = c
	}
	for _, c := range conns {
		c.Close()
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for j := range dbWarmMsgs {
				if errs[i] = op(i, j); errs[i] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

// poolLikeOurs gives db the idle-connection pool sqlstore.Open gives its
// own (sqlstore.MaxIdleConns instead of database/sql's 2), so that no
// implementation reopens connections (on PostgreSQL with SCRAM
// authentication) when several senders are at work. whatsmeow takes the
// app's *sql.DB as it is; an app with concurrent decrypts would size its
// pool so too.
func poolLikeOurs(db *sql.DB) { db.SetMaxIdleConns(sqlstore.MaxIdleConns) }
