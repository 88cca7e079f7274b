package interop_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/forwardsecret/signal/interop/libparty"
	"github.com/forwardsecret/signal/interop/peer"
	"github.com/forwardsecret/signal/sqlstore"
)

// postgresDSNEnv is the PostgreSQL test database (see .ci/run).
const postgresDSNEnv = "SIGNAL_TEST_POSTGRES_DSN"

// sqlDatabase returns (driver, dsn) of a fresh database of the backend: a
// SQLite file, or a new schema of the PostgreSQL test database (skipped
// without one, a failure with CI=true).
func sqlDatabase(t *testing.T, backend string) (string, string) {
	t.Helper()
	if backend == "sqlite" {
		return sqlstore.DriverSQLite, filepath.Join(t.TempDir(), "lib.db")
	}
	dsn := os.Getenv(postgresDSNEnv)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must provide a PostgreSQL server (see .ci/run)", postgresDSNEnv)
		}
		t.Skipf("%s is not set: skipping the PostgreSQL backend", postgresDSNEnv)
	}
	admin, err := sql.Open(sqlstore.DriverPostgres, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var rnd [8]byte
	rand.Read(rnd[:])
	schema := "interop_" + hex.EncodeToString(rnd[:])
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
	return sqlstore.DriverPostgres, u.String()
}

// checkedSQL wraps the SQL-backed library party like checkedLib: a restart
// (close and reopen the database) every restartEvery calls, and the
// byte-flip check, against the live database, on the first message of each
// type it receives.
type checkedSQL struct {
	*libparty.SQLParty
	t            *testing.T
	restartEvery int

	mu       sync.Mutex
	calls    int
	restarts int
	flipped  map[int]libparty.FlipResult
}

func (c *checkedSQL) tick(ctx context.Context) {
	c.calls++
	if c.restartEvery > 0 && c.calls%c.restartEvery == 0 {
		if err := c.Restart(ctx); err != nil {
			c.t.Fatalf("restart: %v", err)
		}
		c.restarts++
	}
}

func (c *checkedSQL) Encrypt(ctx context.Context, r peer.Address, pt []byte) (peer.Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick(ctx)
	return c.SQLParty.Encrypt(ctx, r, pt)
}

func (c *checkedSQL) Decrypt(ctx context.Context, r peer.Address, m peer.Message) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick(ctx)
	if _, done := c.flipped[m.Type]; !done {
		res, err := c.CheckFlips(ctx, r, m)
		if err != nil {
			c.t.Fatalf("flip check of a type %d message: %v", m.Type, err)
		}
		c.flipped[m.Type] = res
	}
	return c.SQLParty.Decrypt(ctx, r, m)
}

// TestSQLStoreLibraryAgainstC runs the library with its stores in SQLite
// and in PostgreSQL (package sqlstore) against the C peer
// (libsignal-protocol-c, v3), in both roles, with and without a one-time
// prekey: 240 messages per pairing with DH ratchet turns, out-of-order
// delivery, a database close and reopen every 41 calls, and every byte of
// one message of each type flipped against the live database.
func TestSQLStoreLibraryAgainstC(t *testing.T) {
	const messages = 240
	const kind = "c"
	for _, backend := range []string{"sqlite", "postgres"} {
		for _, libFirst := range []bool{true, false} {
			for _, oneTime := range []bool{true, false} {
				name := fmt.Sprintf("%s/%s/lib-initiates=%v/onetime=%v", backend, kind, libFirst, oneTime)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					ctx := context.Background()
					driver, dsn := sqlDatabase(t, backend)
					other := newParty(t, kind, kind, 2)
					lp, err := libparty.NewSQL(ctx, "lib", nextRegID(), 1, driver, dsn)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { lp.Close() })
					lib := &checkedSQL{SQLParty: lp, t: t, restartEvery: 41, flipped: map[int]libparty.FlipResult{}}
					libSide := peer.Side{Party: lib, Addr: peer.Address{Name: "lib", DeviceID: 1}}
					peerSide := peer.Side{Party: other, Addr: peer.Address{Name: kind, DeviceID: 2}}
					initiator, responder := libSide, peerSide
					if !libFirst {
						initiator, responder = peerSide, libSide
					}
					req := peer.BundleRequest{SignedPreKeyID: 5, OneTime: oneTime}
					if oneTime {
						id := uint32(77)
						req.PreKeyID = &id
					}
					if _, err := peer.Establish(ctx, initiator, responder, req); err != nil {
						t.Fatal(err)
					}
					st, err := peer.Converse(ctx, initiator, responder, peer.Script{
						Messages: messages, MaxBurst: 8, Shuffle: true, HoldBack: true, Seed: seedOf(name),
					})
					if err != nil {
						t.Fatal(err)
					}
					if lib.restarts == 0 {
						t.Fatal("the library never restarted")
					}
					if _, ok := lib.flipped[peer.TypeSignal]; !ok {
						t.Fatal("no SignalMessage was flip-checked")
					}
					if !libFirst {
						if _, ok := lib.flipped[peer.TypePreKey]; !ok {
							t.Fatal("no PreKey message was flip-checked")
						}
						if oneTime {
							if ok, err := lp.Store.HasPreKey(ctx, 77); err != nil || ok {
								t.Fatalf("one-time prekey 77 still stored (%v)", err)
							}
						}
					}
					t.Logf("%s: %v; database reopened %d times; flips=%v", name, st, lib.restarts, lib.flipped)
				})
			}
		}
	}
}
