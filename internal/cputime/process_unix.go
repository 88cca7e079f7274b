//go:build unix

package cputime

import (
	"syscall"
	"time"
)

// Process returns the user and system CPU time consumed so far by the whole
// process, every thread and the garbage collector included, from
// getrusage(RUSAGE_SELF) (microsecond resolution). On Linux the time of
// threads running on other CPUs is counted up to their last scheduler tick,
// so a reading can be behind by up to a tick (at most 10ms); over a
// benchmark's many iterations that is noise. ok is false if it cannot be
// read, and on systems other than Unix.
func Process() (d time.Duration, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
