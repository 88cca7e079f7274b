package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/ratchet"
	"github.com/forwardsecret/signal/spqr"
	"github.com/forwardsecret/signal/x3dh"
)

// ProcessBundle starts a session with addr from its prekey bundle. The
// session is v4 (PQXDH) when the bundle has a KEM prekey and v3 (X3DH)
// otherwise. Until the peer answers, Encrypt sends PreKey messages.
//
// It fails with ErrMinimumVersion for a bundle without a KEM prekey when the
// Manager's minimum version (WithMinimumVersion) is x3dh.V4, with
// x3dh.ErrInvalidBundle for a nil bundle, ErrSignature for a bad prekey
// signature and *UntrustedIdentityError when the identity store does not
// trust the bundle's identity key. A bundle whose DeviceID is not
// addr.DeviceID is refused with ErrDeviceMismatch.
func (m *Manager) ProcessBundle(ctx context.Context, addr Address, bundle *x3dh.Bundle) (err error) {
	if bundle == nil {
		return fmt.Errorf("session: %w: nil bundle", x3dh.ErrInvalidBundle)
	}
	if bundle.DeviceID != addr.DeviceID {
		return fmt.Errorf("%w: bundle of device %d processed for %s", ErrDeviceMismatch, bundle.DeviceID, addr)
	}
	v := x3dh.V3
	if bundle.KEMPreKey != nil {
		v = x3dh.V4
	}
	if v < m.minVersion {
		return fmt.Errorf("%w: the bundle of %s has no KEM prekey, which gives a version %d session; the minimum is %d", ErrMinimumVersion, addr, v, m.minVersion)
	}
	ctx, end, err := m.begin(ctx, addr)
	if err != nil {
		return err
	}
	defer end(&err)
	if err := m.untrusted(ctx, addr, bundle.IdentityKey, Sending); err != nil {
		return err
	}
	identity, err := m.stores.Identity.IdentityKeyPair(ctx)
	if err != nil {
		return fmt.Errorf("session: identity store: %w", err)
	}
	regID, err := m.stores.Identity.LocalRegistrationID(ctx)
	if err != nil {
		return fmt.Errorf("session: identity store: %w", err)
	}
	init, err := x3dh.Initiate(v, identity, bundle)
	if err != nil {
		if errors.Is(err, x3dh.ErrBadSignedPreKeySignature) || errors.Is(err, x3dh.ErrBadKEMSignature) {
			return fmt.Errorf("%w: %w", ErrSignature, err)
		}
		return fmt.Errorf("session: bundle: %w", err)
	}
	ratchetKey, err := curve.GenerateKeyPair()
	if err != nil {
		return err
	}
	r, err := ratchet.NewAlice(init.Keys.RootKey[:], init.Keys.ChainKey[:], bundle.SignedPreKey.PublicKey, ratchetKey)
	if err != nil {
		return err
	}
	msg := &init.Message
	pq, err := newPQ(v, init.Keys.AuthKey[:], true)
	if err != nil {
		return err
	}
	s := &state{
		pq:             pq,
		version:        uint8(v),
		localIdentity:  identity.PublicKey(),
		remoteIdentity: bundle.IdentityKey,
		ratchet:        r,
		localRegID:     regID,
		remoteRegID:    bundle.RegistrationID,
		aliceBaseKey:   msg.BaseKey.Bytes(),
		pending: &pendingPreKey{
			hasPreKeyID:    msg.HasOneTimePreKey,
			preKeyID:       msg.OneTimePreKeyID,
			signedPreKeyID: msg.SignedPreKeyID,
			baseKey:        msg.BaseKey,
			created:        uint64(m.now().Unix()),
		},
	}
	if v == x3dh.V4 {
		s.pending.hasKyber = true
		s.pending.kyberID = msg.KEMPreKeyID
		s.pending.kyberCT = msg.KEMCiphertext
	}
	rec, err := m.stores.Sessions.LoadSession(ctx, addr)
	if err != nil {
		return fmt.Errorf("session: session store: %w", err)
	}
	if rec == nil {
		rec = NewRecord()
	}
	if err := rec.setNew(s); err != nil {
		return err
	}
	if err := m.stores.Identity.SaveIdentity(ctx, addr, bundle.IdentityKey); err != nil {
		return fmt.Errorf("session: identity store: %w", err)
	}
	if err := m.stores.Sessions.StoreSession(ctx, addr, rec, Consumed{}); err != nil {
		return fmt.Errorf("session: session store: %w", err)
	}
	return nil
}

