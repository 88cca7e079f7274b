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

func TestThreadLoop(t *testing.T) {
	_, ok := Thread()
	r := runBench(t, func(b *testing.B) {
		ThreadLoop(b, func() { spinUntil(b, Thread, spinFor) })
	})
	checkMetric(t, r, ok)
}

func TestMeasureThread(t *testing.T) {
	_, ok := Thread()
	r := runBench(t, func(b *testing.B) {
		defer MeasureThread(b)()
		for range b.N {
			spinUntil(b, Thread, spinFor)
		}
	})
	checkMetric(t, r, ok)
}

func TestProcessLoop(t *testing.T) {
	_, ok := Process()
	r := runBench(t, func(b *testing.B) {
		ProcessLoop(b, func() { spinUntil(b, Process, spinFor) })
	})
	checkMetric(t, r, ok)
}

func TestMeasureProcess(t *testing.T) {
	_, ok := Process()
	r := runBench(t, func(b *testing.B) {
		stop := MeasureProcess(b)
		for b.Loop() {
			spinUntil(b, Process, spinFor)
		}
		stop()
	})
	checkMetric(t, r, ok)
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
