package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// TestSchemaVersion: the migrations are numbered 1, 2, ... in order, and
// SchemaVersion is the last one's.
func TestSchemaVersion(t *testing.T) {
	for i, m := range migrations {
		if m.version != i+1 {
			t.Fatalf("migration %d has version %d, want %d", i, m.version, i+1)
		}
		if len(m.sqlite) == 0 || len(m.postgres) == 0 {
			t.Fatalf("migration %d lacks the statements of a dialect", m.version)
		}
	}
	if last := migrations[len(migrations)-1].version; SchemaVersion != last {
		t.Fatalf("SchemaVersion = %d, but the last migration is %d", SchemaVersion, last)
	}
}

// TestMigrations: a new database is migrated to SchemaVersion; opening it
// again (also by several handles at once) changes nothing; a database from
// a newer package is refused.
func TestMigrations(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		driver, dsn := be.newDB(t)
		var wg sync.WaitGroup
		stores := make([]*Store, 4)
		errs := make([]error, len(stores))
		for i := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				stores[i], errs[i] = Open(ctx, driver, dsn)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("concurrent open %d: %v", i, err)
			}
			defer stores[i].Close()
		}
		s := stores[0]
		if v, err := s.Version(ctx); err != nil || v != SchemaVersion {
			t.Fatalf("version %d (%v), want %d", v, err, SchemaVersion)
		}
		var rows int
		if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_version`).Scan(&rows); err != nil || rows != len(migrations) {
			t.Fatalf("%d schema_version rows (%v), want %d", rows, err, len(migrations))
		}
		if _, err := s.DB().ExecContext(ctx, s.sql(`INSERT INTO schema_version (version) VALUES (?)`), SchemaVersion+1); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(ctx, driver, dsn); !errors.Is(err, ErrSchemaTooNew) {
			t.Fatalf("open of a newer schema: %v, want ErrSchemaTooNew", err)
		}
	})
}

// TestMigrationFromVersion1: a database at version 1 (no sender_keys, no
// sender_key_locks) is brought to the current version, keeping its data.
func TestMigrationFromVersion1(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		driver, dsn := be.newDB(t)
		s := openStore(t, driver, dsn)
		id, _ := curve.GenerateIdentityKeyPair()
		if err := s.Init(ctx, id, 5); err != nil {
			t.Fatal(err)
		}
		// Roll the schema back to version 1.
		for _, q := range []string{`DROP TABLE sender_keys`, `DROP TABLE sender_key_locks`, `DELETE FROM schema_version WHERE version > 1`} {
			if _, err := s.DB().ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		s2 := openStore(t, driver, dsn)
		if v, err := s2.Version(ctx); err != nil || v != SchemaVersion {
			t.Fatalf("version %d (%v)", v, err)
		}
		got, err := s2.IdentityKeyPair(ctx)
		if err != nil || !got.PublicKey().Equal(id.PublicKey()) {
			t.Fatalf("identity after migration: %v", err)
		}
		if err := s2.StoreSenderKey(ctx, senderkey.Sender{Name: "a", DeviceID: 1}, senderkey.DistributionID{1}, new(senderkey.Record)); err != nil {
			t.Fatalf("sender_keys after migration: %v", err)
		}
	})
}

func TestInitAndPreKeyRoundTrips(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		driver, dsn := be.newDB(t)
		s := openStore(t, driver, dsn)
		if _, err := s.IdentityKeyPair(ctx); !errors.Is(err, ErrNoIdentity) {
			t.Fatalf("before Init: %v", err)
		}
		if ok, err := s.HasIdentity(ctx); ok || err != nil {
			t.Fatalf("HasIdentity before Init: %v %v", ok, err)
		}
		id, _ := curve.GenerateIdentityKeyPair()
		if err := s.Init(ctx, id, 4242); err != nil {
			t.Fatal(err)
		}
		if err := s.Init(ctx, id, 4242); err != nil {
			t.Fatalf("repeated Init: %v", err)
		}
		other, _ := curve.GenerateIdentityKeyPair()
		if err := s.Init(ctx, other, 4242); !errors.Is(err, ErrIdentityExists) {
			t.Fatalf("Init with another identity: %v", err)
		}
		if err := s.Init(ctx, id, 1); !errors.Is(err, ErrIdentityExists) {
			t.Fatalf("Init with another registration id: %v", err)
		}
		s2 := openStore(t, driver, dsn)
		got, err := s2.IdentityKeyPair(ctx)
		if err != nil || !bytes.Equal(got.PrivateKey().Bytes(), id.PrivateKey().Bytes()) {
			t.Fatalf("identity round trip: %v", err)
		}
		if reg, err := s2.LocalRegistrationID(ctx); err != nil || reg != 4242 {
			t.Fatalf("registration id %d, %v", reg, err)
		}

		otk, _ := x3dh.GenerateOneTimePreKey(0xfffffffe)
		spk, _ := x3dh.GenerateSignedPreKey(id, 0xffffffff)
		kem, _ := x3dh.GenerateKEMPreKey(id, 3, x3dh.Kyber1024)
		for _, err := range []error{s.AddPreKey(ctx, otk), s.AddSignedPreKey(ctx, spk), s.AddKEMPreKey(ctx, kem)} {
			if err != nil {
				t.Fatal(err)
			}
		}
		gotOTK, err := s2.LoadPreKey(ctx, otk.ID)
		if err != nil || gotOTK.ID != otk.ID || !gotOTK.KeyPair.Public.Equal(otk.KeyPair.Public) {
			t.Fatalf("one-time prekey round trip: %v", err)
		}
		gotSPK, err := s2.LoadSignedPreKey(ctx, spk.ID)
		if err != nil || !gotSPK.KeyPair.Public.Equal(spk.KeyPair.Public) || !bytes.Equal(gotSPK.Signature, spk.Signature) ||
			gotSPK.Timestamp.UnixMilli() != spk.Timestamp.UnixMilli() {
			t.Fatalf("signed prekey round trip: %v", err)
		}
		gotKEM, err := s2.LoadKEMPreKey(ctx, kem.ID)
		if err != nil || !bytes.Equal(gotKEM.KeyPair.Public.Bytes(), kem.KeyPair.Public.Bytes()) || !bytes.Equal(gotKEM.Signature, kem.Signature) ||
			gotKEM.Timestamp.UnixMilli() != kem.Timestamp.UnixMilli() {
			t.Fatalf("KEM prekey round trip: %v", err)
		}
		if o, k, err := s2.PreKeyCount(ctx); o != 1 || k != 1 || err != nil {
			t.Fatalf("PreKeyCount = %d, %d, %v", o, k, err)
		}
		if err := s.RemoveSignedPreKey(ctx, spk.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveKEMPreKey(ctx, kem.ID); err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{
			func() error { _, err := s2.LoadSignedPreKey(ctx, spk.ID); return err }(),
			func() error { _, err := s2.LoadKEMPreKey(ctx, kem.ID); return err }(),
			func() error { _, err := s2.LoadPreKey(ctx, 12345); return err }(),
		} {
			if !errors.Is(err, session.ErrNotFound) {
				t.Fatalf("missing key: %v, want ErrNotFound", err)
			}
		}
		// Corrupt data is an error, not a panic.
		if _, err := s.DB().ExecContext(ctx, s.sql(`UPDATE prekeys SET private_key = ? WHERE id = ?`), []byte{1, 2, 3}, int64(otk.ID)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.LoadPreKey(ctx, otk.ID); !errors.Is(err, ErrInvalidData) {
			t.Fatalf("corrupt prekey: %v, want ErrInvalidData", err)
		}
		addr := session.Address{Name: "x", DeviceID: 2}
		if _, err := s.DB().ExecContext(ctx, s.sql(`INSERT INTO sessions (name, device_id, record) VALUES (?, ?, ?)`), addr.Name, 2, []byte{0xff, 0xff}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.LoadSession(ctx, addr); !errors.Is(err, ErrInvalidData) {
			t.Fatalf("corrupt session: %v, want ErrInvalidData", err)
		}
	})
}

// TestSenderKeys runs a group conversation with senderkey.Ciphers whose
// stores are sqlstore, restarting the receiver from its database.
func TestSenderKeys(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		group := senderkey.DistributionID{0x1e, 0x5d, 0x0c, 0x57}
		alice := senderkey.Sender{Name: "alice", DeviceID: 1}
		ad, adsn := be.newDB(t)
		bd, bdsn := be.newDB(t)
		as, bs := openStore(t, ad, adsn), openStore(t, bd, bdsn)
		sender, receiver := senderkey.NewCipher(as), senderkey.NewCipher(bs)
		dm, err := sender.CreateDistributionMessage(ctx, alice, group)
		if err != nil {
			t.Fatal(err)
		}
		if err := receiver.ProcessDistributionMessage(ctx, alice, dm); err != nil {
			t.Fatal(err)
		}
		var cts [][]byte
		for i := range 20 {
			ct, err := sender.Encrypt(ctx, alice, group, []byte{byte(i)})
			if err != nil {
				t.Fatal(err)
			}
			cts = append(cts, ct)
		}
		// Restart the receiver, then deliver in reverse.
		bs2 := openStore(t, bd, bdsn)
		receiver = senderkey.NewCipher(bs2)
		for i := len(cts) - 1; i >= 0; i-- {
			pt, err := receiver.Decrypt(ctx, alice, cts[i])
			if err != nil || len(pt) != 1 || pt[0] != byte(i) {
				t.Fatalf("message %d: %x, %v", i, pt, err)
			}
		}
		if _, err := receiver.Decrypt(ctx, alice, cts[3]); err == nil {
			t.Fatal("duplicate group message accepted")
		}
		if err := bs2.DeleteSenderKey(ctx, alice, group); err != nil {
			t.Fatal(err)
		}
		if r, err := bs2.LoadSenderKey(ctx, alice, group); r != nil || err != nil {
			t.Fatalf("after delete: %v, %v", r, err)
		}
	})
}

// TestLockAddressBlocksOtherHandle: while one handle holds the lock of an
// address, another handle's operation on it waits until the commit.
func TestLockAddressBlocksOtherHandle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		d := newDevice(t, be, "hub")
		other := d.reopen(t)
		addr := session.Address{Name: "peer", DeviceID: 1}
		lctx, unlock, err := d.store.LockAddress(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		k, _ := curve.GenerateKeyPair()
		if err := d.store.SaveIdentity(lctx, addr, k.Public); err != nil {
			t.Fatal(err)
		}
		got := make(chan time.Time, 1)
		go func() {
			octx, ounlock, err := other.store.LockAddress(ctx, addr)
			if err != nil {
				t.Error(err)
				got <- time.Time{}
				return
			}
			_, ok, _ := other.store.Identity(octx, addr)
			if !ok {
				t.Error("the second handle does not see the committed identity")
			}
			ounlock(true)
			got <- time.Now()
		}()
		time.Sleep(300 * time.Millisecond)
		released := time.Now()
		if err := unlock(true); err != nil {
			t.Fatal(err)
		}
		if at := <-got; at.Before(released) {
			t.Fatal("the second handle got the lock while the first held it")
		}
	})
}
