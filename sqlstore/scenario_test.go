package sqlstore

import (
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/session/storetest"
)

// TestConformance runs the store conformance suite on each backend: every
// device gets a fresh database, and Reopen opens another handle (*sql.DB) on
// it, as a restarted or second process of the device would.
func TestConformance(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		storetest.Run(t, func(t *testing.T, id *curve.IdentityKeyPair, regID uint32) storetest.Device {
			driver, dsn := be.newDB(t)
			st := openStore(t, driver, dsn)
			if err := st.Init(t.Context(), id, regID); err != nil {
				t.Fatal(err)
			}
			var device func(*Store) storetest.Device
			device = func(st *Store) storetest.Device {
				return storetest.Device{
					Stores: session.StoresOf(st),
					Writer: st,
					Reopen: func(t *testing.T) storetest.Device { return device(openStore(t, driver, dsn)) },
				}
			}
			return device(st)
		})
	})
}
