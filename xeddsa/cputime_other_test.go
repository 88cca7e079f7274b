//go:build !linux

package xeddsa_test

import "time"

// threadCPU falls back to wall-clock time where no per-thread CPU clock is
// wired up.
func threadCPU() time.Duration { return time.Duration(time.Now().UnixNano()) }
