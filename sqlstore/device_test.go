package sqlstore

// Devices for the sqlstore-specific tests (atomicity, processes, locks):
// each with its own database of a backend.

import (
	"context"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

type device struct {
	name   string
	id     *curve.IdentityKeyPair
	store  *Store
	m      *session.Manager
	spk    *x3dh.SignedPreKey
	kem    *x3dh.KEMPreKey
	next   uint32
	driver string
	dsn    string
}

// newDevice makes a device with a fresh database of backend b: a signed
// prekey (id 7) and a last-resort Kyber prekey (id 9).
func newDevice(t testing.TB, b backend, name string, opts ...session.Option) *device {
	t.Helper()
	ctx := context.Background()
	driver, dsn := b.newDB(t)
	st := openStore(t, driver, dsn)
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Init(ctx, id, 1000+uint32(len(name))); err != nil {
		t.Fatal(err)
	}
	spk, err := x3dh.GenerateSignedPreKey(id, 7)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddSignedPreKey(ctx, spk); err != nil {
		t.Fatal(err)
	}
	kem, err := x3dh.GenerateKEMPreKey(id, 9, x3dh.Kyber1024)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddLastResortKEMPreKey(ctx, kem); err != nil {
		t.Fatal(err)
	}
	return &device{name: name, id: id, store: st, m: session.NewManager(session.StoresOf(st), opts...),
		spk: spk, kem: kem, next: 100, driver: driver, dsn: dsn}
}

// reopen gives d a second handle on its database (another *sql.DB), as a
// second process of the same device would have.
func (d *device) reopen(t testing.TB, opts ...session.Option) *device {
	t.Helper()
	st := openStore(t, d.driver, d.dsn)
	c := *d
	c.store, c.m = st, session.NewManager(session.StoresOf(st), opts...)
	return &c
}

func (d *device) addr() session.Address { return session.Address{Name: d.name, DeviceID: 1} }

// bundle publishes a bundle; oneTime adds a fresh one-time prekey, pq the
// KEM prekey (the last-resort one, or a fresh one-time one if kemOneTime).
func (d *device) bundle(t testing.TB, oneTime, pq bool, kemOneTime ...bool) *x3dh.Bundle {
	t.Helper()
	ctx := context.Background()
	var otp *x3dh.OneTimePreKeyPublic
	if oneTime {
		d.next++
		k, err := x3dh.GenerateOneTimePreKey(d.next)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.store.AddPreKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		p := k.Public()
		otp = &p
	}
	var kp *x3dh.KEMPreKeyPublic
	if pq {
		k := d.kem
		if len(kemOneTime) > 0 && kemOneTime[0] {
			d.next++
			var err error
			if k, err = x3dh.GenerateKEMPreKey(d.id, d.next, x3dh.Kyber1024); err != nil {
				t.Fatal(err)
			}
			if err := d.store.AddKEMPreKey(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		p := k.Public()
		kp = &p
	}
	regID, err := d.store.LocalRegistrationID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := x3dh.NewBundle(regID, 1, d.id.PublicKey(), d.spk.Public(), otp, kp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (d *device) sessionBytes(t testing.TB, addr session.Address) []byte {
	t.Helper()
	b, err := d.store.SessionBytes(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (d *device) hasPreKey(t testing.TB, id uint32) bool {
	t.Helper()
	ok, err := d.store.HasPreKey(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func send(t testing.TB, from, to *device, text string) session.Message {
	t.Helper()
	msg, err := from.m.Encrypt(context.Background(), to.addr(), []byte(text))
	if err != nil {
		t.Fatalf("%s encrypt: %v", from.name, err)
	}
	return msg
}

func recv(t testing.TB, to, from *device, msg session.Message, want string) {
	t.Helper()
	pt, err := to.m.Decrypt(context.Background(), from.addr(), msg)
	if err != nil {
		t.Fatalf("%s decrypt %q (%v): %v", to.name, want, msg.Type, err)
	}
	if string(pt) != want {
		t.Fatalf("%s got %q, want %q", to.name, pt, want)
	}
}
