package sqlstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// Queries, with ? placeholders (rebound for PostgreSQL).
const (
	// The row locks of PostgreSQL, each in one statement whether the row
	// exists or not: the insert makes it (and holds it until the
	// transaction ends), and ON CONFLICT DO UPDATE locks an existing row
	// (waiting for its holder) even though its WHERE clause updates
	// nothing. The lock is the one SELECT ... FOR UPDATE takes, which older
	// versions of this package used.
	qLock = `INSERT INTO address_locks (name, device_id) VALUES (?, ?)
		ON CONFLICT (name, device_id) DO UPDATE SET name = excluded.name WHERE FALSE`
	qSenderLock = `INSERT INTO sender_key_locks (sender_name, sender_device_id, distribution_id) VALUES (?, ?, ?)
		ON CONFLICT (sender_name, sender_device_id, distribution_id) DO UPDATE SET sender_name = excluded.sender_name WHERE FALSE`
	// The same with literal values (fmt verbs for pgText, int64, pgBytes),
	// sent with BEGIN in one simple-protocol query.
	qLockLiteral = `INSERT INTO address_locks (name, device_id) VALUES (%s, %d)
		ON CONFLICT (name, device_id) DO UPDATE SET name = excluded.name WHERE FALSE`
	qSenderLockLiteral = `INSERT INTO sender_key_locks (sender_name, sender_device_id, distribution_id) VALUES (%s, %d, %s)
		ON CONFLICT (sender_name, sender_device_id, distribution_id) DO UPDATE SET sender_name = excluded.sender_name WHERE FALSE`

	qIdentityInsert = `INSERT INTO local_identity (id, private_key, registration_id) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING`
	qIdentitySelect = `SELECT private_key, registration_id FROM local_identity WHERE id = 1`

	qPeerSelect = `SELECT public_key FROM identities WHERE name = ? AND device_id = ?`
	// The WHERE clause skips the write when the key is unchanged (every
	// decrypt saves the peer's identity).
	qPeerUpsert = `INSERT INTO identities (name, device_id, public_key) VALUES (?, ?, ?)
		ON CONFLICT (name, device_id) DO UPDATE SET public_key = excluded.public_key
		WHERE identities.public_key <> excluded.public_key`

	qPreKeyUpsert = `INSERT INTO prekeys (id, private_key) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET private_key = excluded.private_key`
	qPreKeySelect = `SELECT private_key FROM prekeys WHERE id = ?`
	qPreKeyDelete = `DELETE FROM prekeys WHERE id = ?`
	qPreKeyCount  = `SELECT COUNT(*) FROM prekeys`

	qSignedUpsert = `INSERT INTO signed_prekeys (id, private_key, timestamp_ms, signature) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET private_key = excluded.private_key,
		timestamp_ms = excluded.timestamp_ms, signature = excluded.signature`
	qSignedSelect = `SELECT private_key, timestamp_ms, signature FROM signed_prekeys WHERE id = ?`
	qSignedDelete = `DELETE FROM signed_prekeys WHERE id = ?`

	qKEMUpsert = `INSERT INTO kem_prekeys (id, private_key, timestamp_ms, signature, last_resort) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET private_key = excluded.private_key,
		timestamp_ms = excluded.timestamp_ms, signature = excluded.signature, last_resort = excluded.last_resort`
	qKEMSelect     = `SELECT private_key, timestamp_ms, signature FROM kem_prekeys WHERE id = ?`
	qKEMLastResort = `SELECT last_resort FROM kem_prekeys WHERE id = ?`
	qKEMDelete     = `DELETE FROM kem_prekeys WHERE id = ?`
	qKEMCount      = `SELECT COUNT(*) FROM kem_prekeys WHERE last_resort = 0`
	qKEMUseInsert  = `INSERT INTO kem_prekey_uses (kem_prekey_id, signed_prekey_id, base_key) VALUES (?, ?, ?)
		ON CONFLICT (kem_prekey_id, signed_prekey_id, base_key) DO NOTHING`
	qKEMUsesDelete = `DELETE FROM kem_prekey_uses WHERE kem_prekey_id = ?`

	qSessionSelect = `SELECT record FROM sessions WHERE name = ? AND device_id = ?`
	qSessionUpsert = `INSERT INTO sessions (name, device_id, record) VALUES (?, ?, ?)
		ON CONFLICT (name, device_id) DO UPDATE SET record = excluded.record`
	qSessionDelete = `DELETE FROM sessions WHERE name = ? AND device_id = ?`
	// The record and the peer's identity of one address, in one statement
	// (one row, with NULLs for what is not stored).
	qSessionPeerSelect = `SELECT s.record, s.name IS NOT NULL, i.public_key FROM (SELECT 1 AS one) AS o
		LEFT JOIN sessions s ON s.name = ? AND s.device_id = ?
		LEFT JOIN identities i ON i.name = ? AND i.device_id = ?`

	qSenderSelect = `SELECT record FROM sender_keys WHERE sender_name = ? AND sender_device_id = ? AND distribution_id = ?`
	qSenderUpsert = `INSERT INTO sender_keys (sender_name, sender_device_id, distribution_id, record) VALUES (?, ?, ?, ?)
		ON CONFLICT (sender_name, sender_device_id, distribution_id) DO UPDATE SET record = excluded.record`
	qSenderDelete = `DELETE FROM sender_keys WHERE sender_name = ? AND sender_device_id = ? AND distribution_id = ?`
)

