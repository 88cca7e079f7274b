// Package sqlstore keeps every store of package session (identity, one-time,
// signed and KEM prekeys, sessions) and the sender-key store of package
// senderkey in a SQL database through database/sql: SQLite or PostgreSQL.
// The package owns its schema and migrates it on open with versioned
// migrations (table schema_version).
//
// # Opening a store
//
// Package sqlstore imports no database driver, so that an app compiles only
// the one it opens. Open a Store with one of its subpackages, which imports
// its driver:
//
//   - sqlstore/sqlite: sqlite.Open(ctx, path) on a SQLite file, with the
//     pure-Go driver modernc.org/sqlite (no cgo);
//   - sqlstore/postgres: postgres.Open(ctx, dsn) on PostgreSQL, with the
//     pgx stdlib driver (github.com/jackc/pgx/v5/stdlib).
//
// Their OpenDevice also makes the device's identity on first start (see
// Store.LoadOrCreateIdentity). An app that imports a driver itself can call
// Open with the driver's name instead (DriverSQLite or DriverPostgres), or
// open the *sql.DB itself and call New.
//
// Besides the stores a session.Manager uses, a Store is a
// session.DeviceStore, the side the app uses: it adds and removes prekeys
// (prekey.Store writes a generated set through it), counts the one-time
// keys left, and trusts a peer's new identity key.
//
// # Transactions and locks
//
// A *Store is a session.Locker: around every operation on an address, a
// session.Manager calls LockAddress, which begins a transaction and takes
// the address's lock in it, and all of the operation's reads and writes go
// through that transaction. On PostgreSQL the lock is a row lock on the
// address's row in address_locks (an INSERT ... ON CONFLICT DO UPDATE that
// makes the row or locks it, sent with the BEGIN in one query); on SQLite
// the
// transaction is BEGIN IMMEDIATE, which holds the database's write lock. So
// processes sharing one database never interleave a load, compute and store
// of one session, and a decrypt's writes (the new record, the peer identity,
// the consumed one-time prekey and one-time KEM prekey) commit together or
// not at all. With Manager.DecryptWith the app's handler runs inside that
// transaction, before the commit.
//
// A Manager's decrypt or encrypt costs the database one transaction that
// reads one row and writes one row, as little as a read-modify-write can:
// inside a transaction, reading the record (LoadSession, SessionBytes,
// SessionChanged) reads the peer's stored identity in the same statement,
// the trust check (IsTrustedIdentity) uses it, and SaveIdentity writes
// nothing when the identity is the stored one. A decrypt on SQLite runs
// BEGIN IMMEDIATE, that read, the record's write and COMMIT (plus its
// snapshot read before, without a lock); on PostgreSQL, BEGIN with the row
// lock, the read, the write and COMMIT: four round trips.
// TestStatementsPerOperation pins these counts. Manager.DecryptBatch decrypts many messages of one sender
// in one such transaction.
//
// A *Store is a senderkey.Locker too: a senderkey.Cipher runs each
// operation on a sender-key record inside LockSender, a transaction with the
// lock of (sender, distribution id) (a row lock in sender_key_locks on
// PostgreSQL, BEGIN IMMEDIATE on SQLite), so processes sharing the database
// never use one iteration of a sender-key chain twice.
//
// Called without a Manager's or Cipher's lock (a context that carries no
// transaction of this store), each write method runs in a transaction of
// its own.
//
// A Manager's operation may also run inside a transaction the app opened
// (InTx, or LockAddress of another address): LockAddress then takes the
// address's lock in that outer transaction (on PostgreSQL the row lock,
// held until the outer transaction ends), so such operations are
// serialized across processes too, and the outer transaction commits or
// rolls back their writes.
//
// A *Store is also a session.Snapshotter, so that a decrypt does not hold
// SQLite's database-wide write lock during its cryptography: a Manager
// reads the record with LoadSessionSnapshot, without any lock (in WAL
// mode, which Open sets, a read waits for no writer), decrypts, and only
// then takes LockAddress, checks with SessionChanged that the record is
// still the one it read (else it starts again), and writes. The token is a
// SHA-256 of the record's bytes, so any write with other content, by any
// process or version of this package, counts as a change, as do creation
// and deletion. On PostgreSQL, where the lock is only the address's row,
// OptimisticDecrypt reports false and a Manager decrypts under the lock
// (no extra read); the snapshot methods work there too.
//
// On SQLite a Store runs one transaction at a time (SQLite has one writer),
// and a DecryptWith handler runs inside one: a handler that calls the
// Manager, or a write method of the same Store, waits forever. Keep the
// handler to the app's own storage (on PostgreSQL the same holds for calls
// on the same address).
//
// A one-time prekey (EC or KEM) can be consumed once: StoreSession fails
// with ErrPreKeyConsumed when the key it consumes is already gone (another
// process used it first), and the whole transaction rolls back. A
// last-resort KEM prekey stays, and each use is recorded as (KEM prekey id,
// signed prekey id, base key): a second use with the same triple fails with
// ErrKEMPreKeyReplay.
//
// The database holds private keys in the clear: protect it as such.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
)

