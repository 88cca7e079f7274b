package session_test

import (
	"context"
	"testing"
)

// BenchmarkSession measures one 100-byte message (encrypt and decrypt) over
// an established session, for the double ratchet (v3) and the triple ratchet
// (v4: Double Ratchet + SPQR), in one direction and in ping-pong (a DH ratchet
// step, and SPQR progress, on every message). bytes/msg is the wire size.
func BenchmarkSession(b *testing.B) {
	for _, bc := range []struct {
		name     string
		pq       bool
		pingPong bool
	}{
		{"v3/same-direction", false, false},
		{"v4/same-direction", true, false},
		{"v3/ping-pong", false, true},
		{"v4/ping-pong", true, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			alice, bob := newDevice(b, "alice"), newDevice(b, "bob")
			if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(b, false, bc.pq)); err != nil {
				b.Fatal(err)
			}
			recv(b, bob, alice, send(b, alice, bob, "hi"), "hi")
			recv(b, alice, bob, send(b, bob, alice, "hi"), "hi")
			pt := make([]byte, 100)
			from, to := alice, bob
			var size int
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				m, err := from.m.Encrypt(ctx, to.addr(), pt)
				if err != nil {
					b.Fatal(err)
				}
				size += len(m.Body)
				if _, err := to.m.Decrypt(ctx, from.addr(), m); err != nil {
					b.Fatal(err)
				}
				if bc.pingPong {
					from, to = to, from
				}
			}
			b.ReportMetric(float64(size)/float64(b.N), "bytes/msg")
		})
	}
}
