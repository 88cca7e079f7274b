//go:build unix

package x3dh_test

import (
	"syscall"
	"time"
)

// processCPUTime returns the user and system CPU time of the process. The
// benchmarks report it per operation ("cpu-ns/op") because on a shared,
// oversubscribed machine wall-clock time mostly measures the scheduler.
func processCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
