//go:build !linux

package session_test

import "time"

// processCPU is not measured where getrusage is not used.
func processCPU() (time.Duration, bool) { return 0, false }

// machineCPU is not measured outside Linux.
func machineCPU() (time.Duration, bool) { return 0, false }
