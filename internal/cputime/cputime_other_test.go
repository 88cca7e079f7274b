//go:build !linux

package cputime

import "testing"

func TestThreadAndMachineUnavailable(t *testing.T) {
	if d, ok := Thread(); ok || d != 0 {
		t.Fatalf("Thread() = %v, %v outside Linux; want 0, false", d, ok)
	}
	if d, ok := Machine(); ok || d != 0 {
		t.Fatalf("Machine() = %v, %v outside Linux; want 0, false", d, ok)
	}
}