// Init stores the device's identity key pair and registration id, once. It
// returns nil if the same identity and registration id are already stored,
// and ErrIdentityExists if different ones are. (LoadOrCreateIdentity makes
// them instead, on first start.)
func (s *Store) Init(ctx context.Context, identity *curve.IdentityKeyPair, regID uint32) error {
	if identity == nil {
		return fmt.Errorf("%w: nil identity", ErrNoIdentity)
	}
	priv := identity.PrivateKey().Bytes()
	defer clear(priv)
	return s.write(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, s.sql(qIdentityInsert), priv, int64(regID)); err != nil {
			return fmt.Errorf("sqlstore: init: %w", err)
		}
		var stored []byte
		var storedReg int64
		if err := q.QueryRowContext(ctx, s.sql(qIdentitySelect)).Scan(&stored, &storedReg); err != nil {
			return fmt.Errorf("sqlstore: init: %w", err)
		}
		defer clear(stored)
		if string(stored) != string(priv) || storedReg != int64(regID) {
			return ErrIdentityExists
		}
		return nil
	})
}

// HasIdentity reports whether the store holds a local identity (whether
// Init has run on this database).
func (s *Store) HasIdentity(ctx context.Context) (bool, error) {
	_, _, err := s.localIdentity(ctx)
	if errors.Is(err, ErrNoIdentity) {
		return false, nil
	}
	return err == nil, err
}

// localIdentity loads (once) and returns the local identity.
func (s *Store) localIdentity(ctx context.Context) (*curve.IdentityKeyPair, uint32, error) {
	s.idMu.Lock()
	defer s.idMu.Unlock()
	if s.identity != nil {
		return s.identity, s.regID, nil
	}
	var priv []byte
	var regID int64
	err := s.q(ctx).QueryRowContext(ctx, s.sql(qIdentitySelect)).Scan(&priv, &regID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, ErrNoIdentity
	}
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: identity: %w", err)
	}
	defer clear(priv)
	id, err := decodeIdentity(priv)
	if err != nil {
		return nil, 0, err
	}
	s.identity, s.regID = id, uint32(regID)
	return id, uint32(regID), nil
}

// IdentityKeyPair implements session.IdentityStore. It returns an error
// wrapping ErrNoIdentity before Init.
func (s *Store) IdentityKeyPair(ctx context.Context) (*curve.IdentityKeyPair, error) {
	id, _, err := s.localIdentity(ctx)
	return id, err
}

// LocalRegistrationID implements session.IdentityStore.
func (s *Store) LocalRegistrationID(ctx context.Context) (uint32, error) {
	_, reg, err := s.localIdentity(ctx)
	return reg, err
}

