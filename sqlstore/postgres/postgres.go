// Package postgres opens a sqlstore.Store in a PostgreSQL database, with
// the pgx driver for database/sql (github.com/jackc/pgx/v5/stdlib).
// Importing it registers that driver under the name
// sqlstore.DriverPostgres ("pgx"); a program that imports this package and
// not sqlstore/sqlite compiles no SQLite driver.
//
//	st, err := postgres.Open(ctx, "postgres://user:password@host/db")
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
// A new database holds no identity yet: store one with Store.Init.
func Open(ctx context.Context, dsn string) (*sqlstore.Store, error) {
	return sqlstore.Open(ctx, sqlstore.DriverPostgres, dsn)
}
