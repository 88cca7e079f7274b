package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	// Package sqlstore imports no driver (its subpackages do); its tests
	// use both.
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// PostgresDSNEnv names the environment variable with the URL of a
// PostgreSQL database the tests may use (they create and drop schemas in
// it). Without it the PostgreSQL tests skip, or fail when CI=true.
const PostgresDSNEnv = "SIGNAL_TEST_POSTGRES_DSN"

// backend makes databases for tests: each call of newDB returns the
// (driver, DSN) of a fresh, empty database that the test's cleanup drops.
type backend struct {
	name  string
	newDB func(t testing.TB) (driver, dsn string)
}

func sqliteBackend() backend {
	return backend{name: "sqlite", newDB: func(t testing.TB) (string, string) {
		return DriverSQLite, filepath.Join(t.TempDir(), "store.db")
	}}
}

var pgAdmin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// postgresDSN returns the test database's URL, or skips (fails with
// CI=true) without one.
func postgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresDSNEnv)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must provide a PostgreSQL server (see .ci/run)", PostgresDSNEnv)
		}
		t.Skipf("%s is not set: skipping the PostgreSQL backend (set it to a postgres:// URL to run it)", PostgresDSNEnv)
	}
	return dsn
}

func postgresBackend() backend {
	return backend{name: "postgres", newDB: func(t testing.TB) (string, string) {
		t.Helper()
		dsn := postgresDSN(t)
		pgAdmin.once.Do(func() {
			pgAdmin.db, pgAdmin.err = sql.Open(DriverPostgres, dsn)
			if pgAdmin.err == nil {
				pgAdmin.err = pgAdmin.db.Ping()
			}
		})
		if pgAdmin.err != nil {
			t.Fatalf("PostgreSQL at %s: %v", PostgresDSNEnv, pgAdmin.err)
		}
		var rnd [8]byte
		rand.Read(rnd[:])
		schema := "t_" + hex.EncodeToString(rnd[:])
		if _, err := pgAdmin.db.Exec("CREATE SCHEMA " + schema); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if _, err := pgAdmin.db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
				t.Errorf("drop schema: %v", err)
			}
		})
		return DriverPostgres, withParam(dsn, "search_path", schema)
	}}
}

// withParam adds a query parameter to a URL-form DSN (or a key=value one).
func withParam(dsn, key, value string) string {
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set(key, value)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " " + key + "=" + value
}

func backends() []backend { return []backend{sqliteBackend(), postgresBackend()} }

// forEachBackend runs f as a subtest per backend.
func forEachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

// openStore opens a Store on (driver, dsn) and closes it at cleanup.
func openStore(t testing.TB, driver, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), driver, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", driver, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
