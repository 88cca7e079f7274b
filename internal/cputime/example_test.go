package cputime_test

import (
	"crypto/sha256"
	"testing"

	"github.com/forwardsecret/signal/internal/cputime"
)

var sink [32]byte

// A benchmark that reports its thread's CPU time per operation next to
// ns/op. (In a _test.go file this is func BenchmarkHash(b *testing.B).)
func ExampleMeasureThread() {
	benchmarkHash := func(b *testing.B) {
		msg := make([]byte, 1024)
		b.ReportAllocs()
		defer cputime.MeasureThread(b)()
		for b.Loop() {
			sink = sha256.Sum256(msg)
		}
	}
	_ = testing.Benchmark(benchmarkHash) // reports cpu-ns/op on Linux
}

// The same with the process clock, which also counts the garbage
// collector's work on other threads, and the loop written by the package.
func ExampleProcessLoop() {
	benchmarkHash := func(b *testing.B) {
		msg := make([]byte, 1024)
		b.ReportAllocs()
		cputime.ProcessLoop(b, func() { sink = sha256.Sum256(msg) })
	}
	_ = testing.Benchmark(benchmarkHash) // reports cpu-ns/op on Unix
}