// Dialect is the SQL dialect of a database.
type Dialect uint8

const (
	// SQLite is SQLite 3 (driver modernc.org/sqlite, package
	// sqlstore/sqlite).
	SQLite Dialect = 1
	// Postgres is PostgreSQL (driver github.com/jackc/pgx/v5/stdlib,
	// package sqlstore/postgres).
	Postgres Dialect = 2
)

// String returns "sqlite" or "postgres".
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// The database/sql names of the drivers this package is written for. This
// package imports neither: package sqlstore/sqlite registers the first,
// package sqlstore/postgres the second.
const (
	// DriverSQLite is the name modernc.org/sqlite registers.
	DriverSQLite = "sqlite"
	// DriverPostgres is the name github.com/jackc/pgx/v5/stdlib registers.
	DriverPostgres = "pgx"
)

// SQLiteBusyTimeoutMillis is how long a SQLite connection opened by Open
// waits for another connection's (or process's) write lock before failing.
const SQLiteBusyTimeoutMillis = 60000

// MaxIdleConns is the number of idle connections a database handle opened
// by Open keeps (database/sql's default is 2). Operations on different
// addresses run at once, each in a transaction on its own connection: with
// 2 idle connections, the third of a burst opened a new connection and
// closed it after (on PostgreSQL a TCP connection and authentication,
// milliseconds; on SQLite opening the file and its pragmas) for every
// operation. An app that opens the handle itself (New) sets its own.
const MaxIdleConns = 32

var (
	// ErrUnknownDialect is returned for a driver or dialect this package
	// does not support.
	ErrUnknownDialect = errors.New("sqlstore: unknown SQL dialect")
	// ErrDriverNotRegistered is returned by Open when no driver of the
	// name is registered with database/sql: the app imports neither
	// sqlstore/sqlite or sqlstore/postgres nor the driver itself.
	ErrDriverNotRegistered = errors.New("sqlstore: database driver not registered")
	// ErrNoIdentity is returned when the store has no local identity yet
	// (see Store.Init).
	ErrNoIdentity = errors.New("sqlstore: no local identity stored")
	// ErrIdentityExists is returned by Init when the store already holds a
	// different local identity.
	ErrIdentityExists = errors.New("sqlstore: a different local identity is already stored")
	// ErrPreKeyConsumed is returned by StoreSession when a one-time prekey
	// it consumes is no longer stored: it was used by another operation.
	ErrPreKeyConsumed = errors.New("sqlstore: one-time prekey already consumed")
	// ErrKEMPreKeyReplay is returned by StoreSession when a last-resort KEM
	// prekey was already used with the same signed prekey and base key.
	ErrKEMPreKeyReplay = errors.New("sqlstore: last-resort KEM prekey already used with this base key")
	// ErrSchemaTooNew is returned when the database was migrated by a newer
	// version of this package.
	ErrSchemaTooNew = errors.New("sqlstore: database schema is newer than this package")
	// ErrInvalidData is returned for a stored value that does not decode.
	ErrInvalidData = errors.New("sqlstore: invalid stored data")
)

// Store is every store of package session and a senderkey.Store, in one
// SQL database. It is safe for concurrent use, and several Stores (in one
// process or in several) may share one database.
type Store struct {
	db      *sql.DB
	dialect Dialect
	owned   bool // Close closes db

	// sem allows one SQLite write transaction at a time per Store, so that
	// goroutines of one process queue here instead of in SQLite's busy
	// handler (which polls). Nil for PostgreSQL.
	sem chan struct{}

	// reads runs the statements outside transactions: db itself on
	// PostgreSQL, a stmtCache over it on SQLite.
	reads querier
	// writer is the SQLite write connection (guarded by sem), nil until
	// the first transaction and after an error.
	writer *sqliteWriter

	idMu     sync.Mutex
	identity *curve.IdentityKeyPair
	regID    uint32

	// afterRecordWrite, if set (by tests), runs inside StoreSession's
	// transaction after the record is written and before the prekeys are
	// consumed; an error aborts the transaction.
	afterRecordWrite func() error
}

