package sqlstore

import (
	"context"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

// benchPair returns Alice's and Bob's Managers and addresses with a session
// already answered both ways, on the given backend (nil: memstore).
func benchPair(b *testing.B, be *backend, pq bool) (am, bm *session.Manager, aAddr, bAddr session.Address) {
	b.Helper()
	ctx := context.Background()
	aAddr, bAddr = session.Address{Name: "alice", DeviceID: 1}, session.Address{Name: "bob", DeviceID: 1}
	newStores := func(id *curve.IdentityKeyPair, reg uint32) (session.Stores, func(*x3dh.SignedPreKey, *x3dh.KEMPreKey)) {
		var st interface {
			session.AllStores
			session.DeviceStore
		}
		if be == nil {
			st = memstore.New(id, reg)
		} else {
			driver, dsn := be.newDB(b)
			s := openStore(b, driver, dsn)
			if err := s.Init(ctx, id, reg); err != nil {
				b.Fatal(err)
			}
			st = s
		}
		return session.StoresOf(st), func(spk *x3dh.SignedPreKey, kem *x3dh.KEMPreKey) {
			if err := st.AddSignedPreKey(ctx, spk); err != nil {
				b.Fatal(err)
			}
			if kem != nil {
				if err := st.AddLastResortKEMPreKey(ctx, kem); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	aID, _ := curve.GenerateIdentityKeyPair()
	bID, _ := curve.GenerateIdentityKeyPair()
	as, _ := newStores(aID, 1)
	bs, addKeys := newStores(bID, 2)
	spk, err := x3dh.GenerateSignedPreKey(bID, 1)
	if err != nil {
		b.Fatal(err)
	}
	var kem *x3dh.KEMPreKey
	var kemPub *x3dh.KEMPreKeyPublic
	if pq {
		if kem, err = x3dh.GenerateKEMPreKey(bID, 2, x3dh.Kyber1024); err != nil {
			b.Fatal(err)
		}
		p := kem.Public()
		kemPub = &p
	}
	addKeys(spk, kem)
	bundle, err := x3dh.NewBundle(2, 1, bID.PublicKey(), spk.Public(), nil, kemPub)
	if err != nil {
		b.Fatal(err)
	}
	am, bm = session.NewManager(as), session.NewManager(bs)
	if err := am.ProcessBundle(ctx, bAddr, bundle); err != nil {
		b.Fatal(err)
	}
	exchange := func(from, to *session.Manager, toAddr, fromAddr session.Address) {
		m, err := from.Encrypt(ctx, toAddr, []byte("warm up"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := to.Decrypt(ctx, fromAddr, m); err != nil {
			b.Fatal(err)
		}
	}
	exchange(am, bm, bAddr, aAddr)
	exchange(bm, am, aAddr, bAddr)
	return am, bm, aAddr, bAddr
}

// BenchmarkEncryptDecrypt times one message (64 bytes) encrypted by Alice
// and decrypted by Bob in an established session, each side's state loaded
// from and stored to its store: memstore, SQLite (a file, WAL, synchronous
// FULL) and PostgreSQL (loopback). Every fourth message goes the other way,
// so DH ratchet steps are included.
func BenchmarkEncryptDecrypt(b *testing.B) {
	sqlite, pg := sqliteBackend(), postgresBackend()
	for _, c := range []struct {
		name string
		be   *backend
	}{{"memstore", nil}, {"sqlite", &sqlite}, {"postgres", &pg}} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			am, bm, aAddr, bAddr := benchPair(b, c.be, true)
			pt := make([]byte, 64)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				from, to, toAddr, fromAddr := am, bm, bAddr, aAddr
				if i%4 == 3 {
					from, to, toAddr, fromAddr = bm, am, aAddr, bAddr
				}
				m, err := from.Encrypt(ctx, toAddr, pt)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := to.Decrypt(ctx, fromAddr, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
