package session_test

import (
	"context"
	"testing"

	"github.com/forwardsecret/signal/internal/cputime"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
)

// BenchmarkInteractionRestart measures the interaction targets' restart, a
// store encoded (memstore.MarshalBinary) and decoded (memstore.Unmarshal),
// for a device with a session, a signed prekey and an identity, with and
// without a last-resort Kyber prekey: decoding one derives its ML-KEM-1024
// key pair from the stored seed. FuzzInteraction's setups leave out the
// Kyber prekeys no message can use for that reason.
func BenchmarkInteractionRestart(b *testing.B) {
	for _, kem := range []bool{true, false} {
		name := "kem-prekey"
		if !kem {
			name = "no-kem-prekey"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			alice, bob := newDevice(b, "alice"), newDevice(b, "bob")
			if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(b, false, true)); err != nil {
				b.Fatal(err)
			}
			recv(b, bob, alice, send(b, alice, bob, "hi"), "hi")
			recv(b, alice, bob, send(b, bob, alice, "hi"), "hi")
			if !kem {
				if err := bob.store.RemoveKEMPreKey(ctx, bob.kem.ID); err != nil {
					b.Fatal(err)
				}
			}
			st := bob.store
			b.ReportAllocs()
			defer cputime.MeasureThread(b)()
			for b.Loop() {
				enc, err := st.MarshalBinary()
				if err != nil {
					b.Fatal(err)
				}
				if st, err = memstore.Unmarshal(enc); err != nil {
					b.Fatal(err)
				}
			}
			if st.SessionBytes(alice.addr()) == nil {
				b.Fatal("the session did not survive the restarts")
			}
			if _, err := session.NewManager(session.StoresOf(st)).Encrypt(ctx, alice.addr(), []byte("after")); err != nil {
				b.Fatal(err)
			}
		})
	}
}
