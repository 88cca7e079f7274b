//go:build linux

package senderkey

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU returns the calling OS thread's user and system CPU time.
func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

// reportCPU locks the benchmark to its OS thread and returns a function to
// call after the loop that reports the thread's CPU time per iteration
// ("cpu-ns/op"). On this shared, oversubscribed machine ns/op mostly
// measures waiting for a CPU; cpu-ns/op leaves that out.
func reportCPU(b *testing.B) func() {
	runtime.LockOSThread()
	start, ok := threadCPU()
	return func() {
		end, ok2 := threadCPU()
		runtime.UnlockOSThread()
		if ok && ok2 && b.N > 0 {
			b.ReportMetric(float64((end-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}
