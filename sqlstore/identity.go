package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/prekey"
)

// LoadOrCreateIdentity returns the device's identity key pair and
// registration id: on first start (a database without an identity) it
// generates both (curve.GenerateIdentityKeyPair and
// prekey.NewRegistrationID) and stores them; after that it returns the
// stored ones. Several processes that start on one empty database at once
// get the same identity: the first to store one wins. Use Init instead to
// store an identity made elsewhere (a restored or linked device).
func (s *Store) LoadOrCreateIdentity(ctx context.Context) (*curve.IdentityKeyPair, uint32, error) {
	id, regID, err := s.localIdentity(ctx)
	if !errors.Is(err, ErrNoIdentity) {
		return id, regID, err
	}
	id, err = curve.GenerateIdentityKeyPair()
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: new identity: %w", err)
	}
	regID = prekey.NewRegistrationID()
	priv := id.PrivateKey().Bytes()
	defer clear(priv)
	err = s.write(ctx, func(q querier) error {
		// Does nothing if another process stored an identity meanwhile.
		if _, err := q.ExecContext(ctx, s.sql(qIdentityInsert), priv, int64(regID)); err != nil {
			return fmt.Errorf("sqlstore: new identity: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return s.localIdentity(ctx)
}

// OpenDevice opens the database dsn with driverName, as Open does, and on
// first start (a database without an identity) generates the device's
// identity key pair and registration id and stores them
// (LoadOrCreateIdentity): one call that opens this device, or creates it.
// Packages sqlstore/sqlite and sqlstore/postgres offer it with their driver.
func OpenDevice(ctx context.Context, driverName, dsn string) (*Store, error) {
	st, err := Open(ctx, driverName, dsn)
	if err != nil {
		return nil, err
	}
	if _, _, err := st.LoadOrCreateIdentity(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}
