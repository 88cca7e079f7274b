package omemo_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/omemo"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// btbvStore is a Store with BTBV ("blind trust before verification"):
// while the user has verified none of a JID's identity keys, every key of
// that JID is trusted; once one is verified, only verified keys are.
type btbvStore struct {
	*omemo.MemStore

	mu       sync.Mutex
	verified map[string]map[curve.PublicKey]bool // bare JID -> verified keys
}

// IsTrustedIdentity replaces MemStore's trust on first use.
func (s *btbvStore) IsTrustedIdentity(_ context.Context, addr session.Address, key curve.PublicKey, _ session.Direction) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.verified[addr.Name]
	return len(v) == 0 || v[key], nil
}

// Verify records that the user compared key's fingerprint (for OMEMO 2,
// the hex of the Ed25519 key) and accepted it.
func (s *btbvStore) Verify(jid string, key curve.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.verified[jid] == nil {
		s.verified[jid] = make(map[curve.PublicKey]bool)
	}
	s.verified[jid][key] = true
}

// bobDevice makes one of Bob's devices and returns its bundle.
func bobDevice(id uint32) *omemo.Bundle {
	ik, _ := curve.GenerateIdentityKeyPair()
	spk, _ := omemo.GenerateSignedPreKey(omemo.V2, ik, 1)
	pk, _ := x3dh.GenerateOneTimePreKey(1)
	b, err := omemo.NewBundle(omemo.V2, id, ik, spk, []*x3dh.OneTimePreKey{pk})
	if err != nil {
		log.Fatal(err)
	}
	return b
}

// BTBV is an app policy over the identity store: Conversations and Dino
// trust a contact's devices blindly until the user verifies one, then
// only verified ones.
func Example_btbv() {
	ctx := context.Background()
	ik, _ := curve.GenerateIdentityKeyPair()
	st := &btbvStore{MemStore: omemo.NewMemStore(ik), verified: map[string]map[curve.PublicKey]bool{}}
	alice, err := omemo.NewManager(omemo.V2, st, "alice@example.org", 1)
	if err != nil {
		log.Fatal(err)
	}

	phone, laptop := bobDevice(10), bobDevice(11)
	fmt.Println("phone before verification:", alice.ProcessBundle(ctx, "bob@example.net", phone))

	// Alice compares the phone's fingerprint (hex of
	// phone.IdentityKeyEd25519) with Bob's and accepts it.
	st.Verify("bob@example.net", phone.IdentityKey)

	err = alice.ProcessBundle(ctx, "bob@example.net", laptop)
	fmt.Println("new laptop untrusted:", errors.Is(err, session.ErrUntrustedIdentity))
	st.Verify("bob@example.net", laptop.IdentityKey)
	fmt.Println("laptop after verification:", alice.ProcessBundle(ctx, "bob@example.net", laptop))
	// Output:
	// phone before verification: <nil>
	// new laptop untrusted: true
	// laptop after verification: <nil>
}
