//go:build !unix

package cputime

import "testing"

func TestProcessUnavailable(t *testing.T) {
	if d, ok := Process(); ok || d != 0 {
		t.Fatalf("Process() = %v, %v outside Unix; want 0, false", d, ok)
	}
}
