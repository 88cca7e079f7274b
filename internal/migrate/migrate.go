// Package migrate moves a device's Signal state from another library's store
// into a sqlstore database: the core of cmd/signal-migrate.
//
// # Sources
//
// A source is named by a scheme and a location (ParseSource):
//
//   - whatsmeow-sqlite:PATH and whatsmeow-postgres:DSN read the tables of
//     go.mau.fi/whatsmeow's SQL store (whatsmeow_device,
//     whatsmeow_identity_keys, whatsmeow_pre_keys, whatsmeow_sessions,
//     whatsmeow_sender_keys) for one device, whose records are the JSON of
//     go.mau.fi/libsignal (package compat/gomau reads them). Sessions and
//     identities are kept under the address ParseWhatsmeowAddress reads,
//     sender keys under the distribution id WhatsmeowDistributionID
//     derives from the chat.
//   - libsignal-dir:DIR reads a directory of records in libsignal's
//     serialized forms (package compat/libsignal), in the layout below.
//
// A source is never written: a SQLite file is opened read-only and
// immutable (no lock, no journal, no -wal or -shm file; the file's bytes
// stay as they were), a PostgreSQL database is read in one READ ONLY,
// REPEATABLE READ transaction (one snapshot), and a directory is only
// read.
//
// # The libsignal-dir layout
//
// One file per record, each holding the record as libsignal serializes it
// (the Export functions of package compat/libsignal write them):
//
//	identity_key_pair              IdentityKeyPair.serialize() (required)
//	registration_id                the registration id, decimal text (required)
//	signed_prekeys/ID              SignedPreKeyRecord
//	prekeys/ID                     PreKeyRecord
//	kyber_prekeys/ID               KyberPreKeyRecord, a one-time KEM prekey
//	last_resort_kyber_prekeys/ID   KyberPreKeyRecord, a last-resort KEM prekey
//	identities/NAME.DEVICE         IdentityKey.serialize() (33 bytes): a peer's identity
//	sessions/NAME.DEVICE           SessionRecord, or the legacy layout of
//	                               libsignal-protocol-c/-java and python-axolotl
//	sender_keys/NAME.DEVICE/DIST   SenderKeyRecord of sender NAME.DEVICE for the
//	                               distribution id DIST (a UUID, 8-4-4-4-12 hex)
//
// ID is the key id in decimal and must be the id the record holds. NAME is the
// address name, path-escaped (url.PathEscape: "/" is %2F; LibsignalDirAddress
// writes it), DEVICE the device id in decimal after the last dot. Other files
// are reported and left out.
//
// # Targets
//
// The target is a sqlstore database, sqlite:PATH or postgres:DSN
// (ParseTarget), that holds no device yet: Run refuses a target with an
// identity. A database that already holds a device may hold sessions newer
// than the source's copies or may have consumed one-time prekeys that the
// source still holds; importing over them would reuse message keys or
// accept a PreKey message twice.
//
// Every write of a run happens in one transaction of the target. By default
// a run with a failed record rolls back and writes nothing
// (Options.AllowFailures commits the records that did import). A dry run
// makes the same writes into a temporary SQLite database, which it then
// deletes: its report is the report of a real run.
//
// # Report
//
// Every record of the source gets an Entry in the Report: imported (and
// under which address or id), skipped (and why: a record that holds no
// state, a session of a version no peer speaks, a table that is not Signal
// state), or failed (and why: a record that does not decode). No entry holds
// key material.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/forwardsecret/signal/sqlstore"
	"github.com/forwardsecret/signal/sqlstore/postgres"
	"github.com/forwardsecret/signal/sqlstore/sqlite"
)

// Errors of a run that stop it before or while it writes (a record that
// fails is an Entry instead).
var (
	// ErrUsage is returned for a source, target or option that is not
	// valid.
	ErrUsage = errors.New("migrate: invalid usage")
	// ErrSource is returned when the source cannot be read as a whole:
	// it does not open, it lacks the device's identity, or it is not in a
	// state that can be read without writing it.
	ErrSource = errors.New("migrate: cannot read the source")
	// ErrTargetNotEmpty is returned when the target already holds a
	// device.
	ErrTargetNotEmpty = errors.New("migrate: the target already holds a device")
)

// SourceKind is a kind of source store.
type SourceKind string

