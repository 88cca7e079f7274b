// Package sqlcount wraps a database/sql driver to count what reaches the
// database: statements (Exec and Query, prepared or not) and calls that cost
// a round trip to a database server (statements, Prepare, BEGIN, COMMIT,
// ROLLBACK). Tests and benchmarks use it to pin the number of statements of
// an operation, so that a change that adds one fails a test.
//
// The package is meant for tests and benchmarks; it adds a mutex-free
// atomic increment per call.
package sqlcount

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// Counter counts what a wrapped database handle sent to its driver.
type Counter struct {
	stmts    atomic.Int64
	trips    atomic.Int64
	mu       sync.Mutex
	log      []string
	logging  atomic.Bool
	prepares atomic.Int64
}

// Counts is a snapshot of a Counter.
type Counts struct {
	// Statements counts Exec and Query calls (plain or on a prepared
	// statement) and the driver's own Begin, Commit and Rollback: every
	// statement the database runs, BEGIN and COMMIT included.
	Statements int64
	// RoundTrips counts every call that reaches the database: statements
	// and Prepare.
	RoundTrips int64
	// Prepares counts Prepare calls (included in RoundTrips).
	Prepares int64
}

// Sub returns c - d.
func (c Counts) Sub(d Counts) Counts {
	return Counts{Statements: c.Statements - d.Statements, RoundTrips: c.RoundTrips - d.RoundTrips, Prepares: c.Prepares - d.Prepares}
}

// String formats the counts.
func (c Counts) String() string {
	return fmt.Sprintf("%d statements, %d round trips (%d prepares)", c.Statements, c.RoundTrips, c.Prepares)
}

// Counts returns the counts so far.
func (c *Counter) Counts() Counts {
	return Counts{Statements: c.stmts.Load(), RoundTrips: c.trips.Load(), Prepares: c.prepares.Load()}
}

// Log starts (on true) or stops recording the text of every statement and
// Prepare, and returns what was recorded since the last call.
func (c *Counter) Log(on bool) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.log
	c.log = nil
	c.logging.Store(on)
	return l
}

func (c *Counter) stmt(kind, query string) {
	c.stmts.Add(1)
	c.trips.Add(1)
	c.record(kind, query)
}

func (c *Counter) trip(kind string) {
	c.trips.Add(1)
	c.record(kind, "")
}

func (c *Counter) record(kind, query string) {
	if !c.logging.Load() {
		return
	}
	q := strings.Join(strings.Fields(query), " ")
	c.mu.Lock()
	c.log = append(c.log, strings.TrimSpace(kind+" "+q))
	c.mu.Unlock()
}

// Open opens dsn with the registered driver driverName, like sql.Open, and
// returns the handle and the Counter of everything sent through it.
func Open(driverName, dsn string) (*sql.DB, *Counter, error) {
	probe, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, nil, err
	}
	d := probe.Driver()
	probe.Close()
	c := new(Counter)
	return sql.OpenDB(&connector{d: d, dsn: dsn, c: c}), c, nil
}

type connector struct {
	d   driver.Driver
	dsn string
	c   *Counter
}

func (k *connector) Connect(ctx context.Context) (driver.Conn, error) {
	var dc driver.Conn
	var err error
	if dctx, ok := k.d.(driver.DriverContext); ok {
		var inner driver.Connector
		if inner, err = dctx.OpenConnector(k.dsn); err != nil {
			return nil, err
		}
		dc, err = inner.Connect(ctx)
	} else {
		dc, err = k.d.Open(k.dsn)
	}
	if err != nil {
		return nil, err
	}
	return &conn{Conn: dc, c: k.c}, nil
}

func (k *connector) Driver() driver.Driver { return k.d }

// conn forwards every optional interface that the drivers this module uses
// (modernc.org/sqlite, pgx's stdlib) implement.
type conn struct {
	driver.Conn
	c *Counter
}

var (
	_ driver.ExecerContext      = (*conn)(nil)
	_ driver.QueryerContext     = (*conn)(nil)
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.ConnBeginTx        = (*conn)(nil)
	_ driver.Pinger             = (*conn)(nil)
	_ driver.SessionResetter    = (*conn)(nil)
	_ driver.Validator          = (*conn)(nil)
	_ driver.NamedValueChecker  = (*conn)(nil)
)

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	c.c.stmt("exec", query)
	return e.ExecContext(ctx, query, args)
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	c.c.stmt("query", query)
	return q.QueryContext(ctx, query, args)
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.c.prepares.Add(1)
	c.c.trip("prepare " + strings.Join(strings.Fields(query), " "))
	var s driver.Stmt
	var err error
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		s, err = p.PrepareContext(ctx, query)
	} else {
		s, err = c.Conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &stmt{Stmt: s, c: c.c, query: query}, nil
}

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.c.stmt("begin", "")
	var t driver.Tx
	var err error
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		t, err = b.BeginTx(ctx, opts)
	} else {
		//lint:ignore SA1019 the fallback database/sql itself uses
		t, err = c.Conn.Begin()
	}
	if err != nil {
		return nil, err
	}
	return &tx{Tx: t, c: c.c}, nil
}

func (c *conn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *conn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *conn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.Conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

type tx struct {
	driver.Tx
	c *Counter
}

func (t *tx) Commit() error {
	t.c.stmt("commit", "")
	return t.Tx.Commit()
}

func (t *tx) Rollback() error {
	t.c.stmt("rollback", "")
	return t.Tx.Rollback()
}

type stmt struct {
	driver.Stmt
	c     *Counter
	query string
}

var (
	_ driver.StmtExecContext  = (*stmt)(nil)
	_ driver.StmtQueryContext = (*stmt)(nil)
)

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.c.stmt("exec prepared", s.query)
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		return e.ExecContext(ctx, args)
	}
	v, err := values(args)
	if err != nil {
		return nil, err
	}
	//lint:ignore SA1019 the fallback database/sql itself uses
	return s.Stmt.Exec(v)
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.c.stmt("query prepared", s.query)
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		return q.QueryContext(ctx, args)
	}
	v, err := values(args)
	if err != nil {
		return nil, err
	}
	//lint:ignore SA1019 the fallback database/sql itself uses
	return s.Stmt.Query(v)
}

func (s *stmt) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func values(args []driver.NamedValue) ([]driver.Value, error) {
	v := make([]driver.Value, len(args))
	for i, a := range args {
		if a.Name != "" {
			return nil, errors.New("sqlcount: named arguments need a driver with StmtExecContext")
		}
		v[i] = a.Value
	}
	return v, nil
}
