package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemo runs the demo in both profiles and checks that every step ran,
// the repair of the lost session included.
func TestDemo(t *testing.T) {
	for _, pq := range []bool{true, false} {
		out := filepath.Join(t.TempDir(), "out")
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		stdout := os.Stdout
		os.Stdout = f
		err = run(pq, t.TempDir())
		os.Stdout = stdout
		f.Close()
		if err != nil {
			t.Fatalf("pq=%v: %v", pq, err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"bob cannot decrypt it: session: no session",
			"bob sends alice a decryption-error message: PlaintextContent",
			"so she archives the session",
			`bob decrypts the resent message (PreKeySignalMessage): "Did you get my last message?"`,
			"Conversation complete: every message decrypted.",
		} {
			if !strings.Contains(string(b), want) {
				t.Errorf("pq=%v: the output lacks %q:\n%s", pq, want, b)
			}
		}
	}
}
