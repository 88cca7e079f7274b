package senderkey_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/prekey"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

// Alice runs a group with Bob and Carol. She creates a sender key under a
// new distribution id and sends its distribution message to each member
// over their 1:1 sessions; then one ciphertext reaches them all. When Carol
// leaves, Alice starts a new distribution (a new id, so a new chain) and
// sends it to the members who remain: Carol cannot read what follows.
func Example_group() {
	ctx := context.Background()
	alice, bob, carol := newMember("alice"), newMember("bob"), newMember("carol")
	self := senderkey.Sender(alice.addr) // a Sender has an Address's fields

	// Alice's sender key for the group.
	group := senderkey.NewDistributionID()
	dm, err := alice.group.CreateDistributionMessage(ctx, self, group)
	if err != nil {
		log.Fatal(err)
	}

	// Its distribution message travels over the 1:1 sessions.
	for _, to := range []*member{bob, carol} {
		if err := alice.m.ProcessBundle(ctx, to.addr, to.bundle()); err != nil {
			log.Fatal(err)
		}
		msg, err := alice.m.Encrypt(ctx, to.addr, dm.Bytes())
		if err != nil {
			log.Fatal(err)
		}
		// On the member's device:
		pt, err := to.m.Decrypt(ctx, alice.addr, msg)
		if err != nil {
			log.Fatal(err)
		}
		received, err := senderkey.ParseDistributionMessage(pt)
		if err != nil {
			log.Fatal(err)
		}
		if err := to.group.ProcessDistributionMessage(ctx, self, received); err != nil {
			log.Fatal(err)
		}
	}

	// One ciphertext for the whole group (sent to each member's device,
	// or fanned out by a server).
	ct, err := alice.group.Encrypt(ctx, self, group, []byte("lunch at noon?"))
	if err != nil {
		log.Fatal(err)
	}
	for _, to := range []*member{bob, carol} {
		pt, err := to.group.Decrypt(ctx, self, ct)
		fmt.Printf("%s: %s %v\n", to.addr.Name, pt, err)
	}

	// Carol leaves. Alice drops the old sender key and distributes a new
	// one to Bob only; the sessions already exist, so the message is an
	// ordinary one.
	if err := alice.keys.DeleteSenderKey(ctx, self, group); err != nil {
		log.Fatal(err)
	}
	group = senderkey.NewDistributionID()
	dm, err = alice.group.CreateDistributionMessage(ctx, self, group)
	if err != nil {
		log.Fatal(err)
	}
	msg, err := alice.m.Encrypt(ctx, bob.addr, dm.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	pt, err := bob.m.Decrypt(ctx, alice.addr, msg)
	if err != nil {
		log.Fatal(err)
	}
	received, err := senderkey.ParseDistributionMessage(pt)
	if err != nil {
		log.Fatal(err)
	}
	if err := bob.group.ProcessDistributionMessage(ctx, self, received); err != nil {
		log.Fatal(err)
	}

	ct, err = alice.group.Encrypt(ctx, self, group, []byte("a gift for Carol?"))
	if err != nil {
		log.Fatal(err)
	}
	pt, err = bob.group.Decrypt(ctx, self, ct)
	fmt.Printf("bob: %s %v\n", pt, err)
	_, err = carol.group.Decrypt(ctx, self, ct)
	fmt.Println("carol:", errors.Is(err, senderkey.ErrNoSenderKey))
	// Output:
	// bob: lunch at noon? <nil>
	// carol: lunch at noon? <nil>
	// bob: a gift for Carol? <nil>
	// carol: true
}

// member is one device of the example group: 1:1 sessions (package
// session) and sender keys (package senderkey), and the keys it uploaded.
type member struct {
	addr   session.Address
	regID  uint32
	m      *session.Manager
	keys   *senderkey.MemoryStore
	group  *senderkey.Cipher
	upload *prekey.Upload
}

func newMember(name string) *member {
	ctx := context.Background()
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		log.Fatal(err)
	}
	regID := prekey.NewRegistrationID()
	store := memstore.New(id, regID)
	set, err := prekey.Generate(id, prekey.IDs{}, prekey.Request{SignedPreKey: true, LastResortKEMPreKey: true, OneTimePreKeys: 2})
	if err != nil {
		log.Fatal(err)
	}
	if err := prekey.Store(ctx, store, set); err != nil {
		log.Fatal(err)
	}
	keys := new(senderkey.MemoryStore)
	return &member{
		addr:   session.Address{Name: name, DeviceID: 1},
		regID:  regID,
		m:      session.NewManager(session.StoresOf(store)),
		keys:   keys,
		group:  senderkey.NewCipher(keys),
		upload: set.Public(),
	}
}

// bundle is what the server hands out for the member.
func (p *member) bundle() *x3dh.Bundle {
	b, err := p.upload.Take(p.regID, p.addr.DeviceID)
	if err != nil {
		log.Fatal(err)
	}
	return b
}
