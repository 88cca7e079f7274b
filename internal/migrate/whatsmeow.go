package migrate

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/forwardsecret/signal/compat"
	"github.com/forwardsecret/signal/compat/gomau"
	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/sqlstore"
	"github.com/forwardsecret/signal/x3dh"
)

// The tables of go.mau.fi/whatsmeow's SQL store (store/sqlstore, schema
// version 11) that hold Signal protocol state, and their columns read here.
// Binary columns are bytea (PostgreSQL) or values of SQLite's declared type
// bytea (blobs); keys are raw 32-byte values, public keys without the 0x05
// type byte.
//
//	whatsmeow_device         jid, registration_id, identity_key (private),
//	                         signed_pre_key (private), signed_pre_key_id,
//	                         signed_pre_key_sig
//	whatsmeow_identity_keys  our_jid, their_id, identity (public)
//	whatsmeow_pre_keys       jid, key_id, key (private), uploaded
//	whatsmeow_sessions       our_jid, their_id, session (JSON, may be NULL)
//	whatsmeow_sender_keys    our_jid, chat_id, sender_id, sender_key (JSON)
var whatsmeowSignalTables = map[string]bool{
	"whatsmeow_device": true, "whatsmeow_identity_keys": true, "whatsmeow_pre_keys": true,
	"whatsmeow_sessions": true, "whatsmeow_sender_keys": true,
	"whatsmeow_version": true, // the schema version, not a record
}

// ParseWhatsmeowAddress reads an address as whatsmeow stores it (their_id
// and sender_id): go.mau.fi/libsignal's SignalAddress.String, "NAME:DEVICE".
// NAME is the Signal address name whatsmeow derives from the JID
// (types.JID.SignalAddressUser): the JID's user part (a phone number, or a
// LID), followed by "_AGENT" for the agent of LID (_1) and hosted (_128)
// addresses; DEVICE is the JID's device number. The session address is
// {Name: NAME, DeviceID: DEVICE}, NAME kept exactly as stored, so that an
// app addresses a migrated session as whatsmeow did: by
// jid.SignalAddressUser() and jid.Device.
func ParseWhatsmeowAddress(s string) (session.Address, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return session.Address{}, fmt.Errorf("address %q: want NAME:DEVICE", s)
	}
	dev, err := strconv.ParseUint(s[i+1:], 10, 32)
	if err != nil {
		return session.Address{}, fmt.Errorf("address %q: device id: %w", s, err)
	}
	return session.Address{Name: s[:i], DeviceID: uint32(dev)}, nil
}

// uuidNamespaceURL is RFC 9562's name space for URLs.
var uuidNamespaceURL = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// WhatsmeowDistributionID returns the distribution id under which the
// sender keys of the WhatsApp chat chatID (whatsmeow's chat_id: a group JID
// such as "120363012345678901@g.us", or "status@broadcast") are stored:
// the name-based UUID (version 5, SHA-1, RFC 9562) of the URL
// "xmpp:" + chatID in the URL name space. WhatsApp's group messages carry no
// distribution id (senderkey.Cipher.DecryptLegacy takes it from the app),
// so an app computes it again from the chat's JID, with this function or any
// UUID library: uuid.NewSHA1(uuid.NameSpaceURL, []byte("xmpp:"+chatID)).
func WhatsmeowDistributionID(chatID string) senderkey.DistributionID {
	h := sha1.New()
	h.Write(uuidNamespaceURL[:])
	h.Write([]byte("xmpp:" + chatID))
	var id senderkey.DistributionID
	copy(id[:], h.Sum(nil))
	id[6] = id[6]&0x0f | 0x50
	id[8] = id[8]&0x3f | 0x80
	return id
}

// whatsmeowSource is an open whatsmeow database, read in one read-only
// transaction.
type whatsmeowSource struct {
	db      *sql.DB
	tx      *sql.Tx
	dialect sqlstore.Dialect
}