// Identity implements session.DeviceStore: it returns the stored identity
// key of addr, and whether there is one.
//
// Inside a transaction that already read the identity of addr (with the
// record, see SessionBytes) it answers from that read, without a query.
func (s *Store) Identity(ctx context.Context, addr session.Address) (curve.PublicKey, bool, error) {
	t := s.txOf(ctx)
	if t != nil {
		if p, ok := t.peers[addr]; ok {
			return p.decode(addr)
		}
	}
	var b []byte
	err := s.q(ctx).QueryRowContext(ctx, s.sql(qPeerSelect), addr.Name, int64(addr.DeviceID)).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		b, err = nil, nil
	}
	if err != nil {
		return curve.PublicKey{}, false, fmt.Errorf("sqlstore: identity of %v: %w", addr, err)
	}
	p := peerIdentity{key: b, ok: b != nil}
	if t != nil {
		t.notePeer(addr, p)
	}
	return p.decode(addr)
}

// peerIdentity is the stored identity of a peer, as a transaction read or
// wrote it.
type peerIdentity struct {
	key []byte
	ok  bool // a row exists
}

func (p peerIdentity) decode(addr session.Address) (curve.PublicKey, bool, error) {
	if !p.ok {
		return curve.PublicKey{}, false, nil
	}
	k, err := decodePeerIdentity(p.key)
	if err != nil {
		return curve.PublicKey{}, false, fmt.Errorf("identity of %v: %w", addr, err)
	}
	return k, true, nil
}

// IsTrustedIdentity implements session.IdentityStore with the reference
// policy (trust on first use): a key is trusted if none is stored for addr
// yet, or if it is the stored one.
func (s *Store) IsTrustedIdentity(ctx context.Context, addr session.Address, id curve.PublicKey, _ session.Direction) (bool, error) {
	known, ok, err := s.Identity(ctx, addr)
	if err != nil {
		return false, err
	}
	return !ok || known.Equal(id), nil
}

// SaveIdentity implements session.IdentityStore. Inside a transaction that
// read the identity of addr (a Manager's operation, see SessionBytes) and
// found id, it writes nothing: every decrypt saves the peer's identity,
// which almost always is the stored one.
func (s *Store) SaveIdentity(ctx context.Context, addr session.Address, id curve.PublicKey) error {
	key := id.Bytes()
	if t := s.txOf(ctx); t != nil {
		if p, ok := t.peers[addr]; ok && p.ok && bytes.Equal(p.key, key) {
			return nil
		}
	}
	return s.InTx(ctx, func(ctx context.Context) error {
		t := s.txOf(ctx)
		if _, err := t.q.ExecContext(ctx, s.sql(qPeerUpsert), addr.Name, int64(addr.DeviceID), key); err != nil {
			return fmt.Errorf("sqlstore: save identity of %v: %w", addr, err)
		}
		t.notePeer(addr, peerIdentity{key: key, ok: true})
		return nil
	})
}

// Trust implements session.DeviceStore: it replaces the stored identity of
// addr by id, what an app does once its user has accepted a peer's new
// identity key.
func (s *Store) Trust(ctx context.Context, addr session.Address, id curve.PublicKey) error {
	return s.SaveIdentity(ctx, addr, id)
}

// AddPreKey implements session.DeviceStore: it stores a one-time prekey
// (replacing one with the same id).
func (s *Store) AddPreKey(ctx context.Context, k *x3dh.OneTimePreKey) error {
	priv := k.KeyPair.Private.Bytes()
	defer clear(priv)
	return s.write(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, s.sql(qPreKeyUpsert), int64(k.ID), priv); err != nil {
			return fmt.Errorf("sqlstore: add prekey %d: %w", k.ID, err)
		}
		return nil
	})
}

// RemovePreKey implements session.DeviceStore: it deletes the one-time
// prekey id, if it is stored.
func (s *Store) RemovePreKey(ctx context.Context, id uint32) error {
	return s.write(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, s.sql(qPreKeyDelete), int64(id)); err != nil {
			return fmt.Errorf("sqlstore: remove prekey %d: %w", id, err)
		}
		return nil
	})
}

// LoadPreKey implements session.PreKeyStore.
func (s *Store) LoadPreKey(ctx context.Context, id uint32) (*x3dh.OneTimePreKey, error) {
	var priv []byte
	err := s.q(ctx).QueryRowContext(ctx, s.sql(qPreKeySelect), int64(id)).Scan(&priv)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("prekey %d: %w", id, session.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: prekey %d: %w", id, err)
	}
	defer clear(priv)
	return decodePreKey(id, priv)
}

