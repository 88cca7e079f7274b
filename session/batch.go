package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/x3dh"
)

// MaxBatchRun is the number of messages DecryptBatch decrypts in one
// transaction at most: it holds their plaintexts until their handlers have
// run, and a longer batch commits every MaxBatchRun messages.
const MaxBatchRun = 1024

// DecryptBatch decrypts messages of one sender, in order, as a catch-up
// after a time offline does: where DecryptWith takes the address's lock,
// loads the record, runs its handler and stores the record once per
// message, DecryptBatch does that once for the whole batch (up to
// MaxBatchRun messages: one lock, one transaction with a Locker session
// store, one load and one store of the record), so that a message costs
// about what it costs in memory.
//
// handle runs once per decrypted message, in order, with the message's
// index in msgs and its plaintext, before anything is stored: at-least-once
// delivery, as with DecryptWith. The handlers of a batch all run before its
// commit, inside the store's lock (with a Locker store: in its
// transaction). If the commit fails, DecryptBatch returns the error and the
// messages count as not decrypted: the app delivers them again, and their
// handlers run again. A handler must therefore be idempotent per message
// (the app's own storage, keyed by message), must copy a plaintext it keeps
// (DecryptBatch clears the plaintexts of messages it did not commit), and
// must not call the Manager for addr.
//
// DecryptBatch returns how many messages, from the start of msgs, were
// decrypted and committed: n == len(msgs) and a nil error when all were.
// Otherwise err says why message n was not: it did not decrypt (the errors
// of Decrypt: ErrDuplicateMessage, ErrInvalidMessage, ...), its handler
// returned err, or the commit failed. Messages before n are committed;
// message n and those after it are left as they were, for a retry: after a
// message that cannot decrypt (a duplicate, say), the app usually drops it
// and calls DecryptBatch again with msgs[n+1:].
//
// The batch keeps Decrypt's guarantees: a message that does not decrypt
// changes nothing; the peer's identity is checked against the identity
// store (a batch whose messages come from a state with an identity the
// store does not trust fails at its first message with
// *UntrustedIdentityError); PreKey messages may be part of a batch. A
// PreKey message that starts a new session (consuming prekeys) and a
// message that switches to a state with another identity key each start a
// new transaction, committed separately: n counts across them. With a
// Snapshotter session store (sqlstore on SQLite) the decrypts run on a
// snapshot, outside the store's lock, which DecryptBatch takes only to run
// the handlers and commit; if another process changed the record
// meanwhile, the batch is decrypted again (handlers have not run yet).
func (m *Manager) DecryptBatch(ctx context.Context, addr Address, msgs []Message, handle func(i int, plaintext []byte) error) (n int, err error) {
	if handle == nil {
		return 0, errors.New("session: DecryptBatch needs a handler")
	}
	for n < len(msgs) {
		run := msgs[n:min(len(msgs), n+MaxBatchRun)]
		base := n
		k, err := m.decryptRun(ctx, addr, run, func(i int, pt []byte) error { return handle(base+i, pt) })
		n += k
		if err != nil {
			return n, err
		}
		if k == 0 {
			// decryptRun commits at least one message or fails.
			return n, errors.New("session: DecryptBatch made no progress")
		}
	}
	return n, nil
}

// batchPlan is what the decrypts of a run computed, before anything is
// written: the record after the first k messages, the prekeys they
// consumed, their plaintexts and the peer identity of the run.
type batchPlan struct {
	rec      *Record
	consumed Consumed
	pts      [][]byte
	identity curve.PublicKey
	// err is why message k was not decrypted; nil if the run ended at a
	// boundary (a new session, another identity) or with the messages.
	err error
	// redo: rec holds the change of message k too (the boundary was found
	// after its decrypt): rec must be derived again from the stored record
	// with the first k messages.
	redo bool
}

func (p *batchPlan) k() int { return len(p.pts) }

// clearFrom clears the plaintexts of messages i and after.
func (p *batchPlan) clearFrom(i int) {
	for _, pt := range p.pts[i:] {
		clear(pt)
	}
}