// ph returns the n-th query placeholder of the dialect.
func (s *whatsmeowSource) ph(n int) string {
	if s.dialect == sqlstore.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// openWhatsmeowSQLite opens the SQLite file path read-only and immutable:
// SQLite takes no lock and writes nothing (no journal, no -wal or -shm
// file). An immutable database must not change while it is read, and its
// committed state must all be in the file: a non-empty -wal file (whatsmeow
// running, or stopped without a checkpoint) or a hot -journal (a
// transaction cut short) would be ignored, so their presence is an error.
func openWhatsmeowSQLite(ctx context.Context, path string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSource, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a file", ErrSource, path)
	}
	for _, side := range []string{"-wal", "-journal"} {
		if fi, err := os.Stat(abs + side); err == nil && fi.Size() > 0 {
			return nil, fmt.Errorf("%w: %s%s exists: the database has changes that are not in %s yet. "+
				"Stop whatsmeow first; if the file stays, open the database once with sqlite3 "+
				"(sqlite3 %s 'PRAGMA wal_checkpoint(TRUNCATE)') or migrate a copy of all its files",
				ErrSource, path, side, path, path)
		}
	}
	u := url.URL{Scheme: "file", Path: abs, RawQuery: "mode=ro&immutable=1&_pragma=query_only(1)"}
	db, err := sql.Open(sqlstore.DriverSQLite, u.String())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSource, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: %v", ErrSource, err)
	}
	return db, nil
}

// migrateWhatsmeow reads a whatsmeow store (opts.From) and writes the
// selected device's records through w.
func migrateWhatsmeow(ctx context.Context, opts Options, w *writer) error {
	src := &whatsmeowSource{}
	var err error
	switch opts.From.Kind {
	case WhatsmeowSQLite:
		src.dialect = sqlstore.SQLite
		src.db, err = openWhatsmeowSQLite(ctx, opts.From.Location)
	case WhatsmeowPostgres:
		src.dialect = sqlstore.Postgres
		src.db, err = sql.Open(sqlstore.DriverPostgres, opts.From.Location)
		if err == nil {
			err = src.db.PingContext(ctx)
		}
		if err != nil {
			err = fmt.Errorf("%w: %v", ErrSource, err)
		}
	}
	if err != nil {
		return err
	}
	defer src.db.Close()
	src.db.SetMaxOpenConns(1)
	// One snapshot of the whole store, and a promise to write nothing
	// (PostgreSQL: BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY).
	iso := sql.LevelRepeatableRead
	if src.dialect == sqlstore.SQLite {
		iso = sql.LevelDefault // a SQLite read transaction is a snapshot
	}
	src.tx, err = src.db.BeginTx(ctx, &sql.TxOptions{Isolation: iso, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("%w: begin: %v", ErrSource, err)
	}
	defer src.tx.Rollback()
	return src.migrate(ctx, opts, w)
}

func (s *whatsmeowSource) migrate(ctx context.Context, opts Options, w *writer) error {
	jid, err := s.selectDevice(ctx, opts.WhatsmeowJID, w)
	if err != nil {
		return err
	}
	id, err := s.device(ctx, jid, w)
	if err != nil {
		return err
	}
	steps := []func(context.Context, string, *curve.IdentityKeyPair, Options, *writer) error{
		s.preKeys, s.peerIdentities, s.sessions, s.senderKeys, s.otherTables,
	}
	for _, step := range steps {
		if err := step(ctx, jid, id, opts, w); err != nil {
			return err
		}
	}
	return nil
}

// selectDevice returns the jid of the device to migrate and reports the
// others.
func (s *whatsmeowSource) selectDevice(ctx context.Context, want string, w *writer) (string, error) {
	rows, err := s.tx.QueryContext(ctx, `SELECT jid FROM whatsmeow_device ORDER BY jid`)
	if err != nil {
		return "", fmt.Errorf("%w: whatsmeow_device: %v (is this a whatsmeow database?)", ErrSource, err)
	}
	var jids []string
	for rows.Next() {
		var j string
		if err := rows.Scan(&j); err != nil {
			rows.Close()
			return "", fmt.Errorf("%w: whatsmeow_device: %v", ErrSource, err)
		}
		jids = append(jids, j)
	}
	if err := closeRows(rows); err != nil {
		return "", fmt.Errorf("%w: whatsmeow_device: %v", ErrSource, err)
	}
	switch {
	case len(jids) == 0:
		return "", fmt.Errorf("%w: whatsmeow_device holds no device (the store was never paired)", ErrSource)
	case want == "" && len(jids) > 1:
		return "", fmt.Errorf("%w: the store holds %d devices; choose one with -whatsmeow-jid: %s",
			ErrUsage, len(jids), strings.Join(jids, ", "))
	case want == "":
		want = jids[0]
	}
	found := false
	for _, j := range jids {
		if j == want {
			found = true
		}
	}
	if !found {
		return "", fmt.Errorf("%w: no device %q in whatsmeow_device; it holds: %s", ErrUsage, want, strings.Join(jids, ", "))
	}
	for _, j := range jids {
		if j != want {
			w.skip(KindDevice, "whatsmeow_device jid="+j, "another device: not selected (-whatsmeow-jid "+want+")")
		}
	}
	return want, nil
}

// device reads the device's identity, registration id and signed prekey,
// and writes them. A device that does not read is an error: without its
// identity nothing else can be used.
func (s *whatsmeowSource) device(ctx context.Context, jid string, w *writer) (*curve.IdentityKeyPair, error) {
	var regID, spkID int64
	var ik, spk, sig []byte
	err := s.tx.QueryRowContext(ctx, `SELECT registration_id, identity_key, signed_pre_key, signed_pre_key_id, signed_pre_key_sig
		FROM whatsmeow_device WHERE jid = `+s.ph(1), jid).Scan(&regID, &ik, &spk, &spkID, &sig)
	if err != nil {
		return nil, fmt.Errorf("%w: whatsmeow_device jid=%s: %v", ErrSource, jid, err)
	}
	defer clear(ik)
	defer clear(spk)
	src := "whatsmeow_device jid=" + jid
	if regID < 0 || regID > 0xffffffff {
		return nil, fmt.Errorf("%w: %s: registration id %d is not 32 bits", ErrSource, src, regID)
	}
	priv, err := curve.NewPrivateKey(ik)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: identity_key: %v", ErrSource, src, err)
	}
	id, err := curve.NewIdentityKeyPair(priv)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: identity_key: %v", ErrSource, src, err)
	}
	var initErr error
	w.put(KindIdentity, src, "local identity",
		fmt.Sprintf("registration id %d, identity key %x", regID, id.PublicKey().Bytes()),
		func(ctx context.Context, st *sqlstore.Store) error {
			initErr = st.Init(ctx, id, uint32(regID))
			return initErr
		})
	if initErr != nil {
		return nil, fmt.Errorf("migrate: %s: %w", src, initErr)
	}

	src = fmt.Sprintf("whatsmeow_device jid=%s signed_pre_key_id=%d", jid, spkID)
	k, err := whatsmeowSignedPreKey(id, spk, spkID, sig)
	if err != nil {
		w.fail(KindSignedPreKey, src, err)
		return id, nil
	}
	w.put(KindSignedPreKey, src, fmt.Sprintf("signed prekey %d", k.ID),
		"whatsmeow keeps no creation time: dated unknown (zero), so prekey.Policy replaces it at the first check",
		func(ctx context.Context, st *sqlstore.Store) error { return st.AddSignedPreKey(ctx, k) })
	return id, nil
}

