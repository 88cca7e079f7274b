//go:build !unix

package cputime

import "time"

// Process would return the process's user and system CPU time; outside Unix
// it is not measured and ok is false.
func Process() (d time.Duration, ok bool) { return 0, false }
