package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/ratchet"
	"github.com/forwardsecret/signal/spqr"
)

// Work bounds of one decrypt (invariant 7: the work that one forged message
// can cause is bounded whatever the record holds). A message is tried
// against the current state and then the archived ones, and all of those
// attempts draw on one budget, so a record with MaxArchivedStates archived
// states costs a forger no more than one legitimate message that jumps
// ratchet.MaxForwardJump messages ahead.
const (
	// MaxDecryptWork is the Double Ratchet work one decrypt may do over all
	// the states it tries, counted in HMAC-SHA256 computations of the
	// chain (ratchet.Cost.Work), with NewChainWork for each DH ratchet
	// step and ArchivedStateWork for each archived state read: enough for
	// one jump of ratchet.MaxForwardJump messages on a new chain.
	MaxDecryptWork = ratchet.MaxForwardJump + 1 + ratchet.MaxSkippedKeysPerChain + 1 + NewChainWork
	// NewChainWork is what an attempt that starts a new receiving chain (a
	// key generation and two X25519: about 350 chain HMACs' worth, measured
	// by BenchmarkBudgetUnits) is charged against MaxDecryptWork.
	NewChainWork = 384
	// ArchivedStateWork is what reading one archived state (parsing it, and
	// in v4 its SPQR state: 10 to 25 chain HMACs' worth) is charged against
	// MaxDecryptWork.
	ArchivedStateWork = 32
	// MaxDecryptSPQRSteps is the number of SPQR chain steps one decrypt may
	// take over all the states it tries: one jump of spqr.DefaultMaxJump.
	MaxDecryptSPQRSteps = spqr.DefaultMaxJump
	// MaxSnapshotRetries is how many times a decrypt over a Snapshotter
	// session store starts again when the record changed under it before
	// it decrypts under the store's lock.
	MaxSnapshotRetries = 3
)

// Decrypt decrypts a message from addr. The new session state is written to
// the store before the plaintext is returned; a failed decrypt writes
// nothing.
//
// Errors: ErrInvalidMessage (malformed, or no session state authenticates
// it), ErrDuplicateMessage, ErrNoSession, ErrInvalidPreKeyID, ErrVersion,
// ErrMinimumVersion, *UntrustedIdentityError, and the bound errors
// (*ratchet.LimitError or *spqr.KeyError, wrapped with ErrInvalidMessage)
// for messages beyond the ratchet's limits or the decrypt's work budget
// (MaxDecryptWork, MaxDecryptSPQRSteps).
func (m *Manager) Decrypt(ctx context.Context, addr Address, msg Message) ([]byte, error) {
	return m.decrypt(ctx, addr, msg, nil)
}

// DecryptWith decrypts a message from addr like Decrypt, but hands the
// plaintext to handle before the new session state is stored: if handle
// returns an error, nothing is stored and DecryptWith returns that error, so
// the same message can be decrypted again later. This gives at-least-once
// delivery to the app: a crash between decrypting and the app saving the
// message can never lose it. handle runs while the address is locked (with
// a Locker session store, inside its lock: a database transaction); it must
// not call the Manager for the same address. With a Snapshotter session
// store, handle may run more than once for one call when another process
// changed the session meanwhile; only the last run's commit counts.
func (m *Manager) DecryptWith(ctx context.Context, addr Address, msg Message, handle func(plaintext []byte) error) error {
	_, err := m.decrypt(ctx, addr, msg, handle)
	return err
}

func (m *Manager) decrypt(ctx context.Context, addr Address, msg Message, handle func([]byte) error) ([]byte, error) {
	var pt []byte
	var err error
	switch msg.Type {
	case TypeSignal:
		pt, err = m.decryptSignal(ctx, addr, msg.Body, handle)
	case TypePreKey:
		pt, err = m.decryptPreKey(ctx, addr, msg.Body, handle)
	default:
		err = fmt.Errorf("%w: unknown message type %d", ErrInvalidMessage, msg.Type)
	}
	if err != nil {
		clear(pt)
		return nil, err // no plaintext leaves a decrypt that did not commit
	}
	return pt, nil
}

func parseErr(err error) error {
	if errors.Is(err, wire.ErrLegacyVersion) || errors.Is(err, wire.ErrUnknownVersion) {
		return fmt.Errorf("%w: %w", ErrVersion, err)
	}
	return fmt.Errorf("%w: %w", ErrInvalidMessage, err)
}

// received is what a successful decrypt computed, before anything is
// written: the new record, the prekeys it consumed and the plaintext.
type received struct {
	rec      *Record
	consumed Consumed
	pt       []byte
}

// errSnapshotChanged ends a commit whose snapshot is out of date.
var errSnapshotChanged = errors.New("session: record changed since the snapshot")

