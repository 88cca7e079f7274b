//go:build linux

package spqr

import (
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// reportCPU runs the benchmark loop body f on a locked OS thread and
// reports that thread's CPU time per operation as "cpu-ns/op". On a shared,
// overloaded machine wall time mostly measures the scheduler; thread CPU
// time does not (it excludes background GC work on other threads).
func reportCPU(b *testing.B, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPU()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	if n > 0 {
		b.ReportMetric(float64(threadCPU()-start)/float64(n), "cpu-ns/op")
	}
}

// threadCPU reads CLOCK_THREAD_CPUTIME_ID.
func threadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}
