package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/sqlcount"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

// openCountedStore opens a fresh database of be through internal/sqlcount
// with Open's settings (SQLite: busy timeout, WAL) and returns the Store
// over it and the Counter.
func openCountedStore(t testing.TB, be backend) (*Store, *sqlcount.Counter) {
	t.Helper()
	driver, dsn := be.newDB(t)
	d, err := DialectOf(driver)
	if err != nil {
		t.Fatal(err)
	}
	if d == SQLite {
		dsn += "?_pragma=busy_timeout(" + strconv.Itoa(SQLiteBusyTimeoutMillis) + ")"
	}
	db, c, err := sqlcount.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if d == SQLite {
		if err := setWAL(context.Background(), db); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(context.Background(), db, d)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// countedPeer is a device on a counted database and a peer in memory with a
// session to it.
type countedPeer struct {
	st         *Store
	cnt        *sqlcount.Counter
	m, peer    *session.Manager
	self, addr session.Address // the device as the peer names it; the peer
	bundle     *x3dh.Bundle
}

func newCountedPeer(t testing.TB, be backend, v x3dh.Version, answered bool) *countedPeer {
	t.Helper()
	ctx := context.Background()
	st, cnt := openCountedStore(t, be)
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Init(ctx, id, 7); err != nil {
		t.Fatal(err)
	}
	spk, err := x3dh.GenerateSignedPreKey(id, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddSignedPreKey(ctx, spk); err != nil {
		t.Fatal(err)
	}
	opk, err := x3dh.GenerateOneTimePreKey(5)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddPreKey(ctx, opk); err != nil {
		t.Fatal(err)
	}
	opub := opk.Public()
	var kemPub *x3dh.KEMPreKeyPublic
	if v == x3dh.V4 {
		kem, err := x3dh.GenerateKEMPreKey(id, 2, x3dh.Kyber1024)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddKEMPreKey(ctx, kem); err != nil {
			t.Fatal(err)
		}
		p := kem.Public()
		kemPub = &p
	}
	bundle, err := x3dh.NewBundle(7, 1, id.PublicKey(), spk.Public(), &opub, kemPub)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	p := &countedPeer{st: st, cnt: cnt, m: session.NewManager(session.StoresOf(st)),
		peer: session.NewManager(session.StoresOf(memstore.New(pid, 9))),
		self: session.Address{Name: "device", DeviceID: 1}, addr: session.Address{Name: "peer", DeviceID: 3}, bundle: bundle}
	if err := p.peer.ProcessBundle(ctx, p.self, bundle); err != nil {
		t.Fatal(err)
	}
	if answered {
		p.decrypt(t, p.send(t))
		reply, err := p.m.Encrypt(ctx, p.addr, []byte("reply"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.peer.Decrypt(ctx, p.self, reply); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func (p *countedPeer) send(t testing.TB) session.Message {
	t.Helper()
	m, err := p.peer.Encrypt(context.Background(), p.self, []byte("message"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (p *countedPeer) decrypt(t testing.TB, m session.Message) {
	t.Helper()
	if pt, err := p.m.Decrypt(context.Background(), p.addr, m); err != nil || string(pt) != "message" {
		t.Fatalf("decrypt: %q, %v", pt, err)
	}
}

// TestStatementsPerOperation pins the statements a Manager's operations
// send to the database, counted by a driver wrapper (internal/sqlcount): a
// change that adds one fails here. The floor of a decrypt or an encrypt is
// one transaction that reads one row and writes one row: BEGIN, SELECT,
// INSERT/UPDATE, COMMIT. SQLite matches it inside the transaction (plus,
// for a decrypt, the snapshot read before it, which waits for no lock);
// PostgreSQL sends the row lock of the address with the BEGIN. (The
// counts are calls into the driver: round trips.)
func TestStatementsPerOperation(t *testing.T) {
	type counts struct{ decrypt, encrypt, preKey, batch int64 }
	want := map[string]counts{
		// decrypt: SELECT record (snapshot, no lock); BEGIN IMMEDIATE;
		// SELECT record and identity; INSERT record; COMMIT.
		// encrypt: BEGIN IMMEDIATE; SELECT record and identity; INSERT
		// record; COMMIT.
		// PreKey message of a new session (v3; v4 adds the KEM
		// prekey's read, kind check and delete): the decrypt's, plus
		// the trust check on the snapshot, the signed and one-time
		// prekey reads, the identity's insert and the prekey's
		// delete.
		"sqlite": {decrypt: 5, encrypt: 4, preKey: 10, batch: 5},
		// decrypt and encrypt: BEGIN with the address's row lock (one
		// query: "BEGIN ...; INSERT INTO address_locks ..."); SELECT
		// record and identity; INSERT record; COMMIT: the floor's
		// round trips.
		// PreKey message: as SQLite's, without the snapshot read and
		// its trust check.
		"postgres": {decrypt: 4, encrypt: 4, preKey: 8, batch: 4},
	}
	forEachBackend(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		w := want[be.name]
		for _, v := range []x3dh.Version{x3dh.V3, x3dh.V4} {
			p := newCountedPeer(t, be, v, false)
			first := p.send(t)
			count := func(what string, want int64, f func()) {
				t.Helper()
				before := p.cnt.Counts()
				p.cnt.Log(true)
				f()
				log := p.cnt.Log(false)
				if got := p.cnt.Counts().Sub(before); got.Statements != want {
					t.Errorf("v%d %s: %d statements, want %d:\n\t%s", v, what, got.Statements, want, strings.Join(log, "\n\t"))
				}
			}
			if _, err := p.st.IdentityKeyPair(ctx); err != nil { // read once per Store
				t.Fatal(err)
			}
			preKey := w.preKey
			if v == x3dh.V4 {
				preKey += 3
			}
			count("PreKey message", preKey, func() { p.decrypt(t, first) })
			count("encrypt", w.encrypt, func() {
				reply, err := p.m.Encrypt(ctx, p.addr, []byte("reply"))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := p.peer.Decrypt(ctx, p.self, reply); err != nil {
					t.Fatal(err)
				}
			})
			m := p.send(t)
			count("decrypt", w.decrypt, func() { p.decrypt(t, m) })
			msgs := []session.Message{p.send(t), p.send(t), p.send(t)}
			count("batch of 3", w.batch, func() {
				n, err := p.m.DecryptBatch(ctx, p.addr, msgs, func(int, []byte) error { return nil })
				if n != len(msgs) || err != nil {
					t.Fatalf("DecryptBatch: %d, %v", n, err)
				}
			})
		}
	})
}