// The source kinds, as written before the colon of a source.
const (
	WhatsmeowSQLite   SourceKind = "whatsmeow-sqlite"
	WhatsmeowPostgres SourceKind = "whatsmeow-postgres"
	LibsignalDir      SourceKind = "libsignal-dir"
)

// Source is a parsed source: its kind and its location (a file name, a
// PostgreSQL DSN or a directory).
type Source struct {
	Kind     SourceKind
	Location string
}

// String returns the source as ParseSource reads it, without a PostgreSQL
// DSN's password.
func (s Source) String() string {
	return string(s.Kind) + ":" + redactDSN(s.Location, s.Kind == WhatsmeowPostgres)
}

// ParseSource reads KIND:LOCATION, KIND one of the SourceKind values.
func ParseSource(s string) (Source, error) {
	kind, loc, ok := strings.Cut(s, ":")
	if !ok || loc == "" {
		return Source{}, fmt.Errorf("%w: source %q: want whatsmeow-sqlite:PATH, whatsmeow-postgres:DSN or libsignal-dir:DIR", ErrUsage, s)
	}
	switch k := SourceKind(kind); k {
	case WhatsmeowSQLite, WhatsmeowPostgres, LibsignalDir:
		return Source{Kind: k, Location: loc}, nil
	}
	return Source{}, fmt.Errorf("%w: unknown source kind %q (whatsmeow-sqlite, whatsmeow-postgres, libsignal-dir)", ErrUsage, kind)
}

// Target is a parsed target: a sqlstore dialect and a location (a SQLite
// file name or a PostgreSQL DSN).
type Target struct {
	Dialect  sqlstore.Dialect
	Location string
}

// String returns the target as ParseTarget reads it, without a PostgreSQL
// DSN's password.
func (t Target) String() string {
	return t.Dialect.String() + ":" + redactDSN(t.Location, t.Dialect == sqlstore.Postgres)
}

// ParseTarget reads sqlite:PATH or postgres:DSN.
func ParseTarget(s string) (Target, error) {
	kind, loc, ok := strings.Cut(s, ":")
	if !ok || loc == "" {
		return Target{}, fmt.Errorf("%w: target %q: want sqlite:PATH or postgres:DSN", ErrUsage, s)
	}
	switch kind {
	case "sqlite":
		return Target{Dialect: sqlstore.SQLite, Location: loc}, nil
	case "postgres":
		return Target{Dialect: sqlstore.Postgres, Location: loc}, nil
	}
	return Target{}, fmt.Errorf("%w: unknown target kind %q (sqlite, postgres)", ErrUsage, kind)
}

// Options configure a Run.
type Options struct {
	// From is the source.
	From Source
	// To is the target. A dry run does not open it and may leave it
	// zero.
	To Target
	// DryRun reads the whole source and writes it into a temporary
	// database, deleted afterwards, instead of To.
	DryRun bool
	// WhatsmeowJID selects the device of a whatsmeow store that holds
	// several (the jid column of whatsmeow_device, as whatsmeow writes
	// it, e.g. "491511234567:12@s.whatsapp.net"). With one device it may
	// be empty.
	WhatsmeowJID string
	// AllowFailures commits the records that imported when others
	// failed; by default such a run writes nothing.
	AllowFailures bool
	// Now is the time of the migration: sessions waiting for their
	// peer's first answer whose start the source does not date are dated
	// Now (see compat/gomau.ImportSessionRecord). The zero value means
	// time.Now().
	Now time.Time
}

// errRollback ends the target's transaction without an error of its own.
var errRollback = errors.New("migrate: roll back")

