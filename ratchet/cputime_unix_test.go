//go:build unix

package ratchet

import "syscall"

// processCPU returns the process's user+system CPU time in nanoseconds.
// With GOMAXPROCS=1 (-cpu 1) it measures the benchmark's own work even when
// other processes compete for the machine, where wall time does not.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
