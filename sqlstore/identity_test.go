package sqlstore

import (
	"context"
	"sync"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/prekey"
)

// TestLoadOrCreateIdentity: the first call on an empty database makes an
// identity and a registration id, every later one (also from another
// handle, and from several handles at once on a new database) returns the
// same, and an identity stored with Init is returned as it is.
func TestLoadOrCreateIdentity(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		driver, dsn := be.newDB(t)
		st := openStore(t, driver, dsn)
		if ok, err := st.HasIdentity(ctx); ok || err != nil {
			t.Fatalf("HasIdentity of a new database = %v, %v", ok, err)
		}
		id, reg, err := st.LoadOrCreateIdentity(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if id == nil || reg < 1 || reg > prekey.MaxRegistrationID {
			t.Fatalf("LoadOrCreateIdentity = %v, %d", id, reg)
		}
		same := func(st *Store, when string) {
			t.Helper()
			got, gotReg, err := st.LoadOrCreateIdentity(ctx)
			if err != nil || !got.PublicKey().Equal(id.PublicKey()) || gotReg != reg {
				t.Fatalf("LoadOrCreateIdentity %s = %d, %v: not the first identity", when, gotReg, err)
			}
			kp, err := st.IdentityKeyPair(ctx)
			if err != nil || !kp.PublicKey().Equal(id.PublicKey()) {
				t.Fatalf("IdentityKeyPair %s: %v", when, err)
			}
			if r, err := st.LocalRegistrationID(ctx); err != nil || r != reg {
				t.Fatalf("LocalRegistrationID %s = %d, %v; want %d", when, r, err, reg)
			}
		}
		same(st, "again")
		same(openStore(t, driver, dsn), "from another handle")

		// Several handles on one new database at once: one identity.
		driver, dsn = be.newDB(t)
		stores := make([]*Store, 4)
		for i := range stores {
			stores[i] = openStore(t, driver, dsn)
		}
		ids := make([]*curve.IdentityKeyPair, len(stores))
		regs := make([]uint32, len(stores))
		errs := make([]error, len(stores))
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() { ids[i], regs[i], errs[i] = s.LoadOrCreateIdentity(ctx) })
		}
		wg.Wait()
		for i := range stores {
			if errs[i] != nil {
				t.Fatalf("handle %d: %v", i, errs[i])
			}
			if !ids[i].PublicKey().Equal(ids[0].PublicKey()) || regs[i] != regs[0] {
				t.Fatalf("handles 0 and %d started on one database with different identities", i)
			}
		}

		// An identity from Init is kept.
		driver, dsn = be.newDB(t)
		st = openStore(t, driver, dsn)
		if id, err = curve.GenerateIdentityKeyPair(); err != nil {
			t.Fatal(err)
		}
		reg = 4242
		if err := st.Init(ctx, id, reg); err != nil {
			t.Fatal(err)
		}
		same(openStore(t, driver, dsn), "after Init")
	})
}