// receive runs one decrypt from addr: compute derives the new record from
// the stored one (nil if there is none) and may read the other stores but
// writes nothing; then commitReceived writes it. With a Snapshotter session
// store, compute runs outside the store's lock on a snapshot, and the
// commit happens under the lock only if the record is unchanged; otherwise
// (and with any other store) everything runs under the lock.
func (m *Manager) receive(ctx context.Context, addr Address, handle func([]byte) error, compute func(ctx context.Context, rec *Record) (received, error)) (_ []byte, err error) {
	defer m.lock(addr)()
	if snap, ok := m.stores.Sessions.(Snapshotter); ok && snap.OptimisticDecrypt() {
		for range MaxSnapshotRetries {
			rec, token, err := snap.LoadSessionSnapshot(ctx, addr)
			if err != nil {
				return nil, fmt.Errorf("session: session store: %w", err)
			}
			r, err := compute(ctx, rec)
			if err != nil {
				// A verdict on a snapshot that another process has
				// since replaced (it may have consumed the prekey this
				// message names, storing the session that decrypts it)
				// is not final: start again.
				if changed, cerr := snap.SessionChanged(ctx, addr, token); cerr == nil && changed {
					continue
				}
				return nil, err
			}
			if err := m.commitSnapshot(ctx, addr, snap, token, r, handle); !errors.Is(err, errSnapshotChanged) {
				return r.pt, err
			}
			clear(r.pt)
		}
	}
	ctx, unlock, err := m.storeLock(ctx, addr)
	if err != nil {
		return nil, err
	}
	var r received
	defer unlock(&err)
	rec, err := m.stores.Sessions.LoadSession(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("session: session store: %w", err)
	}
	if r, err = compute(ctx, rec); err != nil {
		return nil, err
	}
	err = m.commitReceived(ctx, addr, r, handle)
	return r.pt, err
}

// commitSnapshot commits r under the store's lock if the record of addr is
// still the snapshot that token names, and fails with errSnapshotChanged
// otherwise.
func (m *Manager) commitSnapshot(ctx context.Context, addr Address, snap Snapshotter, token []byte, r received, handle func([]byte) error) (err error) {
	ctx, unlock, err := m.storeLock(ctx, addr)
	if err != nil {
		return err
	}
	defer unlock(&err)
	changed, err := snap.SessionChanged(ctx, addr, token)
	if err != nil {
		return fmt.Errorf("session: session store: %w", err)
	}
	if changed {
		return errSnapshotChanged
	}
	return m.commitReceived(ctx, addr, r, handle)
}

// commitReceived ends every successful decrypt: the trust decision, the
// app's handler (DecryptWith), then one write of the identity and one of the
// record with the prekeys it consumed.
func (m *Manager) commitReceived(ctx context.Context, addr Address, r received, handle func([]byte) error) error {
	remote := r.rec.current.remoteIdentity
	if err := m.untrusted(ctx, addr, remote, Receiving); err != nil {
		return err
	}
	if handle != nil {
		if err := handle(r.pt); err != nil {
			return err
		}
	}
	if err := m.stores.Identity.SaveIdentity(ctx, addr, remote); err != nil {
		return fmt.Errorf("session: identity store: %w", err)
	}
	if err := m.stores.Sessions.StoreSession(ctx, addr, r.rec, r.consumed); err != nil {
		return fmt.Errorf("session: session store: %w", err)
	}
	return nil
}

func (m *Manager) decryptSignal(ctx context.Context, addr Address, body []byte, handle func([]byte) error) ([]byte, error) {
	sm, err := wire.ParseSignalMessage(body)
	if err != nil {
		return nil, parseErr(err)
	}
	return m.receive(ctx, addr, handle, func(_ context.Context, rec *Record) (received, error) {
		if rec == nil || (!rec.HasCurrentState() && len(rec.previous) == 0) {
			return received{}, ErrNoSession
		}
		pt, err := rec.decrypt(sm)
		if err != nil {
			return received{}, err
		}
		return received{rec: rec, pt: pt}, nil
	})
}

// errProbe fails the MAC check of a Decrypt that only asks for its verdict.
var errProbe = errors.New("session: probe")

// budget is what is left of one decrypt's work bounds.
type budget struct {
	work      uint32 // against MaxDecryptWork
	spqrSteps uint32 // against MaxDecryptSPQRSteps
}

func newBudget() budget {
	return budget{work: MaxDecryptWork, spqrSteps: MaxDecryptSPQRSteps}
}

// overBudget is the error of an attempt that would need more than what is
// left of MaxDecryptWork.
func (b *budget) overBudget(need uint32) error {
	return fmt.Errorf("%w: %w", ErrInvalidMessage, &ratchet.LimitError{
		Err: ratchet.ErrForwardJumpTooLarge, Limit: "MaxDecryptWork", Max: MaxDecryptWork, Got: uint64(MaxDecryptWork-b.work) + uint64(need),
	})
}