// newPQ returns the SPQR state a new session starts with: libsignal's
// settings (V1, minimum V1) for v4, and the empty V0 state for v3, which has
// no SPQR auth key.
func newPQ(v x3dh.Version, authKey []byte, isAlice bool) (*spqr.State, error) {
	if v == x3dh.V3 {
		return new(spqr.State), nil
	}
	return spqr.NewInitialState(authKey, isAlice)
}

func (m *Manager) decryptPreKey(ctx context.Context, addr Address, body []byte, handle func([]byte) error) ([]byte, error) {
	pm, err := wire.ParsePreKeySignalMessage(body)
	if err != nil {
		return nil, parseErr(err)
	}
	if x3dh.Version(pm.Version) < m.minVersion {
		return nil, fmt.Errorf("%w: version %d PreKey message, the minimum is %d", ErrMinimumVersion, pm.Version, m.minVersion)
	}
	if pm.Inner.Version != pm.Version {
		return nil, fmt.Errorf("%w: inner message version %d in a version %d PreKey message", ErrInvalidMessage, pm.Inner.Version, pm.Version)
	}
	identity, err := curve.ParsePublicKey(pm.IdentityKey)
	if err != nil {
		return nil, fmt.Errorf("%w: identity key: %w", ErrInvalidMessage, err)
	}
	baseKey, err := curve.ParsePublicKey(pm.BaseKey)
	if err != nil {
		return nil, fmt.Errorf("%w: base key: %w", ErrInvalidMessage, err)
	}
	return m.receive(ctx, addr, handle, func(ctx context.Context, rec *Record) (received, error) {
		if rec == nil {
			rec = NewRecord()
		}
		// A PreKey message for a session we already have (the peer repeats
		// the handshake until we answer): promote that state and decrypt
		// normally. The message's identity key must be the one the state
		// was made with: a copy naming another identity is refused as
		// untrusted, as every peer does, and changes nothing.
		if i, s := rec.findBaseKey(pm.Version, pm.BaseKey); s != nil {
			if !identity.Equal(s.remoteIdentity) {
				return received{}, &UntrustedIdentityError{Address: addr, Identity: identity}
			}
			b := newBudget()
			pt, err := s.decrypt(&pm.Inner, &b)
			if err != nil {
				return received{}, err
			}
			if i >= 0 {
				if err := rec.promote(i, s); err != nil {
					return received{}, err
				}
			}
			return received{rec: rec, pt: pt}, nil
		}
		if err := m.untrusted(ctx, addr, identity, Receiving); err != nil {
			return received{}, err
		}
		s, consumed, err := m.respond(ctx, pm, identity, baseKey)
		if err != nil {
			return received{}, err
		}
		b := newBudget()
		pt, err := s.decrypt(&pm.Inner, &b)
		if err != nil {
			return received{}, err
		}
		if err := rec.setNew(s); err != nil {
			return received{}, err
		}
		return received{rec: rec, consumed: consumed, pt: pt}, nil
	})
}

// findBaseKey returns the state with the given version and Alice base key:
// (-1, current) or (i, archived state i), or (0, nil) if there is none.
func (r *Record) findBaseKey(version uint8, baseKey []byte) (int, *state) {
	if c := r.current; c != nil && c.version == version && bytes.Equal(c.aliceBaseKey, baseKey) {
		return -1, c
	}
	for i := range r.previous {
		s, err := r.archived(i)
		if err != nil {
			continue
		}
		if s.version == version && bytes.Equal(s.aliceBaseKey, baseKey) {
			return i, s
		}
	}
	return 0, nil
}

