package bench

import (
	"bytes"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/forwardsecret/signal/internal/cputime"
)

// The scenarios. Each one runs, one after the other, for every
// implementation and store mode, so that the implementations of one
// scenario are measured close together in time:
//
//	Setup         bundle -> first (PreKey) message of 100 B -> the responder
//	              decrypts it; both sides then forget the session
//	OneWay100     an established session, 100 B from Alice to Bob (encrypt
//	              and decrypt), always the same direction
//	PingPong100   100 B, alternating direction: every decrypt is a DH
//	              ratchet step
//	OneWay16KiB   as OneWay100 with 16 KiB
//	Skipped1500   as OneWay100 while Bob holds 1,500 skipped message keys
//	Record        encode + decode of Bob's session record with 0 or 2,000
//	              skipped keys (store=none: no store involved)
//	Fanout1000    one 100 B message encrypted to 1,000 recipients with
//	              established sessions, sequentially and in parallel
//	              (GOMAXPROCS workers)
//
// Store modes: "objects" keeps live record objects (and hands out the same
// object: equivalent to a copying store on these paths, which never fail;
// see oursStore), "serialized" encodes records on every save and parses
// them on every load, as apps with a database do, and for this library
// "clone" keeps objects and hands out Record.Clone copies (what a safe
// objects store does).

// impl is one implementation under test.
type impl struct {
	name   string
	stores []string
	// setup returns a function that runs one complete session setup.
	setup func(b *testing.B, store string) func()
	// pair returns two parties with an acknowledged session.
	pair func(b *testing.B, store string) pair
	// fanout returns a function that encrypts pt to n recipients.
	fanout func(b *testing.B, store string, n int) func(pt []byte, parallel bool)
}

// pair is Alice (0) and Bob (1) with an acknowledged session.
type pair interface {
	// send encrypts pt at party from and decrypts it at the other party,
	// failing b on any error or a wrong plaintext.
	send(b *testing.B, from int, pt []byte)
	// drop encrypts pt at party from; the message is lost.
	drop(b *testing.B, from int, pt []byte)
	// record returns a function that encodes and decodes party's session
	// record once, and the encoded size.
	record(b *testing.B, party int) (func(), int)
}

var impls []*impl

func register(im *impl) { impls = append(impls, im) }

// forEach runs f as a sub-benchmark for every implementation and store mode.
func forEach(b *testing.B, f func(b *testing.B, im *impl, store string)) {
	for _, im := range impls {
		for _, st := range im.stores {
			b.Run("impl="+im.name+"/store="+st, func(b *testing.B) { f(b, im, st) })
		}
	}
}

// loop times op with b.Loop and reports allocations and process CPU time
// per operation (cpu-ns/op: getrusage user+system, see cputime.Process).
// With GOMAXPROCS=1 (-cpu 1) that is the benchmark's own work (including
// the garbage collector's) even when other processes compete for the
// machine, where wall time does not. In the parallel fan-out it is the sum
// over all threads.
func loop(b *testing.B, op func()) {
	b.ReportAllocs()
	cputime.ProcessLoop(b, op)
}

func checkPlaintext(b *testing.B, got, want []byte) {
	if !bytes.Equal(got, want) {
		b.Fatalf("plaintext of %d bytes, want %d bytes", len(got), len(want))
	}
}

// message returns a deterministic plaintext of n bytes.
func message(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i)
	}
	return p
}

func BenchmarkSetup(b *testing.B) {
	forEach(b, func(b *testing.B, im *impl, st string) {
		loop(b, im.setup(b, st))
	})
}

func benchOneWay(b *testing.B, size int) {
	pt := message(size)
	forEach(b, func(b *testing.B, im *impl, st string) {
		p := im.pair(b, st)
		p.send(b, 0, pt) // Bob's DH step for Alice's new chain
		b.SetBytes(int64(size))
		loop(b, func() { p.send(b, 0, pt) })
	})
}

func BenchmarkOneWay100(b *testing.B)   { benchOneWay(b, 100) }
func BenchmarkOneWay16KiB(b *testing.B) { benchOneWay(b, 16<<10) }

func BenchmarkPingPong100(b *testing.B) {
	pt := message(100)
	forEach(b, func(b *testing.B, im *impl, st string) {
		p := im.pair(b, st)
		i := 0
		b.SetBytes(100)
		loop(b, func() {
			p.send(b, i&1, pt)
			i++
		})
	})
}

// SkippedKeys is the number of message keys Bob holds in Skipped1500.
const SkippedKeys = 1500

func BenchmarkSkipped1500(b *testing.B) {
	pt := message(100)
	forEach(b, func(b *testing.B, im *impl, st string) {
		p := im.pair(b, st)
		for range SkippedKeys {
			p.drop(b, 0, pt)
		}
		p.send(b, 0, pt) // Bob derives and keeps the 1,500 keys
		b.SetBytes(100)
		loop(b, func() { p.send(b, 0, pt) })
	})
}

func BenchmarkRecord(b *testing.B) {
	pt := message(100)
	for _, skipped := range []int{0, 2000} {
		name := "skipped=0"
		if skipped > 0 {
			name = "skipped=2000"
		}
		b.Run(name, func(b *testing.B) {
			for _, im := range impls {
				b.Run("impl="+im.name+"/store=none", func(b *testing.B) {
					p := im.pair(b, im.stores[0])
					for range skipped {
						p.drop(b, 0, pt)
					}
					p.send(b, 0, pt)
					op, size := p.record(b, 1)
					loop(b, op)
					b.ReportMetric(float64(size), "record-B")
				})
			}
		})
	}
}

// Recipients is the number of recipients of Fanout1000.
const Recipients = 1000

func BenchmarkFanout1000(b *testing.B) {
	pt := message(100)
	for _, mode := range []string{"seq", "par"} {
		b.Run(mode, func(b *testing.B) {
			forEach(b, func(b *testing.B, im *impl, st string) {
				f := im.fanout(b, st, Recipients)
				loop(b, func() { f(pt, mode == "par") })
			})
		})
	}
}

// each runs f(i) for i in [0, n), in GOMAXPROCS goroutines if parallel.
func each(n int, parallel bool, f func(i int)) {
	if !parallel {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}
