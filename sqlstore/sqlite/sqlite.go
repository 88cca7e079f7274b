// Package sqlite opens a sqlstore.Store in a SQLite database file, with
// the pure-Go driver modernc.org/sqlite (no cgo). Importing it registers
// that driver with database/sql under the name sqlstore.DriverSQLite
// ("sqlite"); a program that imports this package and not
// sqlstore/postgres compiles no PostgreSQL driver.
//
//	st, err := sqlite.OpenDevice(ctx, "signal.db") // creates the device on first start
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
// A new database holds no identity yet: store one with Store.Init, or
// open with OpenDevice.
func Open(ctx context.Context, path string) (*sqlstore.Store, error) {
	return sqlstore.Open(ctx, sqlstore.DriverSQLite, path)
}

// OpenDevice opens the SQLite database at path as Open does, and on first start (a
// database without an identity) generates the device's identity key pair
// and registration id and stores them (Store.LoadOrCreateIdentity): one
// call that opens this device, or creates it. Store.IdentityKeyPair and
// Store.LocalRegistrationID return them.
func OpenDevice(ctx context.Context, path string) (*sqlstore.Store, error) {
	return sqlstore.OpenDevice(ctx, sqlstore.DriverSQLite, path)
}