// HasPreKey reports whether the one-time prekey id is still stored.
func (s *Store) HasPreKey(ctx context.Context, id uint32) (bool, error) {
	_, err := s.LoadPreKey(ctx, id)
	if errors.Is(err, session.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// PreKeyCount implements session.DeviceStore: it returns how many one-time
// prekeys and one-time KEM prekeys are stored (for an app that refills its
// published prekeys).
func (s *Store) PreKeyCount(ctx context.Context) (oneTime, kemOneTime int, err error) {
	q := s.q(ctx)
	if err := q.QueryRowContext(ctx, qPreKeyCount).Scan(&oneTime); err != nil {
		return 0, 0, fmt.Errorf("sqlstore: count prekeys: %w", err)
	}
	if err := q.QueryRowContext(ctx, qKEMCount).Scan(&kemOneTime); err != nil {
		return 0, 0, fmt.Errorf("sqlstore: count KEM prekeys: %w", err)
	}
	return oneTime, kemOneTime, nil
}

// AddSignedPreKey implements session.DeviceStore: it stores a signed
// prekey (replacing one with the same id).
func (s *Store) AddSignedPreKey(ctx context.Context, k *x3dh.SignedPreKey) error {
	priv := k.KeyPair.Private.Bytes()
	defer clear(priv)
	return s.write(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, s.sql(qSignedUpsert), int64(k.ID), priv, k.Timestamp.UnixMilli(), k.Signature); err != nil {
			return fmt.Errorf("sqlstore: add signed prekey %d: %w", k.ID, err)
		}
		return nil
	})
}

// RemoveSignedPreKey implements session.DeviceStore: it deletes the signed
// prekey id (after a rotation).
func (s *Store) RemoveSignedPreKey(ctx context.Context, id uint32) error {
	return s.write(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, s.sql(qSignedDelete), int64(id)); err != nil {
			return fmt.Errorf("sqlstore: remove signed prekey %d: %w", id, err)
		}
		return nil
	})
}

// LoadSignedPreKey implements session.SignedPreKeyStore.
func (s *Store) LoadSignedPreKey(ctx context.Context, id uint32) (*x3dh.SignedPreKey, error) {
	var priv, sig []byte
	var ts int64
	err := s.q(ctx).QueryRowContext(ctx, s.sql(qSignedSelect), int64(id)).Scan(&priv, &ts, &sig)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("signed prekey %d: %w", id, session.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: signed prekey %d: %w", id, err)
	}
	defer clear(priv)
	return decodeSignedPreKey(id, priv, ts, sig)
}

// AddKEMPreKey implements session.DeviceStore: it stores a one-time KEM
// prekey (replacing a KEM prekey with the same id), which the StoreSession
// of the session that uses it removes.
func (s *Store) AddKEMPreKey(ctx context.Context, k *x3dh.KEMPreKey) error {
	return s.addKEMPreKey(ctx, k, false)
}

// AddLastResortKEMPreKey implements session.DeviceStore: it stores a
// last-resort KEM prekey (replacing a KEM prekey with the same id, and the
// uses recorded for it), which stays after use.
func (s *Store) AddLastResortKEMPreKey(ctx context.Context, k *x3dh.KEMPreKey) error {
	return s.addKEMPreKey(ctx, k, true)
}

func (s *Store) addKEMPreKey(ctx context.Context, k *x3dh.KEMPreKey, lastResort bool) error {
	priv := k.KeyPair.Private.Bytes()
	defer clear(priv)
	lr := 0
	if lastResort {
		lr = 1
	}
	return s.write(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, s.sql(qKEMUpsert), int64(k.ID), priv, k.Timestamp.UnixMilli(), k.Signature, lr); err != nil {
			return fmt.Errorf("sqlstore: add KEM prekey %d: %w", k.ID, err)
		}
		// A replaced key starts with no recorded uses.
		if _, err := q.ExecContext(ctx, s.sql(qKEMUsesDelete), int64(k.ID)); err != nil {
			return fmt.Errorf("sqlstore: add KEM prekey %d: %w", k.ID, err)
		}
		return nil
	})
}