var (
	_ session.AllStores   = (*Store)(nil)
	_ session.DeviceStore = (*Store)(nil)
	_ session.Locker      = (*Store)(nil)
	_ session.Snapshotter = (*Store)(nil)
	_ senderkey.Store     = (*Store)(nil)
	_ senderkey.Locker    = (*Store)(nil)
)

// DialectOf returns the dialect of a driver name: "sqlite" or "pgx" (also
// "postgres" and "postgresql" as aliases of "pgx").
func DialectOf(driverName string) (Dialect, error) {
	switch driverName {
	case DriverSQLite:
		return SQLite, nil
	case DriverPostgres, "postgres", "postgresql":
		return Postgres, nil
	}
	return 0, fmt.Errorf("%w: driver %q", ErrUnknownDialect, driverName)
}

// Open opens the database dsn with the database/sql driver named
// driverName (DriverSQLite or DriverPostgres), migrates its schema and
// returns a Store that owns it (Close closes it). It is what sqlite.Open
// and postgres.Open call.
//
// Package sqlstore imports no driver, so the driver must be registered:
// by an import of package sqlstore/sqlite or sqlstore/postgres anywhere in
// the program, or by the app's own blank import of modernc.org/sqlite or
// github.com/jackc/pgx/v5/stdlib (for an app that picks its database at
// run time). Without it, Open fails with an error wrapping
// ErrDriverNotRegistered.
//
// For SQLite, dsn is a file name or a "file:" URI; Open adds a busy timeout
// (SQLiteBusyTimeoutMillis) unless dsn sets busy_timeout, and switches the
// file to WAL mode. For PostgreSQL, dsn is a URL (postgres://...) or a
// key=value string.
func Open(ctx context.Context, driverName, dsn string) (*Store, error) {
	d, err := DialectOf(driverName)
	if err != nil {
		return nil, err
	}
	driverName = DriverPostgres
	if d == SQLite {
		driverName = DriverSQLite
	}
	if !slices.Contains(sql.Drivers(), driverName) {
		pkg := "postgres"
		if d == SQLite {
			pkg = "sqlite"
		}
		return nil, fmt.Errorf("%w: %q (import github.com/forwardsecret/signal/sqlstore/%s and call its Open)", ErrDriverNotRegistered, driverName, pkg)
	}
	if d == SQLite {
		if !strings.Contains(dsn, "busy_timeout") {
			sep := "?"
			if strings.Contains(dsn, "?") {
				sep = "&"
			}
			dsn += sep + "_pragma=busy_timeout(" + strconv.Itoa(SQLiteBusyTimeoutMillis) + ")"
		}
	}
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open: %w", err)
	}
	db.SetMaxIdleConns(MaxIdleConns)
	if d == SQLite {
		if err := setWAL(ctx, db); err != nil {
			db.Close()
			return nil, fmt.Errorf("sqlstore: open: %w", err)
		}
	}
	s, err := New(ctx, db, d)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// setWAL switches a SQLite database to WAL mode. SQLite does not call its
