//go:build !linux

package fingerprint

import "testing"

// reportCPU reports nothing where per-thread CPU time is not available.
func reportCPU(*testing.B) func() { return func() {} }
