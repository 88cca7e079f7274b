package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

func init() {
	for _, v := range []x3dh.Version{x3dh.V3, x3dh.V4} {
		register(&impl{
			name:   "ours-" + map[x3dh.Version]string{x3dh.V3: "v3", x3dh.V4: "v4"}[v],
			stores: []string{"objects", "serialized", "clone"},
			setup:  func(b *testing.B, st string) func() { return oursSetup(b, v, st) },
			pair:   func(b *testing.B, st string) pair { return oursNewPair(b, v, st) },
			fanout: func(b *testing.B, st string, n int) func([]byte, bool) { return oursFanout(b, v, st, n) },
		})
	}
}

// oursStore is the "objects" and "clone" store modes: memstore for
// identities and signed and KEM prekeys, and live *session.Record objects
// for sessions (plus the one-time prekeys, which memstore removes only
// inside its own StoreSession).
//
// With clone set, LoadSession hands out Record.Clone copies: a store that
// is safe whatever the Manager does with the record. Without it,
// LoadSession hands out the stored object itself. That is what a copying
// store gives on the paths benchmarked here, where no operation fails: the
// Manager stores every record it loads and changes, and never touches it
// again. (After a failed decrypt the Manager may have changed the loaded
// record without storing it; such a store would keep those changes.)
type oursStore struct {
	*memstore.Store
	clone   bool
	mu      sync.Mutex
	recs    map[session.Address]*session.Record
	preKeys map[uint32]*x3dh.OneTimePreKey
}

func (s *oursStore) LoadPreKey(_ context.Context, id uint32) (*x3dh.OneTimePreKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.preKeys[id]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("prekey %d: %w", id, session.ErrNotFound)
}

func (s *oursStore) LoadSession(_ context.Context, addr session.Address) (*session.Record, error) {
	s.mu.Lock()
	r := s.recs[addr]
	s.mu.Unlock()
	if r == nil || !s.clone {
		return r, nil
	}
	return r.Clone()
}

func (s *oursStore) StoreSession(_ context.Context, addr session.Address, rec *session.Record, c session.Consumed) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs[addr] = rec
	if c.HasPreKey {
		delete(s.preKeys, c.PreKeyID)
	}
	return nil // every KEM prekey here is a last-resort key
}

func (s *oursStore) DeleteSession(_ context.Context, addr session.Address) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.recs, addr)
	return nil
}

// oursDevice is one device: a Manager over a store of the given mode.
type oursDevice struct {
	id  *curve.IdentityKeyPair
	mem *memstore.Store
	obj *oursStore // nil in serialized mode
	m   *session.Manager
}

func newOursDevice(b *testing.B, regID uint32, store string) *oursDevice {
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	d := &oursDevice{id: id, mem: memstore.New(id, regID)}
	var all session.AllStores = d.mem
	switch store {
	case "serialized":
	case "objects", "clone":
		d.obj = &oursStore{Store: d.mem, clone: store == "clone",
			recs: map[session.Address]*session.Record{}, preKeys: map[uint32]*x3dh.OneTimePreKey{}}
		all = d.obj
	default:
		b.Fatalf("store mode %q", store)
	}
	d.m = session.NewManager(session.StoresOf(all))
	return d
}

func (d *oursDevice) addPreKey(k *x3dh.OneTimePreKey) {
	if d.obj != nil {
		d.obj.mu.Lock()
		d.obj.preKeys[k.ID] = k
		d.obj.mu.Unlock()
		return
	}
	d.mem.AddPreKey(context.Background(), k)
}

// oursBundle gives d a signed prekey, a one-time prekey and, for v4, a
// last-resort Kyber1024 prekey, and returns its bundle and one-time prekey.
func oursBundle(b *testing.B, d *oursDevice, v x3dh.Version) (*x3dh.Bundle, *x3dh.OneTimePreKey) {
	spk, err := x3dh.GenerateSignedPreKey(d.id, 1)
	if err != nil {
		b.Fatal(err)
	}
	opk, err := x3dh.GenerateOneTimePreKey(1)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	d.mem.AddSignedPreKey(ctx, spk)
	d.addPreKey(opk)
	var kemPub *x3dh.KEMPreKeyPublic
	if v == x3dh.V4 {
		kpk, err := x3dh.GenerateKEMPreKey(d.id, 1, x3dh.Kyber1024)
		if err != nil {
			b.Fatal(err)
		}
		d.mem.AddLastResortKEMPreKey(ctx, kpk)
		p := kpk.Public()
		kemPub = &p
	}
	opkPub := opk.Public()
	bundle, err := x3dh.NewBundle(2, 1, d.id.PublicKey(), spk.Public(), &opkPub, kemPub)
	if err != nil {
		b.Fatal(err)
	}
	return bundle, opk
}

