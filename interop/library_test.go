package interop_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/forwardsecret/signal/interop/libparty"
	"github.com/forwardsecret/signal/interop/peer"
)

// checkedLib wraps the library party: it restarts the library from its
// encoded store every restartEvery calls, and runs the byte-flip check on the
// first PreKey and the first Signal message it receives.
type checkedLib struct {
	*libparty.Party
	t            *testing.T
	restartEvery int

	mu       sync.Mutex
	calls    int
	restarts int
	flipped  map[int]libparty.FlipResult // by message type
}

func (c *checkedLib) tick() {
	c.calls++
	if c.restartEvery > 0 && c.calls%c.restartEvery == 0 {
		if err := c.Restart(); err != nil {
			c.t.Fatalf("restart: %v", err)
		}
		c.restarts++
	}
}

func (c *checkedLib) Encrypt(ctx context.Context, r peer.Address, pt []byte) (peer.Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick()
	return c.Party.Encrypt(ctx, r, pt)
}

func (c *checkedLib) Decrypt(ctx context.Context, r peer.Address, m peer.Message) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick()
	if _, done := c.flipped[m.Type]; !done {
		res, err := c.CheckFlips(ctx, r, m)
		if err != nil {
			c.t.Fatalf("flip check of a type %d message: %v", m.Type, err)
		}
		c.flipped[m.Type] = res
	}
	return c.Party.Decrypt(ctx, r, m)
}

// TestLibraryAgainstPeers runs the library against every v3 peer, in both
// roles, with and without a one-time prekey: 240 messages per pairing with
// DH ratchet turns, out-of-order delivery within and across chains, restarts
// of the library from its encoded store, and every byte of one captured
// message of each type flipped in turn.
func TestLibraryAgainstPeers(t *testing.T) {
	const messages = 240
	for _, kind := range peer.V3Kinds {
		for _, libFirst := range []bool{true, false} {
			for _, oneTime := range []bool{true, false} {
				name := fmt.Sprintf("%s/lib-initiates=%v/onetime=%v", kind, libFirst, oneTime)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					ctx := context.Background()
					lp, err := libparty.New("lib", nextRegID(), 1)
					if err != nil {
						t.Fatal(err)
					}
					lib := &checkedLib{Party: lp, t: t, restartEvery: 41, flipped: map[int]libparty.FlipResult{}}
					other := newParty(t, kind, kind, 2)
					libSide := peer.Side{Party: lib, Addr: peer.Address{Name: "lib", DeviceID: 1}}
					peerSide := peer.Side{Party: other, Addr: peer.Address{Name: kind, DeviceID: 2}}
					initiator, responder := libSide, peerSide
					if !libFirst {
						initiator, responder = peerSide, libSide
					}
					req := peer.BundleRequest{SignedPreKeyID: 5, OneTime: oneTime}
					if oneTime {
						id := uint32(77)
						req.PreKeyID = &id
					}
					if _, err := peer.Establish(ctx, initiator, responder, req); err != nil {
						t.Fatal(err)
					}
					st, err := peer.Converse(ctx, initiator, responder, peer.Script{
						Messages: messages, MaxBurst: 8, Shuffle: true, HoldBack: true, Seed: seedOf(name),
					})
					if err != nil {
						t.Fatal(err)
					}
					if lib.restarts == 0 {
						t.Fatal("the library never restarted")
					}
					if _, ok := lib.flipped[peer.TypeSignal]; !ok {
						t.Fatal("no SignalMessage was flip-checked")
					}
					if !libFirst {
						if _, ok := lib.flipped[peer.TypePreKey]; !ok {
							t.Fatal("no PreKey message was flip-checked")
						}
					}
					t.Logf("%s: %v; library restarts=%d; flips=%v", name, st, lib.restarts, lib.flipped)
				})
			}
		}
	}
}