// busy handler for a journal-mode change, so when several handles (or
// processes) open a new file at once the change can fail at once with
// SQLITE_BUSY: it is retried, with a growing pause, for up to
// SQLiteBusyTimeoutMillis.
func setWAL(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(SQLiteBusyTimeoutMillis * time.Millisecond)
	for pause := time.Millisecond; ; pause = min(2*pause, 100*time.Millisecond) {
		_, err := db.ExecContext(ctx, "PRAGMA journal_mode=WAL")
		if err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

// New returns a Store over db, whose dialect is d, after migrating its
// schema. The caller keeps ownership of db (Close does not close it) and
// chose its driver; this package is written for and tested with
// modernc.org/sqlite and github.com/jackc/pgx/v5/stdlib. A SQLite db should have a busy
// timeout on every connection (the _pragma=busy_timeout(ms) DSN parameter
// of modernc.org/sqlite), or concurrent writers fail with SQLITE_BUSY, and
// be in WAL mode (as Open sets), or LoadSessionSnapshot's reads wait for
// writers' commits; a pool limited to one open connection makes them wait
// for every transaction of the Store. On SQLite the Store keeps one
// connection of db for its write transactions (with their prepared
// statements): call Store.Close before db.Close, which would otherwise
// leave that connection (and the file's WAL) open.
func New(ctx context.Context, db *sql.DB, d Dialect) (*Store, error) {
	if d != SQLite && d != Postgres {
		return nil, fmt.Errorf("%w: %v", ErrUnknownDialect, d)
	}
	s := &Store{db: db, dialect: d, reads: db}
	if d == SQLite {
		s.sem = make(chan struct{}, 1)
		s.reads = &stmtCache{p: db}
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// DB returns the database handle.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the store's SQL dialect.
func (s *Store) Dialect() Dialect { return s.dialect }

// Close closes the database if the Store opened it (Open); otherwise it
// releases what the Store holds of it (on SQLite a connection and prepared
// statements), and the caller closes the database after.
func (s *Store) Close() error {
	if s.sem != nil {
		s.sem <- struct{}{} // no transaction runs from here on
		if s.writer != nil {
			s.writer.close()
			s.writer = nil
		}
		s.reads.(*stmtCache).close()
		<-s.sem
	}
	if s.owned {
		return s.db.Close()
	}
	return nil
}

// preparer is what *sql.DB and *sql.Conn have in common to prepare
// statements.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// stmtCache is a querier that prepares each query once, on SQLite, where
// preparing (parsing the SQL) cost about a quarter of a decrypt's CPU time
// (PostgreSQL's driver caches prepared statements itself). On a *sql.DB,
// database/sql then prepares a statement once per pooled connection; on
// the Store's write connection, once.
type stmtCache struct {
	p     preparer
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.stmts[query]; st != nil {
		return st, nil
	}
	st, err := c.p.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.stmts == nil {
		c.stmts = make(map[string]*sql.Stmt)
	}
	c.stmts[query] = st
	return st, nil
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return c.p.QueryRowContext(ctx, query, args...) // fails the same way, in the Row
	}
	return st.QueryRowContext(ctx, args...)
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = nil
}

// sqliteWriter is the connection of a SQLite Store's write transactions,
// with its prepared statements. The Store keeps it between transactions
// (one runs at a time, see Store.sem), unless the pool allows one
// connection only, which the Store's reads outside transactions need.
type sqliteWriter struct {
	conn *sql.Conn
	stmtCache
}

func (w *sqliteWriter) close() {
	w.stmtCache.close()
	w.conn.Close()
}

// querier is what *sql.DB, *sql.Tx and *sql.Conn have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// txn is one transaction of a Store: a connection on which BEGIN (on
// PostgreSQL, with the row lock) or BEGIN IMMEDIATE (SQLite) ran.
type txn struct {
	s    *Store
	q    querier
	pg   *sql.Conn     // PostgreSQL: a connection on which BEGIN ran
	w    *sqliteWriter // SQLite
	done bool
	// peers are the peer identities this transaction read or wrote: a
	// Manager's operation reads the record and the identity in one
	// statement, and its trust check and identity write use this.
	peers map[session.Address]peerIdentity
}

// notePeer remembers the stored identity of addr, as this transaction sees
// it.
func (t *txn) notePeer(addr session.Address, p peerIdentity) {
	if t.peers == nil {
		t.peers = make(map[session.Address]peerIdentity, 1)
	}
	t.peers[addr] = p
}

type txKey struct{}

// txOf returns the open transaction of s that ctx carries, or nil.
func (s *Store) txOf(ctx context.Context) *txn {
	t, _ := ctx.Value(txKey{}).(*txn)
	if t == nil || t.s != s || t.done {
		return nil
	}
	return t
}

// q returns the querier for ctx: its transaction, or the database.
func (s *Store) q(ctx context.Context) querier {
	if t := s.txOf(ctx); t != nil {
		return t.q
	}
	return s.reads
}

// begin starts a write transaction. On PostgreSQL, lockSQL (if not empty)
// is a statement without parameters sent with the BEGIN, in one query: the
// row lock, so that a locked transaction costs no round trip of its own.
func (s *Store) begin(ctx context.Context, lockSQL string) (*txn, error) {
	if s.dialect == Postgres {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: begin: %w", err)
		}
		// READ COMMITTED whatever the database's default: each statement
		// after the row lock must see what the lock's previous holder
		// committed (a REPEATABLE READ snapshot would predate it).
		q := "BEGIN ISOLATION LEVEL READ COMMITTED"
		if lockSQL != "" {
			q += "; " + lockSQL
		}
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t := &txn{s: s, q: conn, pg: conn}
			return nil, errors.Join(fmt.Errorf("sqlstore: begin: %w", err), t.end(false))
		}
		return &txn{s: s, q: conn, pg: conn}, nil
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	w := s.writer
	if w == nil {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			<-s.sem
			return nil, fmt.Errorf("sqlstore: begin: %w", err)
		}
		w = &sqliteWriter{conn: conn, stmtCache: stmtCache{p: conn}}
		s.writer = w
	}
	if _, err := w.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		s.dropWriter(w, false)
		<-s.sem
		return nil, fmt.Errorf("sqlstore: begin: %w", err)
	}
	return &txn{s: s, q: w, w: w}, nil
}