var (
	aliceAddr = session.Address{Name: "alice", DeviceID: 1}
	bobAddr   = session.Address{Name: "bob", DeviceID: 1}
)

func oursSetup(b *testing.B, v x3dh.Version, store string) func() {
	ctx := context.Background()
	alice, bob := newOursDevice(b, 1, store), newOursDevice(b, 2, store)
	bundle, opk := oursBundle(b, bob, v)
	pt := message(100)
	return func() {
		bob.addPreKey(opk) // the handshake consumes it
		if err := alice.m.ProcessBundle(ctx, bobAddr, bundle); err != nil {
			b.Fatal(err)
		}
		msg, err := alice.m.Encrypt(ctx, bobAddr, pt)
		if err != nil {
			b.Fatal(err)
		}
		got, err := bob.m.Decrypt(ctx, aliceAddr, msg)
		if err != nil {
			b.Fatal(err)
		}
		checkPlaintext(b, got, pt)
		if err := alice.m.DeleteSession(ctx, bobAddr); err != nil {
			b.Fatal(err)
		}
		if err := bob.m.DeleteSession(ctx, aliceAddr); err != nil {
			b.Fatal(err)
		}
	}
}

type oursPair struct {
	d    [2]*oursDevice
	addr [2]session.Address // addr[i] is party i's address
}

func oursNewPair(b *testing.B, v x3dh.Version, store string) *oursPair {
	p := &oursPair{
		d:    [2]*oursDevice{newOursDevice(b, 1, store), newOursDevice(b, 2, store)},
		addr: [2]session.Address{aliceAddr, bobAddr},
	}
	bundle, _ := oursBundle(b, p.d[1], v)
	if err := p.d[0].m.ProcessBundle(context.Background(), bobAddr, bundle); err != nil {
		b.Fatal(err)
	}
	pt := message(100)
	p.send(b, 0, pt)
	p.send(b, 1, pt) // Alice hears from Bob: the session is acknowledged
	return p
}

func (p *oursPair) encrypt(b *testing.B, from int, pt []byte) session.Message {
	msg, err := p.d[from].m.Encrypt(context.Background(), p.addr[1-from], pt)
	if err != nil {
		b.Fatal(err)
	}
	return msg
}

func (p *oursPair) send(b *testing.B, from int, pt []byte) {
	msg := p.encrypt(b, from, pt)
	got, err := p.d[1-from].m.Decrypt(context.Background(), p.addr[from], msg)
	if err != nil {
		b.Fatal(err)
	}
	checkPlaintext(b, got, pt)
}

func (p *oursPair) drop(b *testing.B, from int, pt []byte) { p.encrypt(b, from, pt) }

func (p *oursPair) record(b *testing.B, party int) (func(), int) {
	d := p.d[party]
	var rec *session.Record
	var err error
	if d.obj != nil {
		rec, err = d.obj.LoadSession(context.Background(), p.addr[1-party])
	} else {
		rec, err = d.mem.LoadSession(context.Background(), p.addr[1-party])
	}
	if err != nil || rec == nil {
		b.Fatal("no record", err)
	}
	enc, err := rec.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	return func() {
		enc, err := rec.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := session.ParseRecord(enc); err != nil {
			b.Fatal(err)
		}
	}, len(enc)
}

// oursFanout: Alice has acknowledged sessions with n recipients, all served
// by one responder device that knows Alice under n addresses. The fan-out is
// the Manager's own EncryptMany, with one worker (seq) or GOMAXPROCS (par).
func oursFanout(b *testing.B, v x3dh.Version, store string, n int) func([]byte, bool) {
	ctx := context.Background()
	alice, bob := newOursDevice(b, 1, store), newOursDevice(b, 2, store)
	bundle, opk := oursBundle(b, bob, v)
	to := make([]session.Address, n)
	pt := message(100)
	for i := range to {
		to[i] = session.Address{Name: fmt.Sprintf("bob-%d", i), DeviceID: 1}
		from := session.Address{Name: fmt.Sprintf("alice-%d", i), DeviceID: 1}
		bob.addPreKey(opk)
		p := &oursPair{d: [2]*oursDevice{alice, bob}, addr: [2]session.Address{from, to[i]}}
		if err := alice.m.ProcessBundle(ctx, to[i], bundle); err != nil {
			b.Fatal(err)
		}
		p.send(b, 0, pt)
		p.send(b, 1, pt)
	}
	return func(pt []byte, parallel bool) {
		workers := 1 // FanOutWorkers(0) means GOMAXPROCS
		if parallel {
			workers = 0
		}
		if _, err := alice.m.EncryptMany(ctx, to, pt, session.FanOutWorkers(workers)); err != nil {
			b.Fatal(err)
		}
	}
}
