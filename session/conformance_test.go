package session_test

import (
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/session/storetest"
)

// TestConformanceMemstore runs the store conformance suite (storetest.Run,
// DecryptBatch's subtests among them) over memstore from package session's
// own tests. memstore's and sqlstore's packages run it too; running it here
// as well makes the Manager code it reaches, batch.go above all, count as
// covered by this package's tests, which is what mutation testing of the
// package (docs/mutation.md) measures.
func TestConformanceMemstore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, id *curve.IdentityKeyPair, regID uint32) storetest.Device {
		return memDevice(memstore.New(id, regID))
	})
}

// memDevice adapts st to the suite; a reopened device is another handle on
// the same Store.
func memDevice(st *memstore.Store) storetest.Device {
	return storetest.Device{
		Stores: session.StoresOf(st),
		Writer: st,
		Reopen: func(*testing.T) storetest.Device { return memDevice(st) },
	}
}