// loadErr is the error of a prekey store's Load: a key the store does not
// hold (ErrNotFound) is ErrInvalidPreKeyID, named once (the store's own
// message names it too, and adds nothing else), and any other failure is
// the store's, to retry.
func loadErr(kind string, id uint32, err error) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %s %d: %w", ErrInvalidPreKeyID, kind, id, ErrNotFound)
	}
	return fmt.Errorf("session: %s store: load %d: %w", kind, id, err)
}

// respond runs the responder's handshake for pm and returns the new state.
func (m *Manager) respond(ctx context.Context, pm *wire.ReceivedPreKeySignalMessage, identity, baseKey curve.PublicKey) (*state, Consumed, error) {
	var consumed Consumed
	ours, err := m.stores.Identity.IdentityKeyPair(ctx)
	if err != nil {
		return nil, consumed, fmt.Errorf("session: identity store: %w", err)
	}
	regID, err := m.stores.Identity.LocalRegistrationID(ctx)
	if err != nil {
		return nil, consumed, fmt.Errorf("session: identity store: %w", err)
	}
	spk, err := m.stores.SignedPreKeys.LoadSignedPreKey(ctx, pm.SignedPreKeyID)
	if err != nil {
		return nil, consumed, loadErr("signed prekey", pm.SignedPreKeyID, err)
	}
	keys := &x3dh.ResponderKeys{Identity: ours, SignedPreKey: spk.KeyPair}
	xm := &x3dh.Message{
		IdentityKey:    identity,
		BaseKey:        baseKey,
		SignedPreKeyID: pm.SignedPreKeyID,
	}
	if pm.HasPreKeyID {
		opk, err := m.stores.PreKeys.LoadPreKey(ctx, pm.PreKeyID)
		if err != nil {
			return nil, consumed, loadErr("one-time prekey", pm.PreKeyID, err)
		}
		keys.OneTimePreKey = &opk.KeyPair
		xm.HasOneTimePreKey, xm.OneTimePreKeyID = true, pm.PreKeyID
		consumed.HasPreKey, consumed.PreKeyID = true, pm.PreKeyID
	}
	v := x3dh.Version(pm.Version)
	if len(pm.KyberCiphertext) > 0 {
		kpk, err := m.stores.KEMPreKeys.LoadKEMPreKey(ctx, pm.KyberPreKeyID)
		if err != nil {
			return nil, consumed, loadErr("KEM prekey", pm.KyberPreKeyID, err)
		}
		keys.KEMPreKey = &kpk.KeyPair
		xm.KEMPreKeyID, xm.KEMCiphertext = pm.KyberPreKeyID, pm.KyberCiphertext
		consumed.HasKEMPreKey, consumed.KEMPreKeyID = true, pm.KyberPreKeyID
		consumed.SignedPreKeyID, consumed.BaseKey = pm.SignedPreKeyID, baseKey
	}
	sk, err := x3dh.Respond(v, keys, xm)
	if err != nil {
		return nil, consumed, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	r, err := ratchet.NewBob(sk.RootKey[:], sk.ChainKey[:], spk.KeyPair)
	if err != nil {
		return nil, consumed, err
	}
	pq, err := newPQ(v, sk.AuthKey[:], false)
	if err != nil {
		return nil, consumed, err
	}
	s := &state{
		pq:             pq,
		version:        pm.Version,
		localIdentity:  ours.PublicKey(),
		remoteIdentity: identity,
		ratchet:        r,
		localRegID:     regID,
		remoteRegID:    pm.RegistrationID,
		aliceBaseKey:   baseKey.Bytes(),
	}
	return s, consumed, nil
}
