package session_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/forwardsecret/signal/internal/cputime"
	"github.com/forwardsecret/signal/session"
)

// recordWithSkipped returns Bob's encoded record of a v3 session in which
// he holds skipped message keys for skipped of Alice's messages.
func recordWithSkipped(tb testing.TB, skipped int) []byte {
	return recordWithSkippedPQ(tb, skipped, false)
}

// recordWithSkippedPQ is recordWithSkipped, for a v4 session (SPQR) if pq.
func recordWithSkippedPQ(tb testing.TB, skipped int, pq bool) []byte {
	tb.Helper()
	ctx := context.Background()
	alice, bob := newDevice(tb, "alice"), newDevice(tb, "bob")
	if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(tb, false, pq)); err != nil {
		tb.Fatal(err)
	}
	recv(tb, bob, alice, send(tb, alice, bob, "hi"), "hi")
	recv(tb, alice, bob, send(tb, bob, alice, "hi"), "hi")
	for range skipped {
		send(tb, alice, bob, "dropped")
	}
	recv(tb, bob, alice, send(tb, alice, bob, "last"), "last")
	return bob.store.SessionBytes(alice.addr())
}

// cpuMeter reports the process CPU time (getrusage: user + system, the
// garbage collector's background work included) per iteration as
// cpu-ns/op, because wall time is unreliable on a shared machine.
type cpuMeter struct {
	start time.Duration
	ok    bool
}

func startCPU() cpuMeter {
	t, ok := cputime.Process()
	return cpuMeter{start: t, ok: ok}
}

func (m cpuMeter) report(b *testing.B) {
	if t, ok := cputime.Process(); ok && m.ok && b.N > 0 {
		b.ReportMetric(float64(t-m.start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkRecord measures the record codec on Bob's record with 0 and
// 2,000 stored skipped keys: encode+decode (MarshalBinary then
// ParseRecord, what a store that serializes records pays per operation),
// and each half alone; v3 sessions, and v4 (whose record also holds the
// SPQR state) for encode+decode.
func BenchmarkRecord(b *testing.B) {
	for _, skipped := range []int{0, 2000} {
		enc4 := recordWithSkippedPQ(b, skipped, true)
		rec4, err := session.ParseRecord(enc4)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("skipped=%d/op=encode+decode/v4", skipped), func(b *testing.B) {
			b.ReportAllocs()
			b.ReportMetric(float64(len(enc4)), "record-B")
			m := startCPU()
			for b.Loop() {
				e, err := rec4.MarshalBinary()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := session.ParseRecord(e); err != nil {
					b.Fatal(err)
				}
			}
			m.report(b)
		})
		enc := recordWithSkipped(b, skipped)
		rec, err := session.ParseRecord(enc)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("skipped=%d/op=encode+decode", skipped), func(b *testing.B) {
			b.ReportAllocs()
			b.ReportMetric(float64(len(enc)), "record-B")
			m := startCPU()
			for b.Loop() {
				e, err := rec.MarshalBinary()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := session.ParseRecord(e); err != nil {
					b.Fatal(err)
				}
			}
			m.report(b)
		})
		b.Run(fmt.Sprintf("skipped=%d/op=encode", skipped), func(b *testing.B) {
			b.ReportAllocs()
			m := startCPU()
			for b.Loop() {
				if _, err := rec.MarshalBinary(); err != nil {
					b.Fatal(err)
				}
			}
			m.report(b)
		})
		b.Run(fmt.Sprintf("skipped=%d/op=decode", skipped), func(b *testing.B) {
			b.ReportAllocs()
			m := startCPU()
			for b.Loop() {
				if _, err := session.ParseRecord(enc); err != nil {
					b.Fatal(err)
				}
			}
			m.report(b)
		})
	}
}

// BenchmarkRecordClone measures Record.Clone, what a store that keeps
// record objects pays per load, with 0 and 1,500 stored skipped keys.
func BenchmarkRecordClone(b *testing.B) {
	for _, skipped := range []int{0, 1500} {
		rec, err := session.ParseRecord(recordWithSkipped(b, skipped))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("skipped=%d", skipped), func(b *testing.B) {
			b.ReportAllocs()
			m := startCPU()
			for b.Loop() {
				if _, err := rec.Clone(); err != nil {
					b.Fatal(err)
				}
			}
			m.report(b)
		})
	}
}

// BenchmarkRecordOneWay measures the record codec on both ends of a
// one-way conversation (bench's OneWay100: Alice keeps sending, Bob keeps
// receiving), v3 and v4: what a store that serializes records pays per
// message on top of the crypto. In v4, Alice's SPQR state holds her ML-KEM
// keys while she waits for Bob's reply (about 4 KB). decode is
// ParseRecord, decode-owned ParseRecordOwned (on a fresh copy, as a store
// would hand it over).
func BenchmarkRecordOneWay(b *testing.B) {
	for _, pq := range []bool{false, true} {
		ctx := context.Background()
		alice, bob := newDevice(b, "alice"), newDevice(b, "bob")
		if err := alice.m.ProcessBundle(ctx, bob.addr(), bob.bundle(b, false, pq)); err != nil {
			b.Fatal(err)
		}
		recv(b, bob, alice, send(b, alice, bob, "hi"), "hi")
		recv(b, alice, bob, send(b, bob, alice, "hi"), "hi")
		for range 20 {
			recv(b, bob, alice, send(b, alice, bob, "one way"), "one way")
		}
		v := "v3"
		if pq {
			v = "v4"
		}
		for _, end := range []struct {
			name string
			enc  []byte
		}{{"alice", alice.store.SessionBytes(bob.addr())}, {"bob", bob.store.SessionBytes(alice.addr())}} {
			rec, err := session.ParseRecord(end.enc)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(v+"/"+end.name+"/op=encode", func(b *testing.B) {
				b.ReportAllocs()
				b.ReportMetric(float64(len(end.enc)), "record-B")
				m := startCPU()
				for b.Loop() {
					if _, err := rec.MarshalBinary(); err != nil {
						b.Fatal(err)
					}
				}
				m.report(b)
			})
			b.Run(v+"/"+end.name+"/op=decode", func(b *testing.B) {
				b.ReportAllocs()
				m := startCPU()
				for b.Loop() {
					if _, err := session.ParseRecord(end.enc); err != nil {
						b.Fatal(err)
					}
				}
				m.report(b)
			})
			copies := make([][]byte, 1024)
			for i := range copies {
				copies[i] = append([]byte(nil), end.enc...)
			}
			b.Run(v+"/"+end.name+"/op=decode-owned", func(b *testing.B) {
				b.ReportAllocs()
				m := startCPU()
				i := 0
				for b.Loop() {
					if _, err := session.ParseRecordOwned(copies[i%len(copies)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
				m.report(b)
			})
		}
	}
}
