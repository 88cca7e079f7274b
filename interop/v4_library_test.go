package interop_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/forwardsecret/signal/interop/libparty"
	"github.com/forwardsecret/signal/interop/peer"
	"github.com/forwardsecret/signal/session"
)

// TestLibraryAgainstOfficialV4 runs the library against Signal's official
// libsignal (@signalapp/libsignal-client, v4: PQXDH with Kyber1024 + Double
// Ratchet + SPQR) in both roles, with 1,000+ messages in several patterns,
// and checks from our own state that the SPQR epoch advanced.
func TestLibraryAgainstOfficialV4(t *testing.T) {
	patterns := []struct {
		name     string
		script   peer.Script
		minEpoch uint64 // SPQR epoch our side must reach (1 at the start)
	}{
		{"bursts", peer.Script{Messages: 1000, MaxBurst: 12, Shuffle: true, HoldBack: true}, 6},
		{"alternating", peer.Script{Messages: 1000, MaxBurst: 1}, 6},
		// Long one-sided runs: up to 250 messages before the other side
		// answers, shuffled within each run. SPQR advances an epoch only
		// across round trips, so these few turns move it little.
		{"long-runs", peer.Script{Messages: 1000, MaxBurst: 250, Shuffle: true}, 1},
	}
	for _, libFirst := range []bool{true, false} {
		for _, oneTime := range []bool{true, false} {
			for _, p := range patterns {
				name := fmt.Sprintf("lib-initiates=%v/onetime=%v/%s", libFirst, oneTime, p.name)
				t.Run(name, func(t *testing.T) {
					ctx := context.Background()
					lp, err := libparty.New("lib", nextRegID(), 1)
					if err != nil {
						t.Fatal(err)
					}
					other := needPeer(t, peer.KindNodeV4)
					other.SetLabel("node-v4")
					if _, err := other.Init(ctx, peer.InitRequest{RegistrationID: nextRegID(), DeviceID: 2, Name: "official"}); err != nil {
						t.Fatal(err)
					}
					libSide := peer.Side{Party: lp, Addr: peer.Address{Name: "lib", DeviceID: 1}}
					peerSide := peer.Side{Party: other, Addr: peer.Address{Name: "official", DeviceID: 2}}
					initiator, responder := libSide, peerSide
					if !libFirst {
						initiator, responder = peerSide, libSide
					}
					req := peer.BundleRequest{SignedPreKeyID: 5, OneTime: oneTime, Kyber: true}
					if oneTime {
						id := uint32(77)
						req.PreKeyID = &id
					}
					if _, err := peer.Establish(ctx, initiator, responder, req); err != nil {
						t.Fatal(err)
					}
					s := p.script
					s.Seed = seedOf(name)
					var bad error
					s.OnSend = func(i int, from string, m peer.Message) {
						if bad == nil && (len(m.Body) == 0 || m.Body[0] != 0x44) {
							bad = fmt.Errorf("message %d from %s is not version 4", i, from)
						}
					}
					st, err := peer.Converse(ctx, initiator, responder, s)
					if err != nil {
						t.Fatalf("%v (after %v)\nofficial stderr:\n%s", err, st, other.Stderr())
					}
					if bad != nil {
						t.Fatal(bad)
					}
					// libsignal logs (level Warn and up) go to the peer's
					// stderr: no post-quantum ratchet complaint may appear.
					if log := strings.ToLower(other.Stderr()); strings.Contains(log, "post-quantum") || strings.Contains(log, "pq ratchet") || strings.Contains(log, "spqr") {
						t.Fatalf("libsignal logged a post-quantum error:\n%s", other.Stderr())
					}
					info, err := lp.M.Info(ctx, session.Address{Name: "official", DeviceID: 2})
					if err != nil {
						t.Fatal(err)
					}
					if info.Version != 4 || info.SPQREpoch < p.minEpoch {
						t.Fatalf("session info %+v: want version 4 and SPQR epoch at least %d", info, p.minEpoch)
					}
					t.Logf("%s: %v; our SPQR epoch %d", name, st, info.SPQREpoch)
				})
			}
		}
	}
}
