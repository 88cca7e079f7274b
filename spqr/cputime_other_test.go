//go:build !linux

package spqr

import "testing"

// reportCPU runs the benchmark loop body f (thread CPU time is reported
// on Linux only).
func reportCPU(b *testing.B, f func()) {
	for b.Loop() {
		f()
	}
}
