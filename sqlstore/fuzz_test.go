package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

// fuzzSeeds returns real stored values: a (v3) session record, a sender-key
// record, a Curve25519 private key and a KEM private key.
func fuzzSeeds(t testing.TB) [][]byte {
	ctx := context.Background()
	aID, _ := curve.GenerateIdentityKeyPair()
	bID, _ := curve.GenerateIdentityKeyPair()
	a, b := memstore.New(aID, 1), memstore.New(bID, 2)
	spk, _ := x3dh.GenerateSignedPreKey(bID, 1)
	kem, _ := x3dh.GenerateKEMPreKey(bID, 2, x3dh.Kyber1024)
	if err := b.AddSignedPreKey(ctx, spk); err != nil {
		t.Fatal(err)
	}
	if err := b.AddLastResortKEMPreKey(ctx, kem); err != nil {
		t.Fatal(err)
	}
	// A v3 session: v4 records (about 15 KB with the post-quantum state)
	// slow the fuzzer down a hundredfold; session's own FuzzParseRecord
	// covers them.
	bundle, err := x3dh.NewBundle(2, 1, bID.PublicKey(), spk.Public(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	bAddr := session.Address{Name: "b", DeviceID: 1}
	am := session.NewManager(session.StoresOf(a))
	if err := am.ProcessBundle(ctx, bAddr, bundle); err != nil {
		t.Fatal(err)
	}
	if _, err := am.Encrypt(ctx, bAddr, []byte("x")); err != nil {
		t.Fatal(err)
	}
	sk := new(senderkey.MemoryStore)
	c := senderkey.NewCipher(sk)
	sender := senderkey.Sender{Name: "a", DeviceID: 1}
	if _, err := c.CreateDistributionMessage(ctx, sender, senderkey.DistributionID{}); err != nil {
		t.Fatal(err)
	}
	r, _ := sk.LoadSenderKey(ctx, sender, senderkey.DistributionID{})
	skb, _ := r.MarshalBinary()
	return [][]byte{a.SessionBytes(bAddr), skb, spk.KeyPair.Private.Bytes(), kem.KeyPair.Private.Bytes()}
}

// TestWriteFuzzCorpus writes the seed corpus of FuzzStoredRows when
// SQLSTORE_WRITE_CORPUS=1 (run once; the files are committed).
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("SQLSTORE_WRITE_CORPUS") != "1" {
		t.Skip("set SQLSTORE_WRITE_CORPUS=1 to rewrite testdata/fuzz/FuzzStoredRows")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzStoredRows")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range fuzzSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzStoredRows decodes arbitrary bytes as every kind of stored value
// (session and sender-key records, identity and prekey private keys, a peer
// identity): each decoder succeeds or fails with ErrInvalidData, never
// panics. (TestCorruptRows runs the same values through a real database;
// the fuzzer calls the decoders directly because the SQLite driver's size
// makes each database round trip cost a fuzzer too much coverage work.)
func FuzzStoredRows(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		check := func(what string, err error) {
			if err != nil && !errors.Is(err, ErrInvalidData) {
				t.Fatalf("%s: %v, want nil or ErrInvalidData", what, err)
			}
		}
		_, err := decodeIdentity(b)
		check("identity", err)
		_, err = decodePeerIdentity(b)
		check("peer identity", err)
		_, err = decodePreKey(1, b)
		check("prekey", err)
		_, err = decodeSignedPreKey(1, b, 0, nil)
		check("signed prekey", err)
		_, err = decodeKEMPreKey(1, b, 0, nil)
		check("KEM prekey", err)
		if rec, err := decodeSession(b); err == nil {
			if _, err := rec.MarshalBinary(); err != nil {
				t.Fatalf("a decoded session record does not encode: %v", err)
			}
		} else {
			check("session", err)
		}
		_, err = decodeSenderKey(b)
		check("sender key", err)
	})
}

// TestCorruptRows stores the fuzz seeds and some malformed values in every
// value column of a database and loads them: each load succeeds or fails
// with ErrInvalidData.
func TestCorruptRows(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		driver, dsn := be.newDB(t)
		s := openStore(t, driver, dsn)
		addr := session.Address{Name: "p", DeviceID: 1}
		sender := senderkey.Sender{Name: "p", DeviceID: 1}
		values := append(fuzzSeeds(t), []byte{}, []byte{0}, []byte{0x05, 1, 2}, make([]byte, 33))
		for i, b := range values {
			err := s.InTx(ctx, func(ctx context.Context) error { return fuzzRows(ctx, s, s.q(ctx), b) })
			if err != nil {
				t.Fatal(err)
			}
			s.idMu.Lock()
			s.identity = nil // reload from the row
			s.idMu.Unlock()
			check := func(what string, err error) {
				if err != nil && !errors.Is(err, ErrInvalidData) {
					t.Fatalf("value %d, %s: %v, want nil or ErrInvalidData", i, what, err)
				}
			}
			_, err = s.IdentityKeyPair(ctx)
			check("identity", err)
			_, err = s.LoadPreKey(ctx, 1)
			check("prekey", err)
			_, err = s.LoadSignedPreKey(ctx, 1)
			check("signed prekey", err)
			_, err = s.LoadKEMPreKey(ctx, 1)
			check("KEM prekey", err)
			_, err = s.LoadSession(ctx, addr)
			check("session", err)
			_, err = s.LoadSenderKey(ctx, sender, senderkey.DistributionID{})
			check("sender key", err)
			_, _, err = s.Identity(ctx, addr)
			check("peer identity", err)
		}
	})
}

// fuzzRows replaces every row of the value tables by one holding b.
func fuzzRows(ctx context.Context, s *Store, q querier, b []byte) error {
	for _, stmt := range []string{
		`DELETE FROM local_identity`, `DELETE FROM prekeys`, `DELETE FROM signed_prekeys`,
		`DELETE FROM kem_prekeys`, `DELETE FROM sessions`, `DELETE FROM sender_keys`, `DELETE FROM identities`,
	} {
		if _, err := q.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	for _, stmt := range []string{
		`INSERT INTO local_identity (id, private_key, registration_id) VALUES (1, ?, 1)`,
		`INSERT INTO prekeys (id, private_key) VALUES (1, ?)`,
		`INSERT INTO signed_prekeys (id, private_key, timestamp_ms, signature) VALUES (1, ?, 0, ?)`,
		`INSERT INTO kem_prekeys (id, private_key, timestamp_ms, signature, last_resort) VALUES (1, ?, 0, ?, 1)`,
		`INSERT INTO sessions (name, device_id, record) VALUES ('p', 1, ?)`,
		`INSERT INTO sender_keys (sender_name, sender_device_id, distribution_id, record) VALUES ('p', 1, ?, ?)`,
		`INSERT INTO identities (name, device_id, public_key) VALUES ('p', 1, ?)`,
	} {
		args := []any{b}
		switch {
		case strings.Contains(stmt, "signature"):
			args = append(args, []byte{0})
		case strings.Contains(stmt, "sender_keys"):
			args = []any{make([]byte, 16), b}
		}
		if _, err := q.ExecContext(ctx, s.sql(stmt), args...); err != nil {
			return err
		}
	}
	return nil
}
