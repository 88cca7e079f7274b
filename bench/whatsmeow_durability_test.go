package bench

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"modernc.org/sqlite"
)

// BenchmarkDurabilityOff runs the Decrypt and Encrypt scenarios of every DB
// implementation (BenchmarkDB/<db>/<impl>/<Scenario>, same code, same
// registry) on databases whose commits do not wait for the disk: SQLite with
// synchronous OFF, PostgreSQL with synchronous_commit off. It is no
// acceptance measurement (that is BenchmarkDB, at sqlstore's durability):
// it shows what a message costs besides the commit's flush (the CPU, the
// statements and their round trips), that is, what the ratios between
// implementations would be on a disk whose flush is free. On this machine a
// flush costs milliseconds, more than the implementations' other work, so
// at full durability the number of commits per message decides.
func BenchmarkDurabilityOff(b *testing.B) {
	for _, sc := range []string{"Decrypt", "Encrypt"} {
		for _, db := range dbBackends() {
			db := durabilityOff(db)
			for _, im := range dbImpls {
				b.Run(db.name+"/"+im.name+"/"+sc, func(b *testing.B) {
					if !im.run(b, db, sc) {
						b.Skipf("%s has no %s scenario", im.name, sc)
					}
				})
			}
		}
	}
}

// durabilityOffFile is the name of the SQLite files of
// BenchmarkDurabilityOff: every connection to such a file is switched to
// synchronous OFF by the connection hook registered below (DSN parameters
// would not do: implementations add their own to the path they get).
// durabilityOffPostgres is the PostgreSQL run-time parameter that pgx sends
// at connection start.
const (
	durabilityOffFile     = "durability-off.sqlite"
	durabilityOffPostgres = "synchronous_commit=off"
)

func init() {
	sqlite.RegisterConnectionHook(func(conn sqlite.ExecQuerierContext, dsn string) error {
		if !strings.Contains(dsn, durabilityOffFile) {
			return nil
		}
		_, err := conn.ExecContext(context.Background(), "PRAGMA synchronous=OFF", nil)
		return err
	})
}

// durabilityOff returns db with durability turned off in the databases it
// makes.
func durabilityOff(db dbBackend) dbBackend {
	newDB := db.newDB
	db.newDB = func(tb testing.TB) (string, string) {
		driver, dsn := newDB(tb)
		if driver == "sqlite" {
			return driver, filepath.Join(filepath.Dir(dsn), durabilityOffFile)
		}
		u, err := url.Parse(dsn)
		if err != nil {
			tb.Fatal(err)
		}
		q := u.Query()
		q.Set("synchronous_commit", "off")
		u.RawQuery = q.Encode()
		return driver, u.String()
	}
	return db
}
