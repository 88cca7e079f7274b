package session

import (
	"context"
	"fmt"

	"github.com/forwardsecret/signal/curve"
)

// ArchiveIfCurrent archives the current session with addr if its current
// sending ratchet key is ratchetKey, and reports whether it did. It is the
// sender's side of a decryption-error message (package recovery): the peer
// could not decrypt a message that carried ratchetKey, so if that is still
// the key this device sends with, the session is broken on the peer's side
// and the next Encrypt needs a new bundle (ErrNoSession until ProcessBundle,
// or until the peer's own PreKey message starts a new session).
//
// A key that is not the current one (an error about a message of an older
// ratchet step, or one made up by whoever sent the error), the zero key, a
// missing record and a record without a current state change nothing:
// ArchiveIfCurrent then writes nothing at all and returns false. It runs
// under the address's lock, and with a Locker session store inside its
// lock, like every operation on addr.
//
// The ratchet key is public (every message of the session carries it in
// the clear), so matching it proves nothing about who sent the error: see
// package recovery for what an unauthenticated error can and cannot make a
// device do.
func (m *Manager) ArchiveIfCurrent(ctx context.Context, addr Address, ratchetKey curve.PublicKey) (archived bool, err error) {
	ctx, end, err := m.begin(ctx, addr)
	if err != nil {
		return false, err
	}
	defer func() {
		end(&err)
		if err != nil {
			archived = false // the commit failed: nothing was archived
		}
	}()
	rec, err := m.stores.Sessions.LoadSession(ctx, addr)
	if err != nil {
		return false, fmt.Errorf("session: session store: %w", err)
	}
	if !rec.currentRatchetKeyIs(ratchetKey) {
		return false, nil
	}
	if err := rec.ArchiveCurrentState(); err != nil {
		return false, err
	}
	if err := m.stores.Sessions.StoreSession(ctx, addr, rec, Consumed{}); err != nil {
		return false, fmt.Errorf("session: session store: %w", err)
	}
	return true, nil
}

// currentRatchetKeyIs reports whether r has a current state that has a
// sending chain whose ratchet key is k (libsignal's
// SessionRecord.currentRatchetKeyMatches).
func (r *Record) currentRatchetKeyIs(k curve.PublicKey) bool {
	if !r.HasCurrentState() || k.IsZero() {
		return false
	}
	own := r.current.ratchet.RatchetKey()
	return !own.IsZero() && own.Equal(k)
}
