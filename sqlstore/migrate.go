package sqlstore

import (
	"context"
	"fmt"
)

// migration is one schema version: the statements that bring the schema
// from the version before it, in each dialect.
type migration struct {
	version  int
	sqlite   []string
	postgres []string
}

// migrations are applied in order; each is recorded in schema_version in the
// transaction that applies it. Never edit a released migration: add one.
var migrations = []migration{
	{
		version: 1,
		sqlite: []string{
			`CREATE TABLE local_identity (
				id INTEGER PRIMARY KEY CHECK (id = 1),
				private_key BLOB NOT NULL,
				registration_id INTEGER NOT NULL
			)`,
			`CREATE TABLE identities (
				name TEXT NOT NULL,
				device_id INTEGER NOT NULL,
				public_key BLOB NOT NULL,
				PRIMARY KEY (name, device_id)
			)`,
			`CREATE TABLE prekeys (
				id INTEGER PRIMARY KEY,
				private_key BLOB NOT NULL
			)`,
			`CREATE TABLE signed_prekeys (
				id INTEGER PRIMARY KEY,
				private_key BLOB NOT NULL,
				timestamp_ms INTEGER NOT NULL,
				signature BLOB NOT NULL
			)`,
			`CREATE TABLE kem_prekeys (
				id INTEGER PRIMARY KEY,
				private_key BLOB NOT NULL,
				timestamp_ms INTEGER NOT NULL,
				signature BLOB NOT NULL,
				last_resort INTEGER NOT NULL
			)`,
			`CREATE TABLE kem_prekey_uses (
				kem_prekey_id INTEGER NOT NULL,
				signed_prekey_id INTEGER NOT NULL,
				base_key BLOB NOT NULL,
				PRIMARY KEY (kem_prekey_id, signed_prekey_id, base_key)
			)`,
			`CREATE TABLE sessions (
				name TEXT NOT NULL,
				device_id INTEGER NOT NULL,
				record BLOB NOT NULL,
				PRIMARY KEY (name, device_id)
			)`,
			`CREATE TABLE address_locks (
				name TEXT NOT NULL,
				device_id INTEGER NOT NULL,
				PRIMARY KEY (name, device_id)
			)`,
		},
		postgres: []string{
			`CREATE TABLE local_identity (
				id INTEGER PRIMARY KEY CHECK (id = 1),
				private_key BYTEA NOT NULL,
				registration_id BIGINT NOT NULL
			)`,
			`CREATE TABLE identities (
				name TEXT NOT NULL,
				device_id BIGINT NOT NULL,
				public_key BYTEA NOT NULL,
				PRIMARY KEY (name, device_id)
			)`,
			`CREATE TABLE prekeys (
				id BIGINT PRIMARY KEY,
				private_key BYTEA NOT NULL
			)`,
			`CREATE TABLE signed_prekeys (
				id BIGINT PRIMARY KEY,
				private_key BYTEA NOT NULL,
				timestamp_ms BIGINT NOT NULL,
				signature BYTEA NOT NULL
			)`,
			`CREATE TABLE kem_prekeys (
				id BIGINT PRIMARY KEY,
				private_key BYTEA NOT NULL,
				timestamp_ms BIGINT NOT NULL,
				signature BYTEA NOT NULL,
				last_resort INTEGER NOT NULL
			)`,
			`CREATE TABLE kem_prekey_uses (
				kem_prekey_id BIGINT NOT NULL,
				signed_prekey_id BIGINT NOT NULL,
				base_key BYTEA NOT NULL,
				PRIMARY KEY (kem_prekey_id, signed_prekey_id, base_key)
			)`,
			`CREATE TABLE sessions (
				name TEXT NOT NULL,
				device_id BIGINT NOT NULL,
				record BYTEA NOT NULL,
				PRIMARY KEY (name, device_id)
			)`,
			`CREATE TABLE address_locks (
				name TEXT NOT NULL,
				device_id BIGINT NOT NULL,
				PRIMARY KEY (name, device_id)
			)`,
		},
	},
	{
		version: 2,
		sqlite: []string{
			`CREATE TABLE sender_keys (
				sender_name TEXT NOT NULL,
				sender_device_id INTEGER NOT NULL,
				distribution_id BLOB NOT NULL,
				record BLOB NOT NULL,
				PRIMARY KEY (sender_name, sender_device_id, distribution_id)
			)`,
		},
		postgres: []string{
			`CREATE TABLE sender_keys (
				sender_name TEXT NOT NULL,
				sender_device_id BIGINT NOT NULL,
				distribution_id BYTEA NOT NULL,
				record BYTEA NOT NULL,
				PRIMARY KEY (sender_name, sender_device_id, distribution_id)
			)`,
		},
	},
	{
		// The row locks of LockSender (PostgreSQL; on SQLite the table
		// stays empty, as address_locks does).
		version: 3,
		sqlite: []string{
			`CREATE TABLE sender_key_locks (
				sender_name TEXT NOT NULL,
				sender_device_id INTEGER NOT NULL,
				distribution_id BLOB NOT NULL,
				PRIMARY KEY (sender_name, sender_device_id, distribution_id)
			)`,
		},
		postgres: []string{
			`CREATE TABLE sender_key_locks (
				sender_name TEXT NOT NULL,
				sender_device_id BIGINT NOT NULL,
				distribution_id BYTEA NOT NULL,
				PRIMARY KEY (sender_name, sender_device_id, distribution_id)
			)`,
		},
	},
}

// SchemaVersion is the schema version this package migrates to: the
// version of its last migration.
const SchemaVersion = 3

// migrationLockKey is the PostgreSQL advisory lock that serializes
// migrations of one database by several processes. It is a bigint above
// 1<<31: typed int64, so the package builds where int has 32 bits.
const migrationLockKey int64 = 0x5349474e414c // "SIGNAL"

// migrate brings the schema to SchemaVersion in one transaction. Processes
// that open one database at once take turns (SQLite's write lock, a
// PostgreSQL advisory lock); the later ones find the work done.
func (s *Store) migrate(ctx context.Context) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		q := s.q(ctx)
		if s.dialect == Postgres {
			if _, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(`+fmt.Sprint(migrationLockKey)+`)`); err != nil {
				return fmt.Errorf("sqlstore: migrate: %w", err)
			}
		}
		if _, err := q.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY)`); err != nil {
			return fmt.Errorf("sqlstore: migrate: %w", err)
		}
		var current int
		if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
			return fmt.Errorf("sqlstore: migrate: %w", err)
		}
		if current > SchemaVersion {
			return fmt.Errorf("%w: version %d, this package knows up to %d", ErrSchemaTooNew, current, SchemaVersion)
		}
		for _, m := range migrations {
			if m.version <= current {
				continue
			}
			stmts := m.sqlite
			if s.dialect == Postgres {
				stmts = m.postgres
			}
			for _, st := range stmts {
				if _, err := q.ExecContext(ctx, st); err != nil {
					return fmt.Errorf("sqlstore: migration %d: %w", m.version, err)
				}
			}
			if _, err := q.ExecContext(ctx, s.sql(`INSERT INTO schema_version (version) VALUES (?)`), m.version); err != nil {
				return fmt.Errorf("sqlstore: migration %d: %w", m.version, err)
			}
		}
		return nil
	})
}

// Version returns the schema version recorded in the database.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v int
	if err := s.q(ctx).QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlstore: schema version: %w", err)
	}
	return v, nil
}
