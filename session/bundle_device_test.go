package session_test

import (
	"context"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/session"
)

// TestProcessBundleDeviceMismatch: a bundle of one device processed for the
// address of another is refused before anything is stored, and the same
// bundle for its own device's address is accepted.
func TestProcessBundleDeviceMismatch(t *testing.T) {
	ctx := context.Background()
	alice, bob := newDevice(t, "alice"), newDevice(t, "bob")
	b := bob.bundle(t, true, true) // device 1
	other := session.Address{Name: bob.name, DeviceID: 2}
	err := alice.m.ProcessBundle(ctx, other, b)
	if !errors.Is(err, session.ErrDeviceMismatch) {
		t.Fatalf("ProcessBundle(%s, bundle of device %d) = %v, want ErrDeviceMismatch", other, b.DeviceID, err)
	}
	if ok, err := alice.m.HasSession(ctx, other); ok || err != nil {
		t.Fatalf("HasSession(%s) after the refusal = %v, %v", other, ok, err)
	}
	if _, ok, err := alice.store.Identity(ctx, other); ok || err != nil {
		t.Fatalf("the refused bundle's identity was saved for %s", other)
	}
	if err := alice.m.ProcessBundle(ctx, bob.addr(), b); err != nil {
		t.Fatalf("ProcessBundle(%s): %v", bob.addr(), err)
	}
}
