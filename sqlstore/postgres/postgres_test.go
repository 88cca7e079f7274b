package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/sqlstore"
	"github.com/forwardsecret/signal/sqlstore/postgres"
)

// postgresDSNEnv names the PostgreSQL test database (see .ci/run).
const postgresDSNEnv = "SIGNAL_TEST_POSTGRES_DSN"

// newSchema returns the DSN of a new, empty schema of the test database,
// dropped at cleanup. It skips without a test database (fails with
// CI=true).
func newSchema(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(postgresDSNEnv)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must provide a PostgreSQL server (see .ci/run)", postgresDSNEnv)
		}
		t.Skipf("%s is not set: skipping the PostgreSQL tests", postgresDSNEnv)
	}
	admin, err := sql.Open(sqlstore.DriverPostgres, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var rnd [8]byte
	rand.Read(rnd[:])
	schema := "pgopen_" + hex.EncodeToString(rnd[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("PostgreSQL at %s: %v", postgresDSNEnv, err)
	}
	t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestOpen: Open makes a PostgreSQL store, and a reopened store holds what
// the first stored.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	dsn := newSchema(t)
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if st.Dialect() != sqlstore.Postgres {
		t.Fatalf("dialect %v", st.Dialect())
	}
	if v, err := st.Version(ctx); err != nil || v != sqlstore.SchemaVersion {
		t.Fatalf("schema version %d, %v; want %d", v, err, sqlstore.SchemaVersion)
	}
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Init(ctx, id, 42); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.IdentityKeyPair(ctx)
	if err != nil || !got.PublicKey().Equal(id.PublicKey()) {
		t.Fatalf("identity after reopening: %v", err)
	}
}

// TestNoSQLiteDriver: this package registers no SQLite driver, and
// sqlstore.Open says so.
func TestNoSQLiteDriver(t *testing.T) {
	_, err := sqlstore.Open(context.Background(), sqlstore.DriverSQLite, filepath.Join(t.TempDir(), "none.db"))
	if !errors.Is(err, sqlstore.ErrDriverNotRegistered) {
		t.Fatalf("Open with the SQLite driver: %v, want ErrDriverNotRegistered", err)
	}
}

// TestOpenDevice: the first OpenDevice creates the device, the next ones
// open it.
func TestOpenDevice(t *testing.T) {
	ctx := context.Background()
	dsn := newSchema(t)
	st, err := postgres.OpenDevice(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	id, err := st.IdentityKeyPair(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := st.LocalRegistrationID(ctx)
	if err != nil || reg == 0 {
		t.Fatalf("registration id %d, %v", reg, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = postgres.OpenDevice(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, gotReg, err := st.LoadOrCreateIdentity(ctx)
	if err != nil || !got.PublicKey().Equal(id.PublicKey()) || gotReg != reg {
		t.Fatalf("reopened device: registration id %d (want %d), %v, same identity %v", gotReg, reg, err, err == nil && got.PublicKey().Equal(id.PublicKey()))
	}
}
