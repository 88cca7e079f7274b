//go:build !linux

package cputime

import "time"

// Thread would return the calling OS thread's CPU time; outside Linux it is
// not measured and ok is false.
func Thread() (d time.Duration, ok bool) { return 0, false }

// Machine would return the busy time of all CPUs; outside Linux it is not
// measured and ok is false.
func Machine() (d time.Duration, ok bool) { return 0, false }