// dropWriter closes w, and forgets it if it is the Store's; bad: its
// connection may be inside a transaction, and must not go back to the
// pool. The caller holds s.sem.
func (s *Store) dropWriter(w *sqliteWriter, bad bool) {
	if s.writer == w {
		s.writer = nil
	}
	w.stmtCache.close()
	if bad {
		_ = w.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	w.conn.Close()
}

// end commits (commit true) or rolls back the transaction. It may be called
// once; later calls return nil.
func (t *txn) end(commit bool) error {
	if t.done {
		return nil
	}
	t.done = true
	if t.pg != nil {
		ctx := context.Background()
		var err error
		if commit {
			if _, err = t.pg.ExecContext(ctx, "COMMIT"); err == nil {
				return t.pg.Close()
			}
			err = fmt.Errorf("sqlstore: commit: %w", err)
		}
		if _, rerr := t.pg.ExecContext(ctx, "ROLLBACK"); rerr != nil {
			// The connection may still be inside a transaction: drop it
			// rather than hand it back to the pool.
			_ = t.pg.Raw(func(any) error { return driver.ErrBadConn })
			err = errors.Join(err, fmt.Errorf("sqlstore: rollback: %w", rerr))
		}
		t.pg.Close()
		return err
	}
	defer func() { <-t.s.sem }()
	ctx := context.Background()
	var err error
	if commit {
		if _, err = t.w.ExecContext(ctx, "COMMIT"); err == nil {
			t.s.keepWriter(t.w)
			return nil
		}
		err = fmt.Errorf("sqlstore: commit: %w", err)
	}
	if _, rerr := t.w.ExecContext(ctx, "ROLLBACK"); rerr != nil {
		// The connection may still be inside a transaction: drop it
		// rather than hand it back to the pool.
		t.s.dropWriter(t.w, true)
		return errors.Join(err, fmt.Errorf("sqlstore: rollback: %w", rerr))
	}
	if err != nil {
		t.s.dropWriter(t.w, false)
	} else {
		t.s.keepWriter(t.w)
	}
	return err
}

// keepWriter keeps w for the next transaction, unless the pool allows one
// connection only: then the Store's reads outside transactions need it
// back. The caller holds s.sem.
func (s *Store) keepWriter(w *sqliteWriter) {
	if s.db.Stats().MaxOpenConnections == 1 {
		s.dropWriter(w, false)
	}
}

// LockAddress implements session.Locker: it begins a transaction, takes the
// lock of addr in it (a row lock on PostgreSQL; the database's write lock on
// SQLite), and returns a context that carries the transaction. Every method
// of s called with that context runs in the transaction; unlock(true)
// commits it, unlock(false) rolls it back.
//
// If ctx already carries a transaction of s (Manager calls inside InTx, or
// inside the lock of another address), LockAddress still takes the lock of
// addr, in that outer transaction: on PostgreSQL the row lock, held until
// the outer transaction ends (on SQLite the outer transaction already holds
// the database's write lock). It returns ctx and an unlock that does
// nothing: the outer transaction commits or rolls back. Without that lock,
// two processes (or two goroutines whose outer transactions commit after
// the Manager's in-process lock is released) would load the same record
// and reuse its message keys. On PostgreSQL an app that nests the locks of
// several addresses should take them in one order everywhere: two
// transactions that take them in opposite orders deadlock, and PostgreSQL
// aborts one of them.
//
// Apps can use it directly to make several store calls atomic. While a
// transaction is open, the same goroutine must not start another one on s
// (on SQLite that waits for the first).
func (s *Store) LockAddress(ctx context.Context, addr session.Address) (context.Context, func(commit bool) error, error) {
	return s.lock(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, s.sql(qLock), addr.Name, int64(addr.DeviceID)); err != nil {
			return fmt.Errorf("sqlstore: lock %v: %w", addr, err)
		}
		return nil
	}, func() string {
		return fmt.Sprintf(qLockLiteral, pgText(addr.Name), int64(addr.DeviceID))
	})
}