// RemoveKEMPreKey implements session.DeviceStore: it deletes the KEM
// prekey id and its recorded uses (after a last-resort key is rotated).
func (s *Store) RemoveKEMPreKey(ctx context.Context, id uint32) error {
	return s.write(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, s.sql(qKEMDelete), int64(id)); err != nil {
			return fmt.Errorf("sqlstore: remove KEM prekey %d: %w", id, err)
		}
		if _, err := q.ExecContext(ctx, s.sql(qKEMUsesDelete), int64(id)); err != nil {
			return fmt.Errorf("sqlstore: remove KEM prekey %d: %w", id, err)
		}
		return nil
	})
}

// LoadKEMPreKey implements session.KEMPreKeyStore.
func (s *Store) LoadKEMPreKey(ctx context.Context, id uint32) (*x3dh.KEMPreKey, error) {
	var priv, sig []byte
	var ts int64
	err := s.q(ctx).QueryRowContext(ctx, s.sql(qKEMSelect), int64(id)).Scan(&priv, &ts, &sig)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("KEM prekey %d: %w", id, session.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: KEM prekey %d: %w", id, err)
	}
	defer clear(priv)
	return decodeKEMPreKey(id, priv, ts, sig)
}

// LoadSession implements session.SessionStore.
func (s *Store) LoadSession(ctx context.Context, addr session.Address) (*session.Record, error) {
	b, err := s.SessionBytes(ctx, addr)
	if err != nil || b == nil {
		return nil, err
	}
	rec, err := decodeSession(b)
	if err != nil {
		return nil, fmt.Errorf("session of %v: %w", addr, err)
	}
	return rec, nil
}