// batchCompute decrypts msgs in order on rec (the stored record, nil if
// none), stopping at the first message that fails or that must start a
// new run. It may read the other stores and writes nothing.
func (m *Manager) batchCompute(ctx context.Context, addr Address, rec *Record, msgs []Message) *batchPlan {
	p := &batchPlan{pts: make([][]byte, 0, len(msgs))}
	for i, msg := range msgs {
		var pt []byte
		var c Consumed
		var err error
		newSession := false
		switch msg.Type {
		case TypeSignal:
			pt, rec, err = m.batchSignal(rec, msg.Body)
		case TypePreKey:
			pt, rec, c, newSession, err = m.batchPreKey(ctx, addr, rec, msg.Body, i == 0)
		default:
			err = fmt.Errorf("%w: unknown message type %d", ErrInvalidMessage, msg.Type)
		}
		if err != nil {
			if !errors.Is(err, errNewRun) {
				p.err = err
			}
			break
		}
		id := rec.current.remoteIdentity
		if i > 0 && (newSession || !id.Equal(p.identity)) {
			clear(pt)
			p.redo = true
			break
		}
		p.rec, p.identity = rec, id
		if !c.IsZero() {
			p.consumed = c // only the run's first message starts a session
		}
		p.pts = append(p.pts, pt)
	}
	return p
}

// errNewRun stops a run before a message that must start the next one.
var errNewRun = errors.New("session: new run")

func (m *Manager) batchSignal(rec *Record, body []byte) ([]byte, *Record, error) {
	sm, err := wire.ParseSignalMessage(body)
	if err != nil {
		return nil, rec, parseErr(err)
	}
	if rec == nil || (!rec.HasCurrentState() && len(rec.previous) == 0) {
		return nil, rec, ErrNoSession
	}
	pt, err := rec.decrypt(sm)
	return pt, rec, err
}

// batchPreKey decrypts a PreKey message of a batch, as decryptPreKey does.
// A message that starts a new session does so only as the first message of
// a run (first): otherwise it returns errNewRun, before any change.
func (m *Manager) batchPreKey(ctx context.Context, addr Address, rec *Record, body []byte, first bool) (pt []byte, _ *Record, c Consumed, newSession bool, err error) {
	pm, err := wire.ParsePreKeySignalMessage(body)
	if err != nil {
		return nil, rec, c, false, parseErr(err)
	}
	if x3dh.Version(pm.Version) < m.minVersion {
		return nil, rec, c, false, fmt.Errorf("%w: version %d PreKey message, the minimum is %d", ErrMinimumVersion, pm.Version, m.minVersion)
	}
	if pm.Inner.Version != pm.Version {
		return nil, rec, c, false, fmt.Errorf("%w: inner message version %d in a version %d PreKey message", ErrInvalidMessage, pm.Inner.Version, pm.Version)
	}
	identity, err := curve.ParsePublicKey(pm.IdentityKey)
	if err != nil {
		return nil, rec, c, false, fmt.Errorf("%w: identity key: %w", ErrInvalidMessage, err)
	}
	baseKey, err := curve.ParsePublicKey(pm.BaseKey)
	if err != nil {
		return nil, rec, c, false, fmt.Errorf("%w: base key: %w", ErrInvalidMessage, err)
	}
	if rec != nil {
		if i, s := rec.findBaseKey(pm.Version, pm.BaseKey); s != nil {
			if !identity.Equal(s.remoteIdentity) {
				return nil, rec, c, false, &UntrustedIdentityError{Address: addr, Identity: identity}
			}
			b := newBudget()
			if pt, err = s.decrypt(&pm.Inner, &b); err != nil {
				return nil, rec, c, false, err
			}
			if i >= 0 {
				if err := rec.promote(i, s); err != nil {
					clear(pt)
					return nil, rec, c, false, err
				}
			}
			return pt, rec, c, false, nil
		}
	}
	if !first {
		return nil, rec, c, false, errNewRun
	}
	if rec == nil {
		rec = NewRecord()
	}
	if err := m.untrusted(ctx, addr, identity, Receiving); err != nil {
		return nil, rec, c, false, err
	}
	s, consumed, err := m.respond(ctx, pm, identity, baseKey)
	if err != nil {
		return nil, rec, c, false, err
	}
	b := newBudget()
	if pt, err = s.decrypt(&pm.Inner, &b); err != nil {
		return nil, rec, c, false, err
	}
	if err := rec.setNew(s); err != nil {
		clear(pt)
		return nil, rec, c, false, err
	}
	return pt, rec, consumed, true, nil
}

