package memstore_test

import (
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/memstore"
	"github.com/forwardsecret/signal/session/storetest"
)

// device adapts st to the suite. With snapshots, a restart carries the
// store over in a snapshot (MarshalBinary, then Unmarshal), as an app that
// keeps its memstore in a file does. A restored store is a copy, which the
// first does not see, so the suite must not take it for a second handle on
// the same data: the device's stores then hide that they are a
// session.Locker (and the suite uses one Manager at a time). Without
// snapshots, a reopened device is another handle on the same Store, used by
// other Managers at the same time through the Store's locks.
func device(t *testing.T, st *memstore.Store, snapshots bool) storetest.Device {
	var all session.AllStores = st
	if snapshots {
		all = struct{ session.AllStores }{st}
	}
	d := storetest.Device{Stores: session.StoresOf(all), Writer: st}
	if snapshots {
		d.Reopen = func(t *testing.T) storetest.Device {
			snap, err := st.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			restored, err := memstore.Unmarshal(snap)
			if err != nil {
				t.Fatal(err)
			}
			return device(t, restored, true)
		}
	} else {
		d.Reopen = func(t *testing.T) storetest.Device { return device(t, st, false) }
	}
	return d
}

// TestConformance runs the store conformance suite against memstore.
func TestConformance(t *testing.T) {
	for _, snapshots := range []bool{false, true} {
		name := "shared"
		if snapshots {
			name = "snapshots"
		}
		t.Run(name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, id *curve.IdentityKeyPair, regID uint32) storetest.Device {
				return device(t, memstore.New(id, regID), snapshots)
			})
		})
	}
}
