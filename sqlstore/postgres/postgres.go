// Package postgres opens a sqlstore.Store in a PostgreSQL database, with
// the pgx driver for database/sql (github.com/jackc/pgx/v5/stdlib).
// Importing it registers that driver under the name
// sqlstore.DriverPostgres ("pgx"); a program that imports this package and
// not sqlstore/sqlite compiles no SQLite driver.
//
//	st, err := postgres.OpenDevice(ctx, "postgres://user:password@host/db")
//	if err != nil { ... }
//	defer st.Close()
//	m := session.NewManager(session.StoresOf(st))
package postgres

import (
	"context"

	// The driver, registered as "pgx".
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/forwardsecret/signal/sqlstore"
)

// Open opens the PostgreSQL database dsn (a URL, postgres://..., or a
// key=value string, as pgx takes them; a search_path parameter puts the
// tables in a schema of the app's choice), migrates its schema and returns
// a Store that owns it (Close closes it).
//
// A new database holds no identity yet: store one with Store.Init, or
// open with OpenDevice.
func Open(ctx context.Context, dsn string) (*sqlstore.Store, error) {
	return sqlstore.Open(ctx, sqlstore.DriverPostgres, dsn)
}

// OpenDevice opens the PostgreSQL database dsn as Open does, and on first start (a
// database without an identity) generates the device's identity key pair
// and registration id and stores them (Store.LoadOrCreateIdentity): one
// call that opens this device, or creates it. Store.IdentityKeyPair and
// Store.LocalRegistrationID return them.
func OpenDevice(ctx context.Context, dsn string) (*sqlstore.Store, error) {
	return sqlstore.OpenDevice(ctx, sqlstore.DriverPostgres, dsn)
}
