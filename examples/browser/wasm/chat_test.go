package main

import (
	"context"
	"testing"
)

// TestChat plays the page's script, then turns until SPQR has moved to a
// new epoch, checking every decrypted text; natively and, in CI, as js/wasm
// under Node.
func TestChat(t *testing.T) {
	ctx := context.Background()
	c, err := newChat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	turns, err := c.play(ctx, func(e event) {
		if e.Version != 4 {
			t.Errorf("%s -> %s: version %d, want 4", e.From, e.To, e.Version)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if turns[0].Type != "PreKeySignalMessage" || turns[1].Type != "SignalMessage" {
		t.Errorf("first two messages %s, %s", turns[0].Type, turns[1].Type)
	}
	for i, s := range script {
		if turns[i].Plaintext != s.text {
			t.Errorf("turn %d: %q, want %q", i, turns[i].Plaintext, s.text)
		}
	}
	last := turns[len(turns)-1]
	if last.Epoch <= turns[0].Epoch {
		t.Errorf("SPQR epoch still %d after %d messages", last.Epoch, len(turns))
	}
	t.Logf("%d messages, SPQR epoch %d, bundle %d bytes", len(turns), last.Epoch, c.bundleSize)
}
