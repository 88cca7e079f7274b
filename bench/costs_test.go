package bench

import (
	"context"
	"crypto/ecdh"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// BenchmarkCost times the single operations that explain the scenario
// results (see NOTES.md): what a record load pays for its ratchet private
// key, key generation with and without a fixed-base table, and Record.Clone
// with and without skipped keys.
func BenchmarkCost(b *testing.B) {
	priv, err := curve.GeneratePrivateKey()
	if err != nil {
		b.Fatal(err)
	}
	raw := priv.Bytes()
	b.Run("op=ecdh.NewPrivateKey", func(b *testing.B) {
		loop(b, func() {
			if _, err := ecdh.X25519().NewPrivateKey(raw); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("op=curve.NewPrivateKey", func(b *testing.B) {
		loop(b, func() {
			if _, err := curve.NewPrivateKey(raw); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("op=ecdh.GenerateKey", func(b *testing.B) {
		loop(b, func() {
			if _, err := ecdh.X25519().GenerateKey(nil); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("op=curve.GenerateKeyPair", func(b *testing.B) {
		loop(b, func() {
			if _, err := curve.GenerateKeyPair(); err != nil {
				b.Fatal(err)
			}
		})
	})
	pt := message(100)
	for _, skipped := range []int{0, 1500} {
		p := oursNewPair(b, x3dh.V3, "objects")
		for range skipped {
			p.drop(b, 0, pt)
		}
		p.send(b, 0, pt)
		rec, err := p.d[1].obj.LoadSession(context.Background(), aliceAddr)
		if err != nil || rec == nil {
			b.Fatal("no record", err)
		}
		name := map[int]string{0: "op=Record.Clone/skipped=0", 1500: "op=Record.Clone/skipped=1500"}[skipped]
		b.Run(name, func(b *testing.B) {
			loop(b, func() {
				if _, err := rec.Clone(); err != nil {
					b.Fatal(err)
				}
			})
		})
		enc, err := rec.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(map[int]string{0: "op=ParseRecord/skipped=0", 1500: "op=ParseRecord/skipped=1500"}[skipped], func(b *testing.B) {
			loop(b, func() {
				if _, err := session.ParseRecord(enc); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run(map[int]string{0: "op=MarshalBinary/skipped=0", 1500: "op=MarshalBinary/skipped=1500"}[skipped], func(b *testing.B) {
			loop(b, func() {
				if _, err := rec.MarshalBinary(); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
