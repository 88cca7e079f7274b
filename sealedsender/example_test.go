package sealedsender_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/prekey"
	"github.com/forwardsecret/signal/sealedsender"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

// account is one device of an app: its stores, Manager, sender-key cipher
// and sealed-sender Cipher, and the sender certificate the server gave it.
type account struct {
	addr   session.Address
	store  *memstore.Store
	m      *session.Manager
	groups *senderkey.Cipher
	c      *sealedsender.Cipher
	cert   *sealedsender.SenderCertificate
	upload *prekey.Upload
}

// The server's keys: a trust root (apps ship its public key) and the
// server certificate it signs.
var (
	trustRoot, _ = curve.GenerateIdentityKeyPair()
	serverKey, _ = curve.GenerateIdentityKeyPair()
	serverCert   = must(sealedsender.NewServerCertificate(1, serverKey.PublicKey(), trustRoot))
	now          = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
)

func must[T any](v T, err error) T {
	if err != nil {
		log.Fatal(err)
	}
	return v
}

func newAccount(uuid string, device uint32) *account {
	ctx := context.Background()
	store := must(memstore.NewDevice())
	id := must(store.IdentityKeyPair(ctx))
	set := must(prekey.Generate(id, prekey.IDs{}, prekey.Request{SignedPreKey: true, LastResortKEMPreKey: true, OneTimePreKeys: 1}))
	if err := prekey.Store(ctx, store, set); err != nil {
		log.Fatal(err)
	}
	a := &account{addr: session.Address{Name: uuid, DeviceID: device}, store: store, upload: set.Public()}
	a.m = session.NewManager(session.StoresOf(store))
	a.groups = senderkey.NewCipher(&senderkey.MemoryStore{})
	a.c = must(sealedsender.NewCipher(sealedsender.Config{
		Sessions:   a.m,
		Identity:   store,
		Groups:     a.groups,
		TrustRoots: []curve.PublicKey{trustRoot.PublicKey()},
		Local:      sealedsender.LocalAddress{UUID: uuid, DeviceID: device},
		Now:        func() time.Time { return now },
	}))
	// The server certifies the device's identity key for a day.
	a.cert = must(sealedsender.NewSenderCertificate(sealedsender.Sender{
		UUID: uuid, DeviceID: device, IdentityKey: id.PublicKey(), Expires: now.Add(24 * time.Hour),
	}, serverCert, serverKey))
	return a
}

// bundle is what the server hands out for a.
func (a *account) bundle() *x3dh.Bundle {
	regID := must(a.store.LocalRegistrationID(context.Background()))
	return must(a.upload.Take(regID, a.addr.DeviceID))
}

// Alice sends Bob a sealed-sender message: the server sees neither who
// sent it nor what it says; Bob's Cipher opens it, validates Alice's
// certificate and decrypts it with their session.
func Example() {
	ctx := context.Background()
	alice := newAccount("aaaaaaaa-0000-4000-8000-000000000001", 1)
	bob := newAccount("bbbbbbbb-0000-4000-8000-000000000002", 1)
	if err := alice.m.ProcessBundle(ctx, bob.addr, bob.bundle()); err != nil {
		log.Fatal(err)
	}

	env, err := alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte("Hello, Bob"), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("envelope version %#x\n", env[0])

	res, err := bob.c.Decrypt(ctx, env)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Sender.UUID == alice.addr.Name, res.Type, string(res.Plaintext))

	// Bob answers with sealed sender v2.
	env, _ = bob.c.Encrypt(ctx, alice.addr, bob.cert, []byte("Hello, Alice"), &sealedsender.Options{Version: sealedsender.V2})
	res, _ = alice.c.Decrypt(ctx, env)
	fmt.Printf("envelope version %#x: %s\n", env[0], res.Plaintext)
	// Output:
	// envelope version 0x11
	// true prekey Hello, Bob
	// envelope version 0x22: Hello, Alice
}

// A group send: Alice encrypts once with her sender key and seals it for
// every member device with sealed sender v2; the server splits the sent
// message (ParseSentMessage, MessageFor) and each device decrypts its part.
func Example_group() {
	ctx := context.Background()
	alice := newAccount("aaaaaaaa-0000-4000-8000-000000000001", 1)
	members := []*account{
		newAccount("bbbbbbbb-0000-4000-8000-000000000002", 1),
		newAccount("cccccccc-0000-4000-8000-000000000003", 1),
	}
	self := senderkey.Sender{Name: alice.addr.Name, DeviceID: alice.addr.DeviceID}
	group := senderkey.NewDistributionID()
	dm := must(alice.groups.CreateDistributionMessage(ctx, self, group))
	var to []session.Address
	for _, m := range members {
		if err := alice.m.ProcessBundle(ctx, m.addr, m.bundle()); err != nil {
			log.Fatal(err)
		}
		// The distribution message goes to each member over the session
		// (sealed, in a real app); here it is handed over directly.
		if err := m.groups.ProcessDistributionMessage(ctx, self, dm); err != nil {
			log.Fatal(err)
		}
		to = append(to, m.addr)
	}

	sent, err := alice.c.EncryptGroup(ctx, self, group, to, nil, alice.cert, []byte("Hello, group"), &sealedsender.Options{GroupID: []byte("group 1")})
	if err != nil {
		log.Fatal(err)
	}

	// The server's side: split the message per recipient.
	split, err := sealedsender.ParseSentMessage(sent)
	if err != nil {
		log.Fatal(err)
	}
	for i, m := range members {
		r := &split.Recipients[i]
		res, err := m.c.Decrypt(ctx, split.MessageFor(r))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(r.ServiceID == must(sealedsender.ParseServiceID(m.addr.Name)), res.Type, string(res.GroupID), string(res.Plaintext))
	}
	// Output:
	// true senderkey group 1 Hello, group
	// true senderkey group 1 Hello, group
}

// When the inner message cannot be decrypted, the error still names the
// authenticated sender and the content hint, so the app can ask for a
// resend (see package recovery).
func ExampleInnerError() {
	ctx := context.Background()
	alice := newAccount("aaaaaaaa-0000-4000-8000-000000000001", 1)
	bob := newAccount("bbbbbbbb-0000-4000-8000-000000000002", 1)
	if err := alice.m.ProcessBundle(ctx, bob.addr, bob.bundle()); err != nil {
		log.Fatal(err)
	}
	env, _ := alice.c.Encrypt(ctx, bob.addr, alice.cert, []byte("hi"), nil)
	if _, err := bob.c.Decrypt(ctx, env); err != nil {
		log.Fatal(err)
	}
	// The same envelope again: a duplicate.
	_, err := bob.c.Decrypt(ctx, env)
	var inner *sealedsender.InnerError
	if errors.As(err, &inner) {
		fmt.Println(inner.Sender.UUID == alice.addr.Name, inner.Hint, errors.Is(err, session.ErrDuplicateMessage))
	}
	// Output:
	// true 0 true
}
