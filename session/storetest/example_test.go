package storetest_test

import (
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/session/storetest"
)

// newDevice makes the stores of one device for the suite, here with package
// memstore. A store that keeps its data elsewhere opens an empty database
// (or key prefix) per device, holding identity and regID, closes it with
// t.Cleanup, and sets Device.Reopen to open the same data again.
func newDevice(t *testing.T, identity *curve.IdentityKeyPair, regID uint32) storetest.Device {
	st := memstore.New(identity, regID)
	return storetest.Device{Stores: session.StoresOf(st), Writer: st}
}

// A store package runs the suite from one of its tests, with a function
// that makes the stores of a new device.
func Example() {
	// In a _test.go file of the store's package:
	testConformance := func(t *testing.T) {
		storetest.Run(t, newDevice)
	}
	_ = testConformance
}
