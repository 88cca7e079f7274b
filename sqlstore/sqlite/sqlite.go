// Package sqlite opens a sqlstore.Store in a SQLite database file, with
// the pure-Go driver modernc.org/sqlite (no cgo). Importing it registers
// that driver with database/sql under the name sqlstore.DriverSQLite
// ("sqlite"); a program that imports this package and not
// sqlstore/postgres compiles no PostgreSQL driver.
//
//	st, err := sqlite.Open(ctx, "signal.db")
//	if err != nil { ... }
//	defer st.Close()
//	m := session.NewManager(session.StoresOf(st))
package sqlite

import (
	"context"

	// The driver, registered as "sqlite".
	_ "modernc.org/sqlite"

	"github.com/forwardsecret/signal/sqlstore"
)

// Open opens the SQLite database at path (a file name, created if it does
// not exist, or a "file:" URI with modernc.org/sqlite's parameters),
// migrates its schema and returns a Store that owns it (Close closes it).
// It sets a busy timeout on every connection
// (sqlstore.SQLiteBusyTimeoutMillis, unless path sets busy_timeout), so
// that processes sharing the file wait for each other's writes, and
// switches the file to WAL mode, in which a read waits for no writer.
//
// A new database holds no identity yet: store one with Store.Init.
func Open(ctx context.Context, path string) (*sqlstore.Store, error) {
	return sqlstore.Open(ctx, sqlstore.DriverSQLite, path)
}
