package recovery_test

import (
	"context"
	"log"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/prekey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

// peer is a device of the tests and examples: its identity, store,
// Manager and the keys its server holds.
type peer struct {
	addr     session.Address
	identity *curve.IdentityKeyPair
	regID    uint32
	store    *memstore.Store
	m        *session.Manager
	server   *prekey.Upload
}

// newPeer makes a device with a signed prekey, a last-resort KEM prekey and
// a few one-time prekeys of both kinds, published on its server.
func newPeer(name string, device uint32, opts ...session.Option) *peer {
	identity, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		log.Fatal(err)
	}
	p := &peer{addr: session.Address{Name: name, DeviceID: device}, identity: identity, regID: prekey.NewRegistrationID()}
	p.store = memstore.New(identity, p.regID)
	p.m = session.NewManager(session.StoresOf(p.store), opts...)
	set, err := prekey.Generate(identity, prekey.IDs{}, prekey.Request{SignedPreKey: true, LastResortKEMPreKey: true, OneTimePreKeys: 5, OneTimeKEMPreKeys: 5})
	if err != nil {
		log.Fatal(err)
	}
	if err := prekey.Store(context.Background(), p.store, set); err != nil {
		log.Fatal(err)
	}
	p.server = set.Public()
	return p
}

// bundle is the bundle p's server hands out now.
func (p *peer) bundle() *x3dh.Bundle {
	b, err := p.server.Take(p.regID, p.addr.DeviceID)
	if err != nil {
		log.Fatal(err)
	}
	return b
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