// SessionBytes returns the encoded record of addr, or nil if there is none.
//
// Inside a transaction of s (ctx from LockAddress or InTx) the same query
// also reads the stored identity of addr, which the transaction keeps: the
// trust check (IsTrustedIdentity) and SaveIdentity of the operation that
// loaded the record then cost no statement of their own (a Manager's
// decrypt runs one read, of the record and identity, and one write).
func (s *Store) SessionBytes(ctx context.Context, addr session.Address) ([]byte, error) {
	var b, peer []byte
	var exists bool
	var err error
	t := s.txOf(ctx)
	if t != nil {
		err = t.q.QueryRowContext(ctx, s.sql(qSessionPeerSelect), addr.Name, int64(addr.DeviceID), addr.Name, int64(addr.DeviceID)).Scan(&b, &exists, &peer)
	} else {
		err = s.reads.QueryRowContext(ctx, s.sql(qSessionSelect), addr.Name, int64(addr.DeviceID)).Scan(&b)
		exists = err == nil
		if errors.Is(err, sql.ErrNoRows) {
			err = nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: session of %v: %w", addr, err)
	}
	if t != nil {
		t.notePeer(addr, peerIdentity{key: peer, ok: peer != nil})
	}
	if !exists {
		return nil, nil
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// OptimisticDecrypt implements session.Snapshotter: true on SQLite, whose
// lock is the database's write lock, so a Manager decrypts on a snapshot
// and takes the lock only to commit; false on PostgreSQL, whose per-address
// row lock is cheap to hold, so a decrypt there costs no extra read.
func (s *Store) OptimisticDecrypt() bool { return s.dialect == SQLite }

// LoadSessionSnapshot implements session.Snapshotter: it returns the record
// of addr (nil if there is none) and a token naming its content, read
// without any lock. With a ctx that carries no transaction of s it reads
// the committed record through the pool, without the Store's SQLite
// transaction slot: in WAL mode (which Open sets) a read waits for no
// writer, of this Store, of another handle or of another process. With
// one, it reads in that transaction.
func (s *Store) LoadSessionSnapshot(ctx context.Context, addr session.Address) (*session.Record, []byte, error) {
	b, err := s.SessionBytes(ctx, addr)
	if err != nil {
		return nil, nil, err
	}
	token := snapshotToken(b)
	if b == nil {
		return nil, token, nil
	}
	rec, err := decodeSession(b)
	if err != nil {
		return nil, nil, fmt.Errorf("session of %v: %w", addr, err)
	}
	return rec, token, nil
}

// SessionChanged implements session.Snapshotter: it reports whether the
// record of addr, as ctx's transaction sees it, is no longer the one that
// token (from LoadSessionSnapshot) names: written with other content,
// created, or deleted. Called with the context of LockAddress, its answer
// holds until that transaction ends.
//
// The token is 0x00 for "no record" and 0x01 || SHA-256(record) for a
// record, so it is exact whoever wrote the row (another process, an older
// version of this package, a manual UPDATE): a rewrite with the same bytes
// is the same state and counts as unchanged, any other content as changed.
func (s *Store) SessionChanged(ctx context.Context, addr session.Address, token []byte) (bool, error) {
	if !validSnapshotToken(token) {
		return false, fmt.Errorf("sqlstore: session of %v: invalid snapshot token", addr)
	}
	b, err := s.SessionBytes(ctx, addr)
	if err != nil {
		return false, err
	}
	return !bytes.Equal(snapshotToken(b), token), nil
}

// snapshotToken names the stored record b (nil: none).
func snapshotToken(b []byte) []byte {
	if b == nil {
		return []byte{0}
	}
	h := sha256.Sum256(b)
	return append([]byte{1}, h[:]...)
}

func validSnapshotToken(t []byte) bool {
	return len(t) == 1 && t[0] == 0 || len(t) == 1+sha256.Size && t[0] == 1
}

// StoreSession implements session.SessionStore: in one transaction (ctx's,
// or one of its own) it writes rec and consumes the prekeys of c. It fails
// with ErrPreKeyConsumed if a one-time prekey of c is gone, and with
// ErrKEMPreKeyReplay if c repeats a use of a last-resort KEM prekey; the
// transaction then rolls back.
func (s *Store) StoreSession(ctx context.Context, addr session.Address, rec *session.Record, c session.Consumed) error {
	b, err := rec.MarshalBinary()
	if err != nil {
		return err
	}
	return s.write(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, s.sql(qSessionUpsert), addr.Name, int64(addr.DeviceID), b); err != nil {
			return fmt.Errorf("sqlstore: store session of %v: %w", addr, err)
		}
		if s.afterRecordWrite != nil {
			if err := s.afterRecordWrite(); err != nil {
				return err
			}
		}
		if c.HasPreKey {
			if err := deleteOne(ctx, q, s.sql(qPreKeyDelete), c.PreKeyID); err != nil {
				return fmt.Errorf("prekey %d: %w", c.PreKeyID, err)
			}
		}
		if c.HasKEMPreKey {
			var lastResort int
			err := q.QueryRowContext(ctx, s.sql(qKEMLastResort), int64(c.KEMPreKeyID)).Scan(&lastResort)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("KEM prekey %d: %w", c.KEMPreKeyID, ErrPreKeyConsumed)
			}
			if err != nil {
				return fmt.Errorf("sqlstore: KEM prekey %d: %w", c.KEMPreKeyID, err)
			}
			if lastResort == 0 {
				if err := deleteOne(ctx, q, s.sql(qKEMDelete), c.KEMPreKeyID); err != nil {
					return fmt.Errorf("KEM prekey %d: %w", c.KEMPreKeyID, err)
				}
			} else {
				res, err := q.ExecContext(ctx, s.sql(qKEMUseInsert), int64(c.KEMPreKeyID), int64(c.SignedPreKeyID), c.BaseKey.Bytes())
				if err != nil {
					return fmt.Errorf("sqlstore: record use of KEM prekey %d: %w", c.KEMPreKeyID, err)
				}
				if n, err := res.RowsAffected(); err != nil {
					return fmt.Errorf("sqlstore: record use of KEM prekey %d: %w", c.KEMPreKeyID, err)
				} else if n == 0 {
					return fmt.Errorf("KEM prekey %d, signed prekey %d: %w", c.KEMPreKeyID, c.SignedPreKeyID, ErrKEMPreKeyReplay)
				}
			}
		}
		return nil
	})
}

// deleteOne runs a DELETE of one key by id and fails with ErrPreKeyConsumed
// if no row was deleted.
func deleteOne(ctx context.Context, q querier, query string, id uint32) error {
	res, err := q.ExecContext(ctx, query, int64(id))
	if err != nil {
		return fmt.Errorf("sqlstore: delete: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlstore: delete: %w", err)
	}
	if n == 0 {
		return ErrPreKeyConsumed
	}
	return nil
}

// DeleteSession implements session.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, addr session.Address) error {
	return s.write(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, s.sql(qSessionDelete), addr.Name, int64(addr.DeviceID)); err != nil {
			return fmt.Errorf("sqlstore: delete session of %v: %w", addr, err)
		}
		return nil
	})
}

