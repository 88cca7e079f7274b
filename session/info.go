package session

import (
	"context"
	"fmt"

	"github.com/forwardsecret/signal/curve"
)

// Info describes the current session state with an address.
type Info struct {
	// Version is the session version: 3 (X3DH) or 4 (PQXDH + SPQR).
	Version int
	// RemoteIdentity is the peer's identity key that the session was made
	// with (from the bundle or the PreKey message).
	RemoteIdentity curve.PublicKey
	// RemoteRegistrationID is the peer device's registration id, from its
	// bundle or its PreKey message. A different one in a later bundle of
	// the same address means the device was reinstalled.
	RemoteRegistrationID uint32
	// Acknowledged reports whether the peer has answered (no more PreKey
	// messages are sent).
	Acknowledged bool
	// SPQREpoch is the sparse post-quantum ratchet's epoch (0 in v3): it
	// advances with each completed ML-KEM exchange.
	SPQREpoch uint64
	// ArchivedStates is the number of earlier states the record keeps.
	ArchivedStates int
}

// Info returns facts about the current session with addr, or ErrNoSession.
func (m *Manager) Info(ctx context.Context, addr Address) (Info, error) {
	defer m.lock(addr)()
	rec, err := m.stores.Sessions.LoadSession(ctx, addr)
	if err != nil {
		return Info{}, fmt.Errorf("session: session store: %w", err)
	}
	if !rec.HasCurrentState() {
		return Info{}, ErrNoSession
	}
	s := rec.current
	return Info{
		Version:              int(s.version),
		RemoteIdentity:       s.remoteIdentity,
		RemoteRegistrationID: s.remoteRegID,
		Acknowledged:         s.pending == nil,
		SPQREpoch:            s.pq.Epoch(),
		ArchivedStates:       len(rec.previous),
	}, nil
}
