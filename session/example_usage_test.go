package session_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/fingerprint"
	"github.com/forwardsecret/signal/prekey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

// A device sets itself up, starts a session from a peer's bundle as a
// server hands it out, and sends over a transport that carries bytes. The
// part between the README markers is the README's "Using it" (a test
// checks that they stay the same).
func Example_usage() {
	ctx := context.Background()
	bob := newPeer("bob", 1)
	responseBody := bob.serverResponse()
	alice := session.Address{Name: "alice", DeviceID: 1}

	// README begin
	// A new device: an identity and a registration id, kept with the store.
	// sqlite.OpenDevice(ctx, path) makes them on first start, then opens them.
	store, err := memstore.NewDevice()
	if err != nil {
		log.Fatal(err)
	}
	m := session.NewManager(session.StoresOf(store), session.WithMinimumVersion(x3dh.V4))

	// A peer's device, from the bundle your server hands out.
	bundles, err := prekey.ParsePreKeyResponse(responseBody)
	if err != nil {
		log.Fatal(err)
	}
	peer := session.Address{Name: "bob", DeviceID: bundles[0].DeviceID}
	if err := m.ProcessBundle(ctx, peer, bundles[0]); err != nil {
		log.Fatal(err) // an *session.UntrustedIdentityError if Bob's key changed
	}
	msg, err := m.Encrypt(ctx, peer, []byte("Hello, Bob"))
	if err != nil {
		log.Fatal(err)
	}
	wire, _ := msg.MarshalBinary() // type byte || body: send it

	// On Bob's device, whose Manager is bob.m:
	var in session.Message
	if err := in.UnmarshalBinary(wire); err != nil {
		log.Fatal(err)
	}
	plaintext, err := bob.m.Decrypt(ctx, alice, in) // stored before it returns
	// README end
	fmt.Println(string(plaintext), err)
	// Output: Hello, Bob <nil>
}

// Bob reinstalls his app: a new identity key. Alice's device refuses his
// new bundle until her user has compared the new safety number with Bob and
// accepted it; then the session starts again.
func ExampleUntrustedIdentityError() {
	ctx := context.Background()
	alice := newPeer("alice", 1)
	bob := newPeer("bob", 1)
	if err := alice.m.ProcessBundle(ctx, bob.addr, bob.bundle()); err != nil {
		log.Fatal(err)
	}

	bob = newPeer("bob", 1) // reinstalled: a new identity
	err := alice.m.ProcessBundle(ctx, bob.addr, bob.bundle())
	var untrusted *session.UntrustedIdentityError
	fmt.Println(errors.As(err, &untrusted), errors.Is(err, session.ErrUntrustedIdentity))
	fmt.Println(err)

	// The app shows the safety number of Alice's key and the new one; the
	// users compare it (or scan each other's QR code) and Alice accepts.
	number := safetyNumber("alice", alice.identity.PublicKey(), "bob", untrusted.Identity)
	fmt.Println(len(number.DisplayString()))
	if err := alice.store.Trust(ctx, untrusted.Address, untrusted.Identity); err != nil {
		log.Fatal(err)
	}

	if err := alice.m.ProcessBundle(ctx, bob.addr, bob.bundle()); err != nil {
		log.Fatal(err)
	}
	msg, _ := alice.m.Encrypt(ctx, bob.addr, []byte("welcome back"))
	pt, err := bob.m.Decrypt(ctx, alice.addr, msg)
	fmt.Println(string(pt), err)
	// Output:
	// true true
	// session: untrusted identity for bob.1
	// 60
	// welcome back <nil>
}

// Alice and Bob check their session: each computes the safety number from
// the own identity key and the peer's, as the session knows it (Info), and
// they compare the digits, or one phone scans the other's QR code.
func Example_safetyNumber() {
	ctx := context.Background()
	alice, bob := newPeer("alice", 1), newPeer("bob", 1)
	if err := alice.m.ProcessBundle(ctx, bob.addr, bob.bundle()); err != nil {
		log.Fatal(err)
	}
	msg, _ := alice.m.Encrypt(ctx, bob.addr, []byte("hi"))
	if _, err := bob.m.Decrypt(ctx, alice.addr, msg); err != nil {
		log.Fatal(err)
	}

	aliceInfo, _ := alice.m.Info(ctx, bob.addr)
	bobInfo, _ := bob.m.Info(ctx, alice.addr)
	aliceView := safetyNumber("alice", alice.identity.PublicKey(), "bob", aliceInfo.RemoteIdentity)
	bobView := safetyNumber("bob", bob.identity.PublicKey(), "alice", bobInfo.RemoteIdentity)
	fmt.Println(aliceView.DisplayString() == bobView.DisplayString())
	ok, err := bobView.Compare(aliceView.Scannable()) // Bob scans Alice's QR code
	fmt.Println(ok, err)
	// Output:
	// true
	// true <nil>
}

// safetyNumber is the fingerprint of a conversation seen from the local
// side. The stable identifiers are the account names here; Signal's
// version 2 uses the accounts' service ids.
func safetyNumber(local string, localKey curve.PublicKey, remote string, remoteKey curve.PublicKey) *fingerprint.Fingerprint {
	f, err := fingerprint.New(fingerprint.Version2, fingerprint.DefaultIterations,
		fingerprint.Party{ID: []byte(local), IdentityKey: localKey},
		fingerprint.Party{ID: []byte(remote), IdentityKey: remoteKey})
	if err != nil {
		log.Fatal(err)
	}
	return f
}

// examplePeer is a device of the examples: its identity, store, Manager and
// the keys its server holds.
type examplePeer struct {
	addr     session.Address
	identity *curve.IdentityKeyPair
	regID    uint32
	store    *memstore.Store
	m        *session.Manager
	server   *prekey.Upload
}

func newPeer(name string, device uint32) *examplePeer {
	identity, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		log.Fatal(err)
	}
	p := &examplePeer{addr: session.Address{Name: name, DeviceID: device}, identity: identity, regID: prekey.NewRegistrationID()}
	p.store = memstore.New(identity, p.regID)
	p.m = session.NewManager(session.StoresOf(p.store))
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

// bundle is the bundle the server hands out for the device.
func (p *examplePeer) bundle() *x3dh.Bundle {
	b, err := p.server.Take(p.regID, p.addr.DeviceID)
	if err != nil {
		log.Fatal(err)
	}
	return b
}

// serverResponse is the server's JSON answer to a request for the device's
// keys.
func (p *examplePeer) serverResponse() []byte {
	data, err := prekey.MarshalPreKeyResponse(p.bundle())
	if err != nil {
		log.Fatal(err)
	}
	return data
}
