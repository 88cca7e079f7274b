// Package interop_test runs real Signal-protocol peers against each other.
//
// Peers that are not installed make the tests skip with a message, or fail
// when CI=true. interop/run.sh installs everything and runs these tests.
package interop_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/forwardsecret/signal/interop/libparty"
	"github.com/forwardsecret/signal/interop/peer"
)

// needPeer starts a peer of kind or skips (fails under CI=true) when the
// peer is not available here.
func needPeer(t testing.TB, kind string) *peer.Process {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p, err := peer.Start(ctx, kind)
	if err != nil {
		if errors.Is(err, peer.ErrUnavailable) && os.Getenv("CI") != "true" {
			t.Skipf("peer %s not available (run interop/run.sh): %v", kind, err)
		}
		t.Fatalf("start peer %s: %v", kind, err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close %s: %v", kind, err)
		}
		if t.Failed() {
			if s := p.Stderr(); s != "" {
				t.Logf("%s stderr:\n%s", p.Label(), s)
			}
		}
	})
	return p
}

var regID = struct {
	sync.Mutex
	n uint32
}{n: 1000}

func nextRegID() uint32 {
	regID.Lock()
	defer regID.Unlock()
	regID.n++
	return regID.n
}

// newParty starts and initializes a peer with a fresh identity.
func newParty(t testing.TB, kind, label string, device uint32) *peer.Process {
	t.Helper()
	p := needPeer(t, kind)
	p.SetLabel(label)
	pub, err := p.Init(context.Background(), peer.InitRequest{RegistrationID: nextRegID(), DeviceID: device})
	if err != nil {
		t.Fatalf("init %s: %v", label, err)
	}
	if len(pub) != 33 || pub[0] != 0x05 {
		t.Fatalf("init %s: identity public key %x is not 33-byte 0x05 form", label, pub)
	}
	return p
}

// seedOf derives a per-test conversation seed from its name (FNV-1a).
func seedOf(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

func randBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// partyMaker creates a fresh, initialized party for one conversation.
// Process peers are one kind of Party; the library's own session layer can
// be added to conversationParties as an in-process Party and is then run
// against every peer by TestConversationMatrix.
type partyMaker func(t *testing.T, label string, device uint32) peer.Party

// conversationParties lists the parties of the conversation matrix, in order.
var conversationParties = func() []struct {
	name string
	make partyMaker
} {
	var out []struct {
		name string
		make partyMaker
	}
	for _, k := range peer.V3Kinds {
		out = append(out, struct {
			name string
			make partyMaker
		}{k, func(t *testing.T, label string, device uint32) peer.Party {
			return newParty(t, k, label, device)
		}})
	}
	out = append(out, struct {
		name string
		make partyMaker
	}{"lib", func(t *testing.T, label string, device uint32) peer.Party {
		p, err := libparty.New(label, nextRegID(), device)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}})
	return out
}()

// converse establishes a session from a to b (b publishes a bundle, with a
// one-time prekey if oneTime) and runs a 60-message conversation with DH
// ratchet turns, shuffled delivery within each chain and some messages held
// back across a ratchet turn.
func converse(t *testing.T, a, b peer.Party, oneTime bool, seed uint64) peer.Stats {
	t.Helper()
	const messages = 60
	ctx := context.Background()
	alice := peer.Side{Party: a, Addr: peer.Address{Name: "alice", DeviceID: 1}}
	bob := peer.Side{Party: b, Addr: peer.Address{Name: "bob", DeviceID: 2}}
	req := peer.BundleRequest{SignedPreKeyID: 7, OneTime: oneTime}
	if oneTime {
		id := uint32(31)
		req.PreKeyID = &id
	}
	bundle, err := peer.Establish(ctx, alice, bob, req)
	if err != nil {
		t.Fatal(err)
	}
	if bundle.DeviceID != 2 || bundle.RegistrationID == 0 || len(bundle.SignedPreKeySignature) != 64 {
		t.Fatalf("bundle fields: device %d, registration %d, signature %d bytes",
			bundle.DeviceID, bundle.RegistrationID, len(bundle.SignedPreKeySignature))
	}
	if (bundle.PreKeyID != nil) != oneTime {
		t.Fatalf("bundle one-time prekey present=%v, want %v", bundle.PreKeyID != nil, oneTime)
	}
	st, err := peer.Converse(ctx, alice, bob, peer.Script{
		Messages: messages, MaxBurst: 5, Shuffle: true, HoldBack: true, Seed: seed,
	})
	if err != nil {
		t.Fatalf("%v (after %v)", err, st)
	}
	if st.Delivered < 50 || st.Turns < 5 || st.OutOfOrder == 0 || st.PreKeyMessages == 0 {
		t.Fatalf("conversation too weak: %v", st)
	}
	return st
}

// TestConversationMatrix runs a conversation for every ordered pair of
// parties (initiator, responder), same kind included, with and without a
// one-time prekey.
func TestConversationMatrix(t *testing.T) {
	for _, a := range conversationParties {
		for _, b := range conversationParties {
			for _, oneTime := range []bool{true, false} {
				name := fmt.Sprintf("%s->%s/onetime=%v", a.name, b.name, oneTime)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					pa := a.make(t, "A:"+a.name, 1)
					pb := b.make(t, "B:"+b.name, 2)
					st := converse(t, pa, pb, oneTime, seedOf(name))
					t.Logf("%s: %v", name, st)
				})
			}
		}
	}
}

// TestBadSignedPreKeySignatureRefused checks that every peer refuses a
// bundle whose signed-prekey signature does not verify (the node peer has
// to do this check itself; its library skips it).
func TestBadSignedPreKeySignatureRefused(t *testing.T) {
	for _, ak := range peer.V3Kinds {
		t.Run(ak, func(t *testing.T) {
			ctx := context.Background()
			a := newParty(t, ak, "A:"+ak, 1)
			// Any peer can make the bundle; use the same kind.
			b := newParty(t, ak, "B:"+ak, 2)
			bundle, err := b.Bundle(ctx, peer.BundleRequest{SignedPreKeyID: 1})
			if err != nil {
				t.Fatal(err)
			}
			bad := bundle
			bad.SignedPreKeySignature = append(peer.Hex(nil), bundle.SignedPreKeySignature...)
			bad.SignedPreKeySignature[10] ^= 0x01
			if err := a.ProcessBundle(ctx, peer.Address{Name: "bob", DeviceID: 2}, bad); err == nil {
				t.Fatal("bundle with a corrupted signed-prekey signature was accepted")
			}
			has, err := a.HasSession(ctx, peer.Address{Name: "bob", DeviceID: 2})
			if err != nil {
				t.Fatal(err)
			}
			if has {
				t.Fatal("session exists after refused bundle")
			}
			if err := a.ProcessBundle(ctx, peer.Address{Name: "bob", DeviceID: 2}, bundle); err != nil {
				t.Fatalf("good bundle refused: %v", err)
			}
		})
	}
}
