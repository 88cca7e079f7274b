// Package cputime measures CPU time for benchmarks.
//
// This machine is shared and oversubscribed, so a benchmark's ns/op mostly
// measures waiting for a CPU. The benchmarks therefore also report
// "cpu-ns/op" (Metric): CPU time per operation, from one of two clocks.
//
//   - Thread: the calling OS thread's CPU time (Linux,
//     CLOCK_THREAD_CPUTIME_ID). The benchmark is locked to its OS thread
//     (runtime.LockOSThread), so the figure is the loop's own work and leaves
//     out the garbage collector's background work on other threads.
//   - Process: the whole process's user+system time (Unix, getrusage
//     RUSAGE_SELF), every thread and the garbage collector included. With
//     -cpu 1 it is the benchmark's own work; in a parallel run it is the sum
//     over all threads.
//
// Each benchmark keeps the clock it was published with: MeasureThread and
// ThreadLoop use Thread, MeasureProcess and ProcessLoop use Process. Where a
// clock is not available they report nothing, and the benchmark runs as
// before.
//
// The package imports testing and is meant for _test.go files only.
package cputime

import (
	"runtime"
	"testing"
	"time"
)

// Metric is the unit under which the CPU time per operation is reported.
const Metric = "cpu-ns/op"

// ReportPerOp reports d divided by b.N as Metric. It reports nothing when
// b.N is not positive.
func ReportPerOp(b *testing.B, d time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), Metric)
	}
}

// MeasureThread locks the calling goroutine to its OS thread and returns a
// function to call after the benchmark loop (typically
// defer cputime.MeasureThread(b)()): it reports the thread's CPU time per
// b.N operations as Metric, where Thread is available, and unlocks the
// thread.
func MeasureThread(b *testing.B) (stop func()) {
	runtime.LockOSThread()
	report := measure(b, Thread)
	return func() {
		report()
		runtime.UnlockOSThread()
	}
}

// MeasureProcess returns a function to call after the benchmark loop that
// reports the process's CPU time since the call per b.N operations as
// Metric, where Process is available.
func MeasureProcess(b *testing.B) (stop func()) {
	return measure(b, Process)
}

// measure reads clock now and returns a function that reports the time
// since then per b.N operations, if clock could be read both times.
func measure(b *testing.B, clock func() (time.Duration, bool)) func() {
	start, ok := clock()
	return func() {
		if end, ok2 := clock(); ok && ok2 {
			ReportPerOp(b, end-start)
		}
	}
}

// ThreadLoop runs f once per b.Loop iteration on a locked OS thread and
// reports the thread's CPU time per iteration as Metric, where Thread is
// available.
func ThreadLoop(b *testing.B, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	loop(b, Thread, f)
}

// ProcessLoop runs f once per b.Loop iteration and reports the process's
// CPU time per iteration as Metric, where Process is available.
func ProcessLoop(b *testing.B, f func()) {
	loop(b, Process, f)
}

// loop runs f once per b.Loop iteration and reports clock's advance per
// iteration, if clock could be read before and after.
func loop(b *testing.B, clock func() (time.Duration, bool), f func()) {
	report := measure(b, clock)
	for b.Loop() {
		f()
	}
	report() // after b.Loop returns false, b.N is the number of iterations
}