// decrypt tries sm against the current state, then against the archived
// states whose receiving chains know its ratchet key, then against the
// other archived states, newest first, all on one budget, and promotes the
// archived state that decrypts. r changes only on success.
//
// Trying the current state first keeps the common case (a message of the
// current session) free of archive parsing. The price is that a message of
// an archived state's chain pays for the current state's attempt too: with
// counters above about MaxForwardJump/2 it can run out of budget, which a
// real conversation (thousands of messages in flight on an archived
// session) does not reach.
func (r *Record) decrypt(sm *wire.ReceivedSignalMessage) ([]byte, error) {
	b := newBudget()
	var firstErr error
	// note records an attempt's failure; it reports whether to stop.
	note := func(err error) bool {
		if errors.Is(err, ErrDuplicateMessage) {
			firstErr = err
			return true
		}
		if firstErr == nil {
			firstErr = err
		}
		return false
	}
	if r.current != nil {
		pt, err := r.current.decrypt(sm, &b)
		if err == nil {
			return pt, nil
		}
		if note(err) {
			return nil, err
		}
	}
	if len(r.previous) > 0 {
		h, err := headerOf(sm)
		if err != nil {
			return nil, err
		}
		// Read the archived states the budget allows.
		states := make([]*state, 0, len(r.previous))
		for i := range r.previous {
			if b.work < ArchivedStateWork {
				if firstErr == nil {
					firstErr = b.overBudget(ArchivedStateWork)
				}
				break
			}
			b.work -= ArchivedStateWork
			s, err := r.archived(i)
			if err != nil {
				s = nil // an unreadable archived state cannot decrypt anything
			}
			states = append(states, s)
		}
		// Archived states whose chains know the ratchet key first, then
		// the others.
		for _, newChain := range []bool{false, true} {
			for i, s := range states {
				if s == nil || s.ratchet.Cost(h).NewChain != newChain {
					continue
				}
				pt, err := s.decrypt(sm, &b)
				if err != nil {
					if note(err) {
						return nil, err
					}
					continue
				}
				if err := r.promote(i, s); err != nil {
					return nil, err
				}
				return pt, nil
			}
		}
	}
	if firstErr == nil {
		firstErr = ErrNoSession
	}
	if errors.Is(firstErr, ErrInvalidMessage) || errors.Is(firstErr, ErrNoSession) || errors.Is(firstErr, ErrDuplicateMessage) {
		return nil, firstErr
	}
	return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, firstErr)
}

// headerOf returns the Double Ratchet header of a received message.
func headerOf(sm *wire.ReceivedSignalMessage) (ratchet.Header, error) {
	rk, err := curve.ParsePublicKey(sm.RatchetKey)
	if err != nil {
		return ratchet.Header{}, fmt.Errorf("%w: ratchet key: %w", ErrInvalidMessage, err)
	}
	return ratchet.Header{RatchetKey: rk, Counter: sm.Counter, PreviousCounter: sm.PreviousCounter}, nil
}

// decrypt decrypts sm with s, drawing on b; s changes only on success.
//
// libsignal looks the message key up in the Double Ratchet before SPQR, so
// a message whose key was already used is a duplicate whatever its SPQR
// field says; the lookup (ratchet.State.Cost) needs no cryptography.
func (s *state) decrypt(sm *wire.ReceivedSignalMessage, b *budget) ([]byte, error) {
	if sm.Version != s.version {
		return nil, fmt.Errorf("%w: message version %d, session version %d", ErrInvalidMessage, sm.Version, s.version)
	}
	if s.ratchet.RatchetKey().IsZero() {
		return nil, fmt.Errorf("%w: state has no sending chain", ErrInvalidMessage)
	}
	h, err := headerOf(sm)
	if err != nil {
		return nil, err
	}
	r := s.ratchet
	cost := r.Cost(h)
	if cost.Duplicate {
		// Decrypt refuses it before any cryptography, with the error that
		// says why (used, or dropped under MaxSkippedKeysPerChain).
		_, err := r.Decrypt(nil, h, sm.Ciphertext, nil, func(*ratchet.MACKey) error { return errProbe })
		if errors.Is(err, ratchet.ErrDuplicateMessage) {
			return nil, fmt.Errorf("%w: %w", ErrDuplicateMessage, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	work := cost.Work
	if cost.NewChain {
		work += NewChainWork
	}
	if work > b.work {
		return nil, b.overBudget(work)
	}
	pqNext, salt, pqSteps, err := s.pq.RecvWithin(sm.PQRatchet, b.spqrSteps)
	if err != nil {
		if b.spqrSteps < MaxDecryptSPQRSteps && errors.Is(err, spqr.ErrKeyJump) {
			return nil, fmt.Errorf("%w: post-quantum ratchet: %w (MaxDecryptSPQRSteps: %d, left: %d)", ErrInvalidMessage, err, MaxDecryptSPQRSteps, b.spqrSteps)
		}
		return nil, fmt.Errorf("%w: post-quantum ratchet: %w", ErrInvalidMessage, err)
	}
	b.spqrSteps -= pqSteps
	b.work -= work
	pt, err := r.Decrypt(nil, h, sm.Ciphertext, salt, func(k *ratchet.MACKey) error {
		return r.VerifySignalMAC(k, s.remoteIdentity, s.localIdentity, sm.MACInput, sm.MAC[:])
	})
	if err != nil {
		if errors.Is(err, ratchet.ErrDuplicateMessage) {
			return nil, fmt.Errorf("%w: %w", ErrDuplicateMessage, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	s.pending = nil // the peer has answered
	s.pq = pqNext
	return pt, nil
}
