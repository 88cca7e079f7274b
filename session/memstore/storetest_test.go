package memstore_test

import (
	"context"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/session/storetest"
	"github.com/forwardsecret/signal/x3dh"
)

// TestConformance runs the store conformance suite against memstore. A
// restart is a new Manager over the same Store (Reopen is nil): memstore is
// one process's memory.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, id *curve.IdentityKeyPair, regID uint32) storetest.Device {
		st := memstore.New(id, regID)
		return storetest.Device{
			Stores: session.StoresOf(st),
			AddPreKey: func(_ context.Context, k *x3dh.OneTimePreKey) error {
				st.AddPreKey(k)
				return nil
			},
			AddSignedPreKey: func(_ context.Context, k *x3dh.SignedPreKey) error {
				st.AddSignedPreKey(k)
				return nil
			},
			AddKEMPreKey: func(_ context.Context, k *x3dh.KEMPreKey, lastResort bool) error {
				st.AddKEMPreKey(k, lastResort)
				return nil
			},
		}
	})
}