func whatsmeowSignedPreKey(id *curve.IdentityKeyPair, spk []byte, spkID int64, sig []byte) (*x3dh.SignedPreKey, error) {
	if spkID < 0 || spkID > 0xffffffff {
		return nil, fmt.Errorf("%w: signed_pre_key_id %d is not 32 bits", compat.ErrInvalidRecord, spkID)
	}
	priv, err := curve.NewPrivateKey(spk)
	if err != nil {
		return nil, fmt.Errorf("%w: signed_pre_key: %v", compat.ErrInvalidRecord, err)
	}
	kp := curve.NewKeyPair(priv)
	if len(sig) != curve.SignatureSize || !id.PublicKey().VerifySignature(kp.Public.Bytes(), sig) {
		return nil, fmt.Errorf("%w: signed_pre_key_sig does not verify with the device's identity key", compat.ErrInvalidRecord)
	}
	return &x3dh.SignedPreKey{ID: uint32(spkID), KeyPair: kp, Signature: sig}, nil
}

// preKeys migrates whatsmeow_pre_keys. Keys never marked uploaded are
// imported too: whatsmeow marks a batch after the server took it, so a key
// may be on the server without the mark; a key that is not costs nothing.
func (s *whatsmeowSource) preKeys(ctx context.Context, jid string, _ *curve.IdentityKeyPair, _ Options, w *writer) error {
	rows, err := s.tx.QueryContext(ctx, `SELECT key_id, key, uploaded FROM whatsmeow_pre_keys WHERE jid = `+s.ph(1)+` ORDER BY key_id`, jid)
	if err != nil {
		return fmt.Errorf("%w: whatsmeow_pre_keys: %v", ErrSource, err)
	}
	for rows.Next() {
		var keyID int64
		var key []byte
		var uploaded bool
		if err := rows.Scan(&keyID, &key, &uploaded); err != nil {
			rows.Close()
			return fmt.Errorf("%w: whatsmeow_pre_keys: %v", ErrSource, err)
		}
		src := fmt.Sprintf("whatsmeow_pre_keys key_id=%d", keyID)
		priv, err := curve.NewPrivateKey(key)
		clear(key)
		if err == nil && (keyID < 0 || keyID > 0xffffffff) {
			err = fmt.Errorf("key id %d is not 32 bits", keyID)
		}
		if err != nil {
			w.fail(KindPreKey, src, fmt.Errorf("%w: %v", compat.ErrInvalidRecord, err))
			continue
		}
		k := &x3dh.OneTimePreKey{ID: uint32(keyID), KeyPair: curve.NewKeyPair(priv)}
		note := "uploaded"
		if !uploaded {
			note = "not marked uploaded"
		}
		w.put(KindPreKey, src, fmt.Sprintf("prekey %d", k.ID), note,
			func(ctx context.Context, st *sqlstore.Store) error { return st.AddPreKey(ctx, k) })
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("%w: whatsmeow_pre_keys: %v", ErrSource, err)
	}
	return nil
}

