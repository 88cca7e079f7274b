package cputime

import (
	"flag"
	"testing"
	"time"
)

// benchN is the fixed iteration count of the benchmarks run by the tests.
const benchN = 20

// spinFor is the CPU time each benchmark iteration in the tests burns.
const spinFor = 300 * time.Microsecond

// spinUntil busy-loops until clock has advanced by d, or, where clock is
// unavailable, for d of wall time. It fails t if that takes longer than a
// minute of wall time (the clock does not advance).
func spinUntil(t testing.TB, clock func() (time.Duration, bool), d time.Duration) {
	start, ok := clock()
	wall := time.Now()
	for {
		if ok {
			if now, _ := clock(); now-start >= d {
				return
			}
		} else if time.Since(wall) >= d {
			return
		}
		if time.Since(wall) > time.Minute {
			t.Fatalf("clock advanced by less than %v in a minute of busy looping", d)
		}
	}
}

// runBench runs f as a benchmark of exactly benchN iterations and returns
// its result.
func runBench(t *testing.T, f func(b *testing.B)) testing.BenchmarkResult {
	t.Helper()
	bt := flag.Lookup("test.benchtime")
	old := bt.Value.String()
	if err := bt.Value.Set("20x"); err != nil {
		t.Fatal(err)
	}
	defer bt.Value.Set(old)
	r := testing.Benchmark(f)
	if r.N != benchN {
		t.Fatalf("benchmark ran %d iterations, want %d", r.N, benchN)
	}
	return r
}

// checkMetric checks that r reports Metric, at least spinFor and at most
// ten times that, if the clock is available, and does not report it
// otherwise.
func checkMetric(t *testing.T, r testing.BenchmarkResult, available bool) {
	t.Helper()
	got, reported := r.Extra[Metric]
	switch {
	case !available && reported:
		t.Fatalf("%s = %v reported without a clock", Metric, got)
	case !available:
	case !reported:
		t.Fatalf("%s not reported; metrics: %v", Metric, r.Extra)
	case got < float64(spinFor.Nanoseconds()) || got > 10*float64(spinFor.Nanoseconds()):
		t.Fatalf("%s = %v, want between %d and %d", Metric, got, spinFor.Nanoseconds(), 10*spinFor.Nanoseconds())
	}
}

// TestReporters runs a benchmark through each reporter and checks the
// Metric it reports against the CPU time each iteration burns.
func TestReporters(t *testing.T) {
	_, threadOK := Thread()
	_, processOK := Process()
	for _, c := range []struct {
		name  string
		clock func() (time.Duration, bool)
		ok    bool
		bench func(b *testing.B, spin func())
	}{
		{"ThreadLoop", Thread, threadOK, func(b *testing.B, spin func()) { ThreadLoop(b, spin) }},
		{"MeasureThread", Thread, threadOK, func(b *testing.B, spin func()) {
			defer MeasureThread(b)()
			for range b.N { // the classic loop: b.N is set before the call
				spin()
			}
		}},
		{"ProcessLoop", Process, processOK, func(b *testing.B, spin func()) { ProcessLoop(b, spin) }},
		{"MeasureProcess", Process, processOK, func(b *testing.B, spin func()) {
			stop := MeasureProcess(b)
			for b.Loop() {
				spin()
			}
			stop()
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runBench(t, func(b *testing.B) {
				c.bench(b, func() { spinUntil(b, c.clock, spinFor) })
			})
			checkMetric(t, r, c.ok)
		})
	}
}

func TestReportPerOp(t *testing.T) {
	r := runBench(t, func(b *testing.B) {
		for b.Loop() {
		}
		ReportPerOp(b, benchN*1500*time.Nanosecond)
	})
	if got := r.Extra[Metric]; got != 1500 {
		t.Fatalf("%s = %v, want 1500", Metric, got)
	}
}