// LockSender implements senderkey.Locker, as LockAddress does
// session.Locker: it begins a transaction and takes the lock of the
// sender-key record of (sender, id) in it (on PostgreSQL a row lock in
// sender_key_locks; on SQLite the transaction holds the database's write
// lock), and returns a context that carries the transaction; unlock(true)
// commits it, unlock(false) rolls it back. If ctx already carries a
// transaction of s, the lock is taken in it and unlock does nothing.
func (s *Store) LockSender(ctx context.Context, sender senderkey.Sender, id senderkey.DistributionID) (context.Context, func(commit bool) error, error) {
	return s.lock(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, s.sql(qSenderLock), sender.Name, int64(sender.DeviceID), id[:]); err != nil {
			return fmt.Errorf("sqlstore: lock sender key of %s.%d: %w", sender.Name, sender.DeviceID, err)
		}
		return nil
	}, func() string {
		return fmt.Sprintf(qSenderLockLiteral, pgText(sender.Name), int64(sender.DeviceID), pgBytes(id[:]))
	})
}

// lock is LockAddress and LockSender: it begins a transaction, or joins
// ctx's, and on PostgreSQL takes a row lock in it: with rowLock in a
// transaction that ctx carries, and in a new transaction with the
// statement that literal returns, sent with the BEGIN in one round trip.
func (s *Store) lock(ctx context.Context, rowLock func(q querier) error, literal func() string) (context.Context, func(commit bool) error, error) {
	if t := s.txOf(ctx); t != nil {
		if s.dialect == Postgres {
			if err := rowLock(t.q); err != nil {
				return nil, nil, err
			}
		}
		return ctx, func(bool) error { return nil }, nil
	}
	var lockSQL string
	if s.dialect == Postgres {
		lockSQL = literal()
	}
	t, err := s.begin(ctx, lockSQL)
	if err != nil {
		return nil, nil, err
	}
	return context.WithValue(ctx, txKey{}, t), t.end, nil
}

// pgText is s as a PostgreSQL text expression made of hex digits only, so
// that it can be written into a statement whatever s holds and whatever the
// server's string settings: the row locks go in the simple-protocol query
// of BEGIN, which takes no parameters.
func pgText(s string) string {
	return "convert_from(" + pgBytes([]byte(s)) + ", 'UTF8')"
}

// pgBytes is b as a PostgreSQL bytea expression (hex digits only).
func pgBytes(b []byte) string {
	return "decode('" + hex.EncodeToString(b) + "', 'hex')"
}

// InTx runs f with a context that carries one transaction of s, and commits
// if f returns nil (rolls back otherwise). If ctx already carries a
// transaction of s, f runs in it. It takes no address lock itself; a
// Manager called inside f takes the lock of its address in the
// transaction (see LockAddress), held until InTx ends.
func (s *Store) InTx(ctx context.Context, f func(ctx context.Context) error) error {
	if s.txOf(ctx) != nil {
		return f(ctx)
	}
	t, err := s.begin(ctx, "")
	if err != nil {
		return err
	}
	if err := f(context.WithValue(ctx, txKey{}, t)); err != nil {
		t.end(false)
		return err
	}
	return t.end(true)
}

// write runs f on ctx's transaction, or in a transaction of its own.
func (s *Store) write(ctx context.Context, f func(q querier) error) error {
	return s.InTx(ctx, func(ctx context.Context) error { return f(s.q(ctx)) })
}

// sql returns query in the store's dialect: the queries are written with ?
// placeholders, which PostgreSQL spells $1, $2, ...
func (s *Store) sql(query string) string {
	if s.dialect != Postgres {
		return query
	}
	return rebind(query)
}

var rebound sync.Map // query -> PostgreSQL form

func rebind(query string) string {
	if v, ok := rebound.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	out := b.String()
	rebound.Store(query, out)
	return out
}