// peerIdentities migrates whatsmeow_identity_keys.
func (s *whatsmeowSource) peerIdentities(ctx context.Context, jid string, _ *curve.IdentityKeyPair, _ Options, w *writer) error {
	rows, err := s.tx.QueryContext(ctx, `SELECT their_id, identity FROM whatsmeow_identity_keys WHERE our_jid = `+s.ph(1)+` ORDER BY their_id`, jid)
	if err != nil {
		return fmt.Errorf("%w: whatsmeow_identity_keys: %v", ErrSource, err)
	}
	for rows.Next() {
		var theirID string
		var raw []byte
		if err := rows.Scan(&theirID, &raw); err != nil {
			rows.Close()
			return fmt.Errorf("%w: whatsmeow_identity_keys: %v", ErrSource, err)
		}
		src := "whatsmeow_identity_keys their_id=" + theirID
		addr, err := ParseWhatsmeowAddress(theirID)
		if err != nil {
			w.fail(KindPeerIdentity, src, err)
			continue
		}
		pub, err := curve.NewPublicKey(raw)
		if err != nil {
			w.fail(KindPeerIdentity, src, fmt.Errorf("%w: identity: %v", compat.ErrInvalidRecord, err))
			continue
		}
		w.put(KindPeerIdentity, src, "identity of "+addr.String(), "",
			func(ctx context.Context, st *sqlstore.Store) error { return st.SaveIdentity(ctx, addr, pub) })
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("%w: whatsmeow_identity_keys: %v", ErrSource, err)
	}
	return nil
}

// sessions migrates whatsmeow_sessions.
func (s *whatsmeowSource) sessions(ctx context.Context, jid string, _ *curve.IdentityKeyPair, opts Options, w *writer) error {
	rows, err := s.tx.QueryContext(ctx, `SELECT their_id, session FROM whatsmeow_sessions WHERE our_jid = `+s.ph(1)+` ORDER BY their_id`, jid)
	if err != nil {
		return fmt.Errorf("%w: whatsmeow_sessions: %v", ErrSource, err)
	}
	for rows.Next() {
		var theirID string
		var raw []byte
		if err := rows.Scan(&theirID, &raw); err != nil {
			rows.Close()
			return fmt.Errorf("%w: whatsmeow_sessions: %v", ErrSource, err)
		}
		src := "whatsmeow_sessions their_id=" + theirID
		addr, err := ParseWhatsmeowAddress(theirID)
		if err != nil {
			w.fail(KindSession, src, err)
			continue
		}
		if len(raw) == 0 {
			w.skip(KindSession, src, "no record (NULL or empty)")
			continue
		}
		rec, err := gomau.ImportSessionRecord(raw, opts.Now)
		clear(raw)
		importSession(w, src, addr, rec, err)
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("%w: whatsmeow_sessions: %v", ErrSource, err)
	}
	return nil
}

