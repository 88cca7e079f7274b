package interop_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/forwardsecret/signal/interop/peer"
)

// TestV4SelfConversation runs the official libsignal (v4: PQXDH with a
// Kyber1024 prekey, SPQR) against itself: it checks the bundle shape and
// that every message on the wire is a version-4 message (first byte 0x44).
func TestV4SelfConversation(t *testing.T) {
	for _, oneTime := range []bool{true, false} {
		t.Run(fmt.Sprintf("onetime=%v", oneTime), func(t *testing.T) {
			ctx := context.Background()
			a := newParty(t, peer.KindNodeV4, "A:node-v4", 1)
			b := newParty(t, peer.KindNodeV4, "B:node-v4", 2)
			alice := peer.Side{Party: a, Addr: peer.Address{Name: "alice", DeviceID: 1}}
			bob := peer.Side{Party: b, Addr: peer.Address{Name: "bob", DeviceID: 2}}
			req := peer.BundleRequest{SignedPreKeyID: 7, OneTime: oneTime}
			bundle, err := peer.Establish(ctx, alice, bob, req)
			if err != nil {
				t.Fatal(err)
			}
			if bundle.KyberPreKeyID == nil || len(bundle.KyberPreKey) != 1569 || bundle.KyberPreKey[0] != 0x08 ||
				len(bundle.KyberPreKeySignature) != 64 {
				t.Fatalf("kyber prekey: id %v, %d bytes, type %#x, signature %d bytes",
					bundle.KyberPreKeyID, len(bundle.KyberPreKey), bundle.KyberPreKey[:1], len(bundle.KyberPreKeySignature))
			}
			// The Kyber prekey signature is XEdDSA by the identity key over the
			// serialized KEM public key: any peer can check it.
			if ok, err := a.XEdDSAVerify(ctx, bundle.IdentityKey, bundle.KyberPreKey, bundle.KyberPreKeySignature); err != nil || !ok {
				t.Fatalf("kyber prekey signature does not verify: %v %v", ok, err)
			}
			var badVersion error
			st, err := peer.Converse(ctx, alice, bob, peer.Script{
				Messages: 60, MaxBurst: 5, Shuffle: true, HoldBack: true, Seed: seedOf(t.Name()),
				OnSend: func(i int, from string, m peer.Message) {
					if len(m.Body) == 0 || m.Body[0] != 0x44 {
						badVersion = fmt.Errorf("message #%d from %s starts with %x, want 0x44", i, from, m.Body[:min(1, len(m.Body))])
					}
				},
			})
			if err != nil {
				t.Fatalf("%v (after %v)", err, st)
			}
			if badVersion != nil {
				t.Fatal(badVersion)
			}
			t.Logf("%v", st)
		})
	}
}

// TestV4RefusesV3 records that the official libsignal does not talk to v3
// peers: it refuses a bundle without a Kyber prekey, and a v3 PreKey
// message built from its own bundle.
func TestV4RefusesV3(t *testing.T) {
	ctx := context.Background()
	v4 := newParty(t, peer.KindNodeV4, "node-v4", 2)
	v3 := newParty(t, peer.KindC, "c", 1)
	v3Bundle, err := v3.Bundle(ctx, peer.BundleRequest{SignedPreKeyID: 1, OneTime: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := v4.ProcessBundle(ctx, peer.Address{Name: "c", DeviceID: 1}, v3Bundle); err == nil {
		t.Fatal("v4 peer accepted a bundle without a Kyber prekey")
	}
	v4Bundle, err := v4.Bundle(ctx, peer.BundleRequest{SignedPreKeyID: 1, OneTime: true})
	if err != nil {
		t.Fatal(err)
	}
	// The v3 peer ignores the Kyber fields and builds an X3DH session.
	if err := v3.ProcessBundle(ctx, peer.Address{Name: "v4", DeviceID: 2}, v4Bundle); err != nil {
		t.Fatal(err)
	}
	m, err := v3.Encrypt(ctx, peer.Address{Name: "v4", DeviceID: 2}, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v4.Decrypt(ctx, peer.Address{Name: "c", DeviceID: 1}, m); err == nil {
		t.Fatal("v4 peer decrypted a v3 PreKey message")
	} else {
		t.Logf("v4 refuses v3 PreKey message as expected: %v", err)
	}
}