// LoadSenderKey implements senderkey.Store: it returns the sender-key
// record of sender and id, or nil if there is none.
func (s *Store) LoadSenderKey(ctx context.Context, sender senderkey.Sender, id senderkey.DistributionID) (*senderkey.Record, error) {
	var b []byte
	err := s.q(ctx).QueryRowContext(ctx, s.sql(qSenderSelect), sender.Name, int64(sender.DeviceID), id[:]).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: sender key of %s.%d: %w", sender.Name, sender.DeviceID, err)
	}
	r, err := decodeSenderKey(b)
	if err != nil {
		return nil, fmt.Errorf("sender key of %s.%d: %w", sender.Name, sender.DeviceID, err)
	}
	return r, nil
}

// StoreSenderKey implements senderkey.Store: it saves record as the
// sender-key record of sender and id.
func (s *Store) StoreSenderKey(ctx context.Context, sender senderkey.Sender, id senderkey.DistributionID, record *senderkey.Record) error {
	b, err := record.MarshalBinary()
	if err != nil {
		return err
	}
	if b == nil {
		b = []byte{} // an empty record is not NULL
	}
	return s.write(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, s.sql(qSenderUpsert), sender.Name, int64(sender.DeviceID), id[:], b); err != nil {
			return fmt.Errorf("sqlstore: store sender key of %s.%d: %w", sender.Name, sender.DeviceID, err)
		}
		return nil
	})
}

// DeleteSenderKey removes the sender-key record of sender and id, if any.
func (s *Store) DeleteSenderKey(ctx context.Context, sender senderkey.Sender, id senderkey.DistributionID) error {
	return s.write(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, s.sql(qSenderDelete), sender.Name, int64(sender.DeviceID), id[:]); err != nil {
			return fmt.Errorf("sqlstore: delete sender key of %s.%d: %w", sender.Name, sender.DeviceID, err)
		}
		return nil
	})
}

// Decoders of stored values. Each returns an error wrapping ErrInvalidData
// for bytes that are not a valid value (a corrupted or foreign database).

func decodeIdentity(priv []byte) (*curve.IdentityKeyPair, error) {
	k, err := curve.NewPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("%w: identity key: %w", ErrInvalidData, err)
	}
	id, err := curve.NewIdentityKeyPair(k)
	if err != nil {
		return nil, fmt.Errorf("%w: identity key: %w", ErrInvalidData, err)
	}
	return id, nil
}

func decodePeerIdentity(b []byte) (curve.PublicKey, error) {
	k, err := curve.ParsePublicKey(b)
	if err != nil {
		return curve.PublicKey{}, fmt.Errorf("%w: %w", ErrInvalidData, err)
	}
	return k, nil
}

func decodePreKey(id uint32, priv []byte) (*x3dh.OneTimePreKey, error) {
	k, err := curve.NewPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("%w: prekey %d: %w", ErrInvalidData, id, err)
	}
	return &x3dh.OneTimePreKey{ID: id, KeyPair: curve.NewKeyPair(k)}, nil
}

func decodeSignedPreKey(id uint32, priv []byte, ts int64, sig []byte) (*x3dh.SignedPreKey, error) {
	k, err := curve.NewPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("%w: signed prekey %d: %w", ErrInvalidData, id, err)
	}
	return &x3dh.SignedPreKey{ID: id, KeyPair: curve.NewKeyPair(k), Timestamp: time.UnixMilli(ts), Signature: sig}, nil
}

func decodeKEMPreKey(id uint32, priv []byte, ts int64, sig []byte) (*x3dh.KEMPreKey, error) {
	k, err := x3dh.ParseKEMPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("%w: KEM prekey %d: %w", ErrInvalidData, id, err)
	}
	return &x3dh.KEMPreKey{
		ID:        id,
		KeyPair:   x3dh.KEMKeyPair{Private: k, Public: k.PublicKey()},
		Timestamp: time.UnixMilli(ts),
		Signature: sig,
	}, nil
}

func decodeSession(b []byte) (*session.Record, error) {
	rec, err := session.ParseRecord(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidData, err)
	}
	return rec, nil
}

func decodeSenderKey(b []byte) (*senderkey.Record, error) {
	r, err := senderkey.ParseRecord(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidData, err)
	}
	return r, nil
}