// Run migrates opts.From into opts.To (or, for a dry run, into a temporary
// database) and returns the report. An error means the run stopped and
// wrote nothing; the report then holds the entries read so far. A report
// with failed entries and no error means the run finished: written if
// opts.AllowFailures (Report.Committed), else rolled back.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.WhatsmeowJID != "" && opts.From.Kind == LibsignalDir {
		return nil, fmt.Errorf("%w: -whatsmeow-jid applies to whatsmeow sources only", ErrUsage)
	}
	rep := &Report{Source: opts.From.String(), DryRun: opts.DryRun}
	var st *sqlstore.Store
	var err error
	if opts.DryRun {
		dir, err := os.MkdirTemp("", "signal-migrate-dry-run-")
		if err != nil {
			return rep, err
		}
		defer os.RemoveAll(dir)
		st, err = sqlite.Open(ctx, filepath.Join(dir, "dry-run.db"))
		if err != nil {
			return rep, err
		}
		rep.Target = "(dry run: a temporary database)"
	} else {
		rep.Target = opts.To.String()
		if file, ok := newSQLiteFile(opts.To); ok {
			// A run that writes nothing leaves no file behind.
			defer func() {
				if !rep.Committed {
					for _, suffix := range []string{"", "-wal", "-shm"} {
						os.Remove(file + suffix)
					}
				}
			}()
		}
		st, err = openTarget(ctx, opts.To)
		if err != nil {
			return rep, err
		}
	}
	defer st.Close()
	has, err := st.HasIdentity(ctx)
	if err != nil {
		return rep, fmt.Errorf("migrate: target: %w", err)
	}
	if has {
		return rep, fmt.Errorf("%w: %s (migrate into a new database)", ErrTargetNotEmpty, rep.Target)
	}
	err = st.InTx(ctx, func(ctx context.Context) error {
		w := &writer{ctx: ctx, st: st, rep: rep}
		var err error
		switch opts.From.Kind {
		case WhatsmeowSQLite, WhatsmeowPostgres:
			err = migrateWhatsmeow(ctx, opts, w)
		case LibsignalDir:
			err = migrateLibsignalDir(opts, w)
		default:
			err = fmt.Errorf("%w: no source", ErrUsage)
		}
		if err != nil {
			return err
		}
		if opts.DryRun || (rep.Failed() > 0 && !opts.AllowFailures) {
			return errRollback
		}
		return nil
	})
	switch {
	case err == nil:
		rep.Committed = true
		return rep, nil
	case errors.Is(err, errRollback):
		return rep, nil
	}
	return rep, err
}

// newSQLiteFile returns the file name of a SQLite target that does not
// exist yet.
func newSQLiteFile(t Target) (string, bool) {
	if t.Dialect != sqlstore.SQLite || strings.HasPrefix(t.Location, "file:") {
		return "", false
	}
	if _, err := os.Lstat(t.Location); !errors.Is(err, fs.ErrNotExist) {
		return "", false
	}
	return t.Location, true
}

func openTarget(ctx context.Context, t Target) (*sqlstore.Store, error) {
	var st *sqlstore.Store
	var err error
	switch t.Dialect {
	case sqlstore.SQLite:
		st, err = sqlite.Open(ctx, t.Location)
	case sqlstore.Postgres:
		st, err = postgres.Open(ctx, t.Location)
	default:
		return nil, fmt.Errorf("%w: no target (-to sqlite:PATH or postgres:DSN)", ErrUsage)
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: open target %s: %w", t, err)
	}
	return st, nil
}

// writer applies the records of a source to the target's transaction and
// reports each.
type writer struct {
	ctx context.Context // carries the target's transaction
	st  *sqlstore.Store
	rep *Report
}

// put writes one record with write and reports it imported as target, or
// failed with write's error.
func (w *writer) put(kind Kind, source, target, note string, write func(ctx context.Context, st *sqlstore.Store) error) {
	e := Entry{Kind: kind, Source: source, Target: target, Outcome: Imported, Reason: note}
	if err := write(w.ctx, w.st); err != nil {
		e.Outcome, e.Reason = Failed, "write: "+err.Error()
	}
	w.rep.add(e)
}

// skip reports a record that is not imported, and why.
func (w *writer) skip(kind Kind, source, why string) {
	w.rep.add(Entry{Kind: kind, Source: source, Outcome: Skipped, Reason: why})
}

// fail reports a record that cannot be read.
func (w *writer) fail(kind Kind, source string, err error) {
	w.rep.add(Entry{Kind: kind, Source: source, Outcome: Failed, Reason: err.Error()})
}

// redactDSN hides the password of a PostgreSQL DSN (URL or key=value).
func redactDSN(dsn string, postgres bool) string {
	if !postgres {
		return dsn
	}
	if i := strings.Index(dsn, "://"); i >= 0 {
		rest := dsn[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if colon := strings.Index(rest[:at], ":"); colon >= 0 {
				return dsn[:i+3] + rest[:colon] + ":xxxxx" + rest[at:]
			}
		}
		return dsn
	}
	fields := strings.Fields(dsn)
	for i, f := range fields {
		if strings.HasPrefix(f, "password=") {
			fields[i] = "password=xxxxx"
		}
	}
	return strings.Join(fields, " ")
}
