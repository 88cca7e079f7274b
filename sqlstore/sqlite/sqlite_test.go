package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/sqlstore"
	"github.com/forwardsecret/signal/sqlstore/sqlite"
)

// TestOpen: Open makes a SQLite store in WAL mode with a busy timeout, and
// a reopened store holds what the first stored.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "signal.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Dialect() != sqlstore.SQLite {
		t.Fatalf("dialect %v", st.Dialect())
	}
	var mode string
	if err := st.DB().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	var timeout int
	if err := st.DB().QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&timeout); err != nil || timeout != sqlstore.SQLiteBusyTimeoutMillis {
		t.Fatalf("busy_timeout = %d, %v; want %d", timeout, err, sqlstore.SQLiteBusyTimeoutMillis)
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

	st, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.IdentityKeyPair(ctx)
	if err != nil || !got.PublicKey().Equal(id.PublicKey()) {
		t.Fatalf("identity after reopening: %v", err)
	}
}

// TestNoPostgresDriver: this package registers no PostgreSQL driver, and
// sqlstore.Open says so.
func TestNoPostgresDriver(t *testing.T) {
	_, err := sqlstore.Open(context.Background(), sqlstore.DriverPostgres, "postgres://localhost/none")
	if !errors.Is(err, sqlstore.ErrDriverNotRegistered) {
		t.Fatalf("Open with the PostgreSQL driver: %v, want ErrDriverNotRegistered", err)
	}
}

// TestOpenDevice: the first OpenDevice creates the device, the next ones
// open it.
func TestOpenDevice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "device.db")
	st, err := sqlite.OpenDevice(ctx, path)
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
	st, err = sqlite.OpenDevice(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, gotReg, err := st.LoadOrCreateIdentity(ctx)
	if err != nil || !got.PublicKey().Equal(id.PublicKey()) || gotReg != reg {
		t.Fatalf("reopened device: registration id %d (want %d), %v, same identity %v", gotReg, reg, err, err == nil && got.PublicKey().Equal(id.PublicKey()))
	}
}
