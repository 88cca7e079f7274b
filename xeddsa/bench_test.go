package xeddsa_test

import (
	"crypto/ed25519"
	"runtime"
	"testing"
	"time"

	"github.com/forwardsecret/signal/internal/cputime"
	"github.com/forwardsecret/signal/xeddsa"
)

var (
	benchMsg   = make([]byte, 128) // a signed-prekey-sized message
	sinkBool   bool
	sinkBytes  []byte
	benchSeed  = []byte("0123456789abcdef0123456789abcdef")
	benchXPriv = func() *xeddsa.PrivateKey {
		k, err := xeddsa.NewPrivateKey(benchSeed)
		if err != nil {
			panic(err)
		}
		return k
	}()
)

func BenchmarkSign(b *testing.B) {
	b.ReportAllocs()
	defer cputime.MeasureThread(b)()
	for b.Loop() {
		sinkBytes = benchXPriv.Sign(benchMsg, xeddsa.SignBit)
	}
}

func BenchmarkVerify(b *testing.B) {
	sig := benchXPriv.Sign(benchMsg, xeddsa.SignBit)
	pub := benchXPriv.PublicKey()
	b.ReportAllocs()
	defer cputime.MeasureThread(b)()
	for b.Loop() {
		sinkBool = xeddsa.Verify(pub, benchMsg, sig, xeddsa.SignBit)
	}
	if !sinkBool {
		b.Fatal("signature does not verify")
	}
}

func BenchmarkVRFSign(b *testing.B) {
	b.ReportAllocs()
	defer cputime.MeasureThread(b)()
	for b.Loop() {
		_, sinkBytes, _ = benchXPriv.VRFSign(benchMsg)
	}
}

func BenchmarkVRFVerify(b *testing.B) {
	sig, _, err := benchXPriv.VRFSign(benchMsg)
	if err != nil {
		b.Fatal(err)
	}
	pub := benchXPriv.PublicKey()
	b.ReportAllocs()
	defer cputime.MeasureThread(b)()
	for b.Loop() {
		sinkBytes, err = xeddsa.VRFVerify(pub, benchMsg, sig)
	}
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkEd25519Sign and BenchmarkEd25519Verify are the baseline that
// XEdDSA is held to (same message size).
func BenchmarkEd25519Sign(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(benchSeed)
	b.ReportAllocs()
	defer cputime.MeasureThread(b)()
	for b.Loop() {
		sinkBytes = ed25519.Sign(priv, benchMsg)
	}
}

func BenchmarkEd25519Verify(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(benchSeed)
	pub := priv.Public().(ed25519.PublicKey)
	sig := ed25519.Sign(priv, benchMsg)
	b.ReportAllocs()
	defer cputime.MeasureThread(b)()
	for b.Loop() {
		sinkBool = ed25519.Verify(pub, benchMsg, sig)
	}
	if !sinkBool {
		b.Fatal("signature does not verify")
	}
}

// pairedRatio times xed and ed alternately within one loop (swapping their
// order every iteration) on one locked OS thread, measuring that thread's
// CPU time, and reports the ratio of the totals. Time spent waiting for a
// CPU is not counted and both functions see the same cache and frequency
// conditions, so the ratio is stable on a loaded machine where separately
// run benchmarks are not. Where there is no thread CPU clock (outside
// Linux) it falls back to wall-clock time.
func pairedRatio(b *testing.B, xed, ed func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	threadCPU := func() time.Duration {
		if d, ok := cputime.Thread(); ok {
			return d
		}
		return time.Duration(time.Now().UnixNano())
	}
	var tx, te time.Duration
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if i&1 == 0 {
			t0 := threadCPU()
			xed()
			t1 := threadCPU()
			ed()
			t2 := threadCPU()
			tx += t1 - t0
			te += t2 - t1
		} else {
			t0 := threadCPU()
			ed()
			t1 := threadCPU()
			xed()
			t2 := threadCPU()
			te += t1 - t0
			tx += t2 - t1
		}
		i++
	}
	b.ReportMetric(float64(tx)/float64(te), "xeddsa/ed25519")
	b.ReportMetric(float64(tx.Nanoseconds())/float64(i), "xeddsa-cpu-ns/op")
	b.ReportMetric(float64(te.Nanoseconds())/float64(i), "ed25519-cpu-ns/op")
}

// BenchmarkSignVsEd25519 reports Sign's time over crypto/ed25519.Sign's.
func BenchmarkSignVsEd25519(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(benchSeed)
	pairedRatio(b,
		func() { sinkBytes = benchXPriv.Sign(benchMsg, xeddsa.SignBit) },
		func() { sinkBytes = ed25519.Sign(priv, benchMsg) })
}

// BenchmarkVerifyVsEd25519 reports Verify's time over crypto/ed25519.Verify's.
func BenchmarkVerifyVsEd25519(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(benchSeed)
	pub := priv.Public().(ed25519.PublicKey)
	esig := ed25519.Sign(priv, benchMsg)
	xpub := benchXPriv.PublicKey()
	xsig := benchXPriv.Sign(benchMsg, xeddsa.SignBit)
	pairedRatio(b,
		func() { sinkBool = xeddsa.Verify(xpub, benchMsg, xsig, xeddsa.SignBit) },
		func() { sinkBool = ed25519.Verify(pub, benchMsg, esig) })
}
