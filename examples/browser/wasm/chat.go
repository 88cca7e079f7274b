package main

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/prekey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/x3dh"
)

// party is one device of the page: its in-memory stores and Manager.
type party struct {
	name     string
	addr     session.Address
	identity *curve.IdentityKeyPair
	store    *memstore.Store
	m        *session.Manager
}

func newParty(name string) (*party, error) {
	id, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		return nil, err
	}
	st := memstore.New(id, prekey.NewRegistrationID())
	return &party{
		name:     name,
		addr:     session.Address{Name: name, DeviceID: 1},
		identity: id,
		store:    st,
		// v4 only: PQXDH to start, SPQR alongside the Double Ratchet.
		m: session.NewManager(session.StoresOf(st), session.WithMinimumVersion(x3dh.V4)),
	}, nil
}

// chat is a v4 session between two parties of one page.
type chat struct {
	alice, bob *party
	bundleSize int
}

// event is one message: what went over the "wire" and what came out.
type event struct {
	From, To  string
	Type      string // PreKeySignalMessage or SignalMessage
	Size      int    // bytes on the wire, type byte included
	Head      string // the first 16 bytes on the wire, in hex
	Plaintext string // what the receiver decrypted
	Version   int    // the receiver's session version
	Epoch     uint64 // the receiver's SPQR epoch
}

// newChat makes Alice and Bob; Bob publishes a bundle with a signed
// prekey, a one-time prekey and a Kyber1024 prekey, and Alice starts a
// PQXDH session from it.
func newChat(ctx context.Context) (*chat, error) {
	alice, err := newParty("alice")
	if err != nil {
		return nil, err
	}
	bob, err := newParty("bob")
	if err != nil {
		return nil, err
	}
	spk, err := x3dh.GenerateSignedPreKey(bob.identity, 1)
	if err != nil {
		return nil, err
	}
	opk, err := x3dh.GenerateOneTimePreKey(1)
	if err != nil {
		return nil, err
	}
	kpk, err := x3dh.GenerateKEMPreKey(bob.identity, 1, x3dh.Kyber1024)
	if err != nil {
		return nil, err
	}
	for _, err := range []error{
		bob.store.AddSignedPreKey(ctx, spk),
		bob.store.AddPreKey(ctx, opk),
		bob.store.AddLastResortKEMPreKey(ctx, kpk),
	} {
		if err != nil {
			return nil, err
		}
	}
	regID, _ := bob.store.LocalRegistrationID(ctx)
	opkPub, kemPub := opk.Public(), kpk.Public()
	bundle, err := x3dh.NewBundle(regID, bob.addr.DeviceID, bob.identity.PublicKey(), spk.Public(), &opkPub, &kemPub)
	if err != nil {
		return nil, err
	}
	// The bundle as a server would hand it out, and parsed back.
	enc, err := bundle.MarshalBinary()
	if err != nil {
		return nil, err
	}
	fetched, err := x3dh.ParseBundle(enc)
	if err != nil {
		return nil, err
	}
	if err := alice.m.ProcessBundle(ctx, bob.addr, fetched); err != nil {
		return nil, err
	}
	return &chat{alice: alice, bob: bob, bundleSize: len(enc)}, nil
}

// send encrypts text from one party, carries it as bytes and decrypts it
// at the other.
func (c *chat) send(ctx context.Context, from, to *party, text string) (event, error) {
	msg, err := from.m.Encrypt(ctx, to.addr, []byte(text))
	if err != nil {
		return event{}, fmt.Errorf("%s encrypts: %w", from.name, err)
	}
	wire, err := msg.MarshalBinary()
	if err != nil {
		return event{}, err
	}
	var in session.Message
	if err := in.UnmarshalBinary(wire); err != nil {
		return event{}, fmt.Errorf("%s parses: %w", to.name, err)
	}
	pt, err := to.m.Decrypt(ctx, from.addr, in)
	if err != nil {
		return event{}, fmt.Errorf("%s decrypts: %w", to.name, err)
	}
	info, err := to.m.Info(ctx, from.addr)
	if err != nil {
		return event{}, err
	}
	return event{
		From: from.name, To: to.name, Type: msg.Type.String(), Size: len(wire),
		Head: hex.EncodeToString(wire[:min(16, len(wire))]), Plaintext: string(pt),
		Version: info.Version, Epoch: info.SPQREpoch,
	}, nil
}

// script is the conversation the page plays at load, before the turns
// that wait for SPQR's next epoch.
var script = []struct {
	fromAlice bool
	text      string
}{
	{true, "Hello Bob, from a browser tab"},
	{false, "Hi Alice, decrypted in WebAssembly"},
	{true, "PQXDH started this session"},
	{false, "and SPQR keeps ratcheting"},
}

// maxTurns bounds the ping-pong after the script that waits for SPQR's
// next epoch.
const maxTurns = 200

// play sends the script, then alternates short messages until SPQR has
// agreed a new key by ML-KEM-768 (the receiver's epoch is above the first
// message's) or maxTurns, calling show after each.
func (c *chat) play(ctx context.Context, show func(event)) ([]event, error) {
	var turns []event
	turn := func(fromAlice bool, text string) (event, error) {
		from, to := c.alice, c.bob
		if !fromAlice {
			from, to = c.bob, c.alice
		}
		e, err := c.send(ctx, from, to, text)
		if err != nil {
			return e, err
		}
		turns = append(turns, e)
		show(e)
		return e, nil
	}
	var last event
	for _, s := range script {
		e, err := turn(s.fromAlice, s.text)
		if err != nil {
			return turns, err
		}
		last = e
	}
	for i := 0; last.Epoch == turns[0].Epoch && i < maxTurns; i++ {
		e, err := turn(i%2 == 0, fmt.Sprintf("ping %d", i+1))
		if err != nil {
			return turns, err
		}
		last = e
	}
	return turns, nil
}
