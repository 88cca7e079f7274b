package omemo

import (
	"context"
	"fmt"
	"testing"

	"github.com/forwardsecret/signal/internal/cputime"
	"github.com/forwardsecret/signal/session"
)

// BenchmarkEncrypt encrypts a 200-byte envelope to n devices with
// established sessions (OMEMO 2 and 0.3).
func BenchmarkEncrypt(b *testing.B) {
	for _, v := range versions {
		for _, n := range []int{1, 10} {
			b.Run(fmt.Sprintf("%v/devices=%d", v, n), func(b *testing.B) {
				ctx := context.Background()
				alice := newTestDevice(b, v, "alice@example.org", 1, 2)
				var to []session.Address
				for i := range n {
					d := newTestDevice(b, v, "bob@example.org", uint32(10+i), 2)
					connect(b, alice, d)
					if _, err := d.m.Decrypt(ctx, alice.jid, send(b, alice, []byte("hi"), d)); err != nil {
						b.Fatal(err)
					}
					if _, err := alice.m.Decrypt(ctx, d.jid, send(b, d, nil, alice)); err != nil {
						b.Fatal(err)
					}
					to = append(to, d.addr())
				}
				pt := make([]byte, 200)
				b.ReportAllocs()
				defer cputime.MeasureThread(b)()
				for b.Loop() {
					if _, err := alice.m.Encrypt(ctx, pt, to); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkDecrypt decrypts a message on an established session, and a
// key exchange that starts one.
func BenchmarkDecrypt(b *testing.B) {
	for _, v := range versions {
		b.Run(v.String(), func(b *testing.B) {
			ctx := context.Background()
			alice := newTestDevice(b, v, "alice@example.org", 1, 2)
			bob := newTestDevice(b, v, "bob@example.org", 2, 2)
			connect(b, alice, bob)
			if _, err := bob.m.Decrypt(ctx, alice.jid, send(b, alice, []byte("hi"), bob)); err != nil {
				b.Fatal(err)
			}
			if _, err := alice.m.Decrypt(ctx, bob.jid, send(b, bob, nil, alice)); err != nil {
				b.Fatal(err)
			}
			msgs := make([]*Encrypted, 0, 1<<16)
			pt := make([]byte, 200)
			b.ReportAllocs()
			defer cputime.MeasureThread(b)()
			i := 0
			for b.Loop() {
				b.StopTimer()
				if i == len(msgs) {
					msgs = msgs[:0]
					i = 0
					for range cap(msgs) / 64 {
						msgs = append(msgs, send(b, alice, pt, bob))
					}
				}
				e := msgs[i]
				i++
				b.StartTimer()
				if _, err := bob.m.Decrypt(ctx, alice.jid, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