// importSession reports and writes one imported session record (or the
// error of its import).
func importSession(w *writer, src string, addr session.Address, rec *session.Record, err error, notes ...string) {
	switch {
	case errors.Is(err, compat.ErrUnsupportedVersion):
		w.skip(KindSession, src, "no peer speaks its session version: "+err.Error())
		return
	case err != nil:
		w.fail(KindSession, src, err)
		return
	case !rec.HasCurrentState() && rec.ArchivedStates() == 0:
		w.skip(KindSession, src, "holds no session state")
		return
	}
	switch n := rec.ArchivedStates(); {
	case !rec.HasCurrentState():
		notes = append(notes, fmt.Sprintf("no current state, %d archived", n))
	case n == 1:
		notes = append(notes, "1 archived state")
	case n > 1:
		notes = append(notes, fmt.Sprintf("%d archived states", n))
	}
	w.put(KindSession, src, "session "+addr.String(), strings.Join(notes, "; "),
		func(ctx context.Context, st *sqlstore.Store) error {
			return st.StoreSession(ctx, addr, rec, session.Consumed{})
		})
}

// senderKeys migrates whatsmeow_sender_keys.
func (s *whatsmeowSource) senderKeys(ctx context.Context, jid string, _ *curve.IdentityKeyPair, _ Options, w *writer) error {
	rows, err := s.tx.QueryContext(ctx, `SELECT chat_id, sender_id, sender_key FROM whatsmeow_sender_keys WHERE our_jid = `+s.ph(1)+` ORDER BY chat_id, sender_id`, jid)
	if err != nil {
		return fmt.Errorf("%w: whatsmeow_sender_keys: %v", ErrSource, err)
	}
	for rows.Next() {
		var chatID, senderID string
		var raw []byte
		if err := rows.Scan(&chatID, &senderID, &raw); err != nil {
			rows.Close()
			return fmt.Errorf("%w: whatsmeow_sender_keys: %v", ErrSource, err)
		}
		src := fmt.Sprintf("whatsmeow_sender_keys chat_id=%s sender_id=%s", chatID, senderID)
		addr, err := ParseWhatsmeowAddress(senderID)
		if err != nil {
			w.fail(KindSenderKey, src, err)
			continue
		}
		rec, err := gomau.ImportSenderKeyRecord(raw)
		clear(raw)
		if err != nil {
			w.fail(KindSenderKey, src, err)
			continue
		}
		importSenderKey(w, src, senderkey.Sender(addr), WhatsmeowDistributionID(chatID), rec)
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("%w: whatsmeow_sender_keys: %v", ErrSource, err)
	}
	return nil
}

func importSenderKey(w *writer, src string, sender senderkey.Sender, dist senderkey.DistributionID, rec *senderkey.Record) {
	if rec.Len() == 0 {
		w.skip(KindSenderKey, src, "holds no sender-key state")
		return
	}
	w.put(KindSenderKey, src, fmt.Sprintf("sender key of %v, distribution id %v", sender, dist), "",
		func(ctx context.Context, st *sqlstore.Store) error { return st.StoreSenderKey(ctx, sender, dist, rec) })
}

// otherTables reports the whatsmeow tables that hold no Signal protocol
// state (app state, contacts, chat settings, message secrets, ...), which
// the migration leaves behind.
func (s *whatsmeowSource) otherTables(ctx context.Context, _ string, _ *curve.IdentityKeyPair, _ Options, w *writer) error {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'whatsmeow\_%' ESCAPE '\' ORDER BY name`
	if s.dialect == sqlstore.Postgres {
		q = `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_name LIKE 'whatsmeow\_%' ESCAPE '\' ORDER BY table_name`
	}
	rows, err := s.tx.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("%w: list tables: %v", ErrSource, err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("%w: list tables: %v", ErrSource, err)
		}
		if !whatsmeowSignalTables[t] {
			tables = append(tables, t)
		}
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("%w: list tables: %v", ErrSource, err)
	}
	for _, t := range tables {
		var n int64
		if err := s.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+strings.ReplaceAll(t, `"`, `""`)+`"`).Scan(&n); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrSource, t, err)
		}
		w.skip(KindOther, "table "+t, fmt.Sprintf("%d rows of WhatsApp state that is not Signal protocol state: not migrated", n))
	}
	return nil
}

func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}