// decryptRun decrypts a prefix of msgs in one lock and one transaction and
// returns its length (at least 1 unless err is not nil).
func (m *Manager) decryptRun(ctx context.Context, addr Address, msgs []Message, handle func(int, []byte) error) (int, error) {
	defer m.lock(addr)()
	if snap, ok := m.stores.Sessions.(Snapshotter); ok && snap.OptimisticDecrypt() {
		for range MaxSnapshotRetries {
			rec, token, err := snap.LoadSessionSnapshot(ctx, addr)
			if err != nil {
				return 0, fmt.Errorf("session: session store: %w", err)
			}
			p := m.batchCompute(ctx, addr, rec, msgs)
			if p.k() == 0 {
				// As in receive: a verdict on an out-of-date snapshot
				// is not final.
				if changed, cerr := snap.SessionChanged(ctx, addr, token); cerr == nil && changed {
					continue
				}
				return 0, p.err
			}
			n, err := m.commitRun(ctx, addr, msgs, handle, func(lctx context.Context) (*batchPlan, error) {
				changed, err := snap.SessionChanged(lctx, addr, token)
				if err != nil {
					return p, fmt.Errorf("session: session store: %w", err)
				}
				if changed {
					return p, errSnapshotChanged
				}
				return p, nil
			})
			p.clearFrom(n) // if the lock failed, commitRun saw no plan
			if !errors.Is(err, errSnapshotChanged) {
				return n, err
			}
		}
	}
	return m.commitRun(ctx, addr, msgs, handle, func(lctx context.Context) (*batchPlan, error) {
		rec, err := m.stores.Sessions.LoadSession(lctx, addr)
		if err != nil {
			return nil, fmt.Errorf("session: session store: %w", err)
		}
		return m.batchCompute(lctx, addr, rec, msgs), nil
	})
}

// commitRun takes the store's lock and, in it, gets the run's plan (plan
// may fail with errSnapshotChanged), runs the trust check, the handlers and
// the writes, and commits. It returns how many messages it committed and
// why the run ended before the end of msgs, if it did.
func (m *Manager) commitRun(ctx context.Context, addr Address, msgs []Message, handle func(int, []byte) error, plan func(lctx context.Context) (*batchPlan, error)) (n int, err error) {
	var p *batchPlan
	lctx, unlock, err := m.storeLock(ctx, addr)
	if err != nil {
		return 0, err
	}
	var stop error // why the run ended early: not a reason to roll back
	defer func() {
		unlock(&err) // commits if err is nil
		if err != nil {
			n = 0
		} else {
			err = stop
		}
		if p != nil {
			p.clearFrom(n) // no plaintext of an uncommitted message stays
		}
	}()
	if p, err = plan(lctx); err != nil {
		return 0, err
	}
	if p.k() == 0 {
		return 0, p.err
	}
	n, stop = p.k(), p.err
	if err := m.untrusted(lctx, addr, p.identity, Receiving); err != nil {
		return 0, err
	}
	for i, pt := range p.pts {
		if err := handle(i, pt); err != nil {
			if i == 0 {
				return 0, err
			}
			n, stop = i, err
			break
		}
	}
	rec, consumed := p.rec, p.consumed
	if n < p.k() || p.redo {
		// The record holds more than the first n messages: derive it
		// again from the stored one (unchanged: the lock is held, and a
		// snapshot was checked) with those.
		stored, err := m.stores.Sessions.LoadSession(lctx, addr)
		if err != nil {
			return 0, fmt.Errorf("session: session store: %w", err)
		}
		q := m.batchCompute(lctx, addr, stored, msgs[:n])
		q.clearFrom(0)
		if q.k() != n || q.redo {
			return 0, fmt.Errorf("session: batch: %d of %d messages decrypted again (%v)", q.k(), n, q.err)
		}
		rec, consumed = q.rec, q.consumed
	}
	if err := m.stores.Identity.SaveIdentity(lctx, addr, p.identity); err != nil {
		return 0, fmt.Errorf("session: identity store: %w", err)
	}
	if err := m.stores.Sessions.StoreSession(lctx, addr, rec, consumed); err != nil {
		return 0, fmt.Errorf("session: session store: %w", err)
	}
	return n, nil
}
