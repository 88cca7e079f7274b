package spqr

import (
	"bytes"
	"errors"
	"testing"
)

// TestRecvWithin: the step bound refuses a key further ahead than maxSteps
// before taking a step, and the steps taken are reported.
func TestRecvWithin(t *testing.T) {
	a := mustState(t, Params{Direction: A2B, Version: V1, MinVersion: V1, AuthKey: testAuthKey})
	b := mustState(t, Params{Direction: B2A, Version: V1, MinVersion: V1, AuthKey: testAuthKey})
	var msgs, keys [][]byte
	for range 10 {
		var m, k []byte
		var err error
		if a, m, k, err = a.Send(); err != nil {
			t.Fatal(err)
		}
		msgs, keys = append(msgs, m), append(keys, k)
	}
	last, err := ParseMessage(msgs[9])
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := b.RecvWithin(msgs[9], last.Index-1); !errors.Is(err, ErrKeyJump) {
		t.Fatalf("index %d with %d steps allowed: %v", last.Index, last.Index-1, err)
	}
	next, k, steps, err := b.RecvWithin(msgs[9], last.Index)
	if err != nil || !bytes.Equal(k, keys[9]) || steps != last.Index {
		t.Fatalf("index %d: %d steps, %v", last.Index, steps, err)
	}
	// A skipped key costs no step.
	if _, k, steps, err := next.RecvWithin(msgs[3], 0); err != nil || !bytes.Equal(k, keys[3]) || steps != 0 {
		t.Fatalf("skipped key: %d steps, %v", steps, err)
	}
}
