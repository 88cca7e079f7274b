package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/ratchet"
	"github.com/forwardsecret/signal/spqr"
	"github.com/forwardsecret/signal/x3dh"
)

// MessageType is the type of a Signal ciphertext message, as libsignal
// numbers them.
type MessageType uint8

const (
	// TypeSignal is a SignalMessage (libsignal's CiphertextMessageType::Whisper).
	// npm libsignal calls it 1.
	TypeSignal MessageType = 2
	// TypePreKey is a PreKeySignalMessage: a SignalMessage wrapped with the
	// handshake, sent until the peer has answered.
	TypePreKey MessageType = 3
)

// String returns "SignalMessage" or "PreKeySignalMessage".
func (t MessageType) String() string {
	switch t {
	case TypeSignal:
		return "SignalMessage"
	case TypePreKey:
		return "PreKeySignalMessage"
	}
	return fmt.Sprintf("MessageType(%d)", uint8(t))
}

// Message is an encrypted message with its type.
type Message struct {
	Type MessageType
	Body []byte
}

// Manager encrypts and decrypts for one local device, with sessions to any
// number of addresses. It is safe for concurrent use: calls for the same
// address are serialized inside, calls for different addresses run in
// parallel.
type Manager struct {
	stores Stores
	now    func() time.Time
	mu     sync.Mutex // guards locks
	locks  map[Address]*addrLock
}

// Option configures a Manager.
type Option func(*Manager)

// WithClock makes the Manager read the time from now (for tests of session
// expiry).
func WithClock(now func() time.Time) Option { return func(m *Manager) { m.now = now } }

// NewManager returns a Manager over the stores s. Every store must be set.
func NewManager(s Stores, opts ...Option) *Manager {
	if s.Identity == nil || s.PreKeys == nil || s.SignedPreKeys == nil || s.KEMPreKeys == nil || s.Sessions == nil {
		panic("session: NewManager needs every store")
	}
	m := &Manager{stores: s, now: time.Now}
	for _, o := range opts {
		o(m)
	}
	return m
}

// addrLock serializes the operations on one address. It lives in
// Manager.locks only while some call holds or waits for it, so the map does
// not grow with every address ever seen.
type addrLock struct {
	mu   sync.Mutex
	refs int // calls holding or waiting; guarded by Manager.mu
}

func (m *Manager) lock(addr Address) func() {
	m.mu.Lock()
	if m.locks == nil {
		m.locks = make(map[Address]*addrLock)
	}
	l := m.locks[addr]
	if l == nil {
		l = new(addrLock)
		m.locks[addr] = l
	}
	l.refs++
	m.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		m.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(m.locks, addr)
		}
		m.mu.Unlock()
	}
}

// Locker is an optional interface of a SessionStore that is shared by
// several processes (such as a database). The Manager serializes the calls
// for one address inside one process; a SessionStore that also implements
// Locker extends that across processes: around each operation on addr, the
// Manager calls LockAddress, makes every store call of the operation with
// the returned context, and ends with unlock(true) after a successful
// operation (which must commit every write made with that context, and
// report a failed commit) or unlock(false) after a failed one (which must
// undo them). An operation whose unlock(true) fails fails too: Decrypt and
// DecryptWith then return the error and no plaintext.
type Locker interface {
	LockAddress(ctx context.Context, addr Address) (context.Context, func(commit bool) error, error)
}

// begin takes the in-process lock of addr and, if the session store is a
// Locker, its lock. end releases both: it commits if *errp is nil, undoes
// otherwise, and stores a failed commit in *errp.
func (m *Manager) begin(ctx context.Context, addr Address) (context.Context, func(errp *error), error) {
	release := m.lock(addr)
	l, ok := m.stores.Sessions.(Locker)
	if !ok {
		return ctx, func(*error) { release() }, nil
	}
	lctx, unlock, err := l.LockAddress(ctx, addr)
	if err != nil {
		release()
		return ctx, nil, fmt.Errorf("session: session store: lock: %w", err)
	}
	return lctx, func(errp *error) {
		defer release()
		if uerr := unlock(*errp == nil); uerr != nil && *errp == nil {
			*errp = fmt.Errorf("session: session store: commit: %w", uerr)
		}
	}, nil
}

func (m *Manager) untrusted(ctx context.Context, addr Address, id curve.PublicKey, dir Direction) error {
	ok, err := m.stores.Identity.IsTrustedIdentity(ctx, addr, id, dir)
	if err != nil {
		return fmt.Errorf("session: identity store: %w", err)
	}
	if !ok {
		return &UntrustedIdentityError{Address: addr, Identity: id}
	}
	return nil
}

// ProcessBundle starts a session with addr from its prekey bundle. The
// session is v4 (PQXDH) when the bundle has a KEM prekey and v3 (X3DH)
// otherwise. Until the peer answers, Encrypt sends PreKey messages.
func (m *Manager) ProcessBundle(ctx context.Context, addr Address, bundle *x3dh.Bundle) (err error) {
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
	v := x3dh.V3
	if bundle.KEMPreKey != nil {
		v = x3dh.V4
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

// HasSession reports whether there is a session with addr that can encrypt:
// a current state with a sending chain that is not an unacknowledged
// session older than MaxUnacknowledgedSessionAge.
func (m *Manager) HasSession(ctx context.Context, addr Address) (_ bool, err error) {
	ctx, end, err := m.begin(ctx, addr)
	if err != nil {
		return false, err
	}
	defer end(&err)
	rec, err := m.stores.Sessions.LoadSession(ctx, addr)
	if err != nil {
		return false, fmt.Errorf("session: session store: %w", err)
	}
	return rec.HasCurrentState() && m.usable(rec.current) == nil, nil
}

func (m *Manager) usable(s *state) error {
	if s.ratchet.RatchetKey().IsZero() {
		return ErrNoSession
	}
	if p := s.pending; p != nil {
		created := time.Unix(int64(p.created), 0)
		if m.now().Sub(created) > MaxUnacknowledgedSessionAge {
			return ErrStaleSession
		}
	}
	return nil
}

// ArchiveSession archives the current session with addr, so that the next
// message needs a new bundle (or a PreKey message from the peer).
func (m *Manager) ArchiveSession(ctx context.Context, addr Address) (err error) {
	ctx, end, err := m.begin(ctx, addr)
	if err != nil {
		return err
	}
	defer end(&err)
	rec, err := m.stores.Sessions.LoadSession(ctx, addr)
	if err != nil || rec == nil || !rec.HasCurrentState() {
		return err
	}
	if err := rec.ArchiveCurrentState(); err != nil {
		return err
	}
	return m.stores.Sessions.StoreSession(ctx, addr, rec, Consumed{})
}

// DeleteSession removes every session state with addr.
func (m *Manager) DeleteSession(ctx context.Context, addr Address) (err error) {
	ctx, end, err := m.begin(ctx, addr)
	if err != nil {
		return err
	}
	defer end(&err)
	return m.stores.Sessions.DeleteSession(ctx, addr)
}

// Encrypt encrypts plaintext for addr: a PreKey message while the peer has
// not answered, a SignalMessage after. It returns ErrNoSession without a
// session, ErrStaleSession for an unacknowledged session older than
// MaxUnacknowledgedSessionAge, and an *UntrustedIdentityError if the identity
// store no longer trusts the peer's identity key.
func (m *Manager) Encrypt(ctx context.Context, addr Address, plaintext []byte) (_ Message, err error) {
	ctx, end, err := m.begin(ctx, addr)
	if err != nil {
		return Message{}, err
	}
	defer end(&err)
	rec, err := m.stores.Sessions.LoadSession(ctx, addr)
	if err != nil {
		return Message{}, fmt.Errorf("session: session store: %w", err)
	}
	if !rec.HasCurrentState() {
		return Message{}, ErrNoSession
	}
	s := rec.current
	if err := m.usable(s); err != nil {
		return Message{}, err
	}
	if err := m.untrusted(ctx, addr, s.remoteIdentity, Sending); err != nil {
		return Message{}, err
	}
	body, err := s.encrypt(plaintext)
	if err != nil {
		return Message{}, err
	}
	out := Message{Type: TypeSignal, Body: body}
	if p := s.pending; p != nil {
		pm := wire.PreKeySignalMessage{
			Version:        s.version,
			CurrentVersion: s.version,
			RegistrationID: s.localRegID,
			HasPreKeyID:    p.hasPreKeyID,
			PreKeyID:       p.preKeyID,
			SignedPreKeyID: p.signedPreKeyID,
			BaseKey:        p.baseKey.Bytes(),
			IdentityKey:    s.localIdentity.Bytes(),
			Message:        body,
		}
		if p.hasKyber {
			pm.KyberPreKeyID = p.kyberID
			pm.KyberCiphertext = p.kyberCT
		}
		enc, err := pm.Append(make([]byte, 0, pm.EncodedLen()))
		if err != nil {
			return Message{}, err
		}
		out = Message{Type: TypePreKey, Body: enc}
	}
	if err := m.stores.Sessions.StoreSession(ctx, addr, rec, Consumed{}); err != nil {
		return Message{}, fmt.Errorf("session: session store: %w", err)
	}
	return out, nil
}

// encrypt returns a serialized SignalMessage.
func (s *state) encrypt(plaintext []byte) ([]byte, error) {
	pqNext, pqMsg, salt, err := s.pq.Send()
	if err != nil {
		return nil, fmt.Errorf("session: post-quantum ratchet: %w", err)
	}
	h, body, mk, err := s.ratchet.Encrypt(nil, plaintext, salt)
	if err != nil {
		return nil, err
	}
	s.pq = pqNext
	var rk [curve.PublicKeySize]byte
	sm := wire.SignalMessage{
		Version:         s.version,
		CurrentVersion:  s.version,
		RatchetKey:      h.RatchetKey.AppendBytes(rk[:0]),
		Counter:         h.Counter,
		PreviousCounter: h.PreviousCounter,
		Ciphertext:      body,
		PQRatchet:       pqMsg,
	}
	// One allocation of the exact size: header, body, SPQR field and MAC.
	buf, err := sm.AppendUnsigned(make([]byte, 0, sm.EncodedLen()))
	if err != nil {
		return nil, err
	}
	mac := s.ratchet.SignalMAC(&mk, s.localIdentity, s.remoteIdentity, buf)
	return append(buf, mac[:]...), nil
}

// Decrypt decrypts a message from addr. The new session state is written to
// the store before the plaintext is returned; a failed decrypt writes
// nothing.
//
// Errors: ErrInvalidMessage (malformed, or no session state authenticates
// it), ErrDuplicateMessage, ErrNoSession, ErrInvalidPreKeyID, ErrVersion,
// *UntrustedIdentityError, and the ratchet's bound errors (wrapped with
// ErrInvalidMessage) for messages beyond its limits.
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
// not call the Manager for the same address.
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

func (m *Manager) decryptSignal(ctx context.Context, addr Address, body []byte, handle func([]byte) error) (_ []byte, err error) {
	sm, err := wire.ParseSignalMessage(body)
	if err != nil {
		return nil, parseErr(err)
	}
	ctx, end, err := m.begin(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer end(&err)
	rec, err := m.stores.Sessions.LoadSession(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("session: session store: %w", err)
	}
	if rec == nil || (!rec.HasCurrentState() && len(rec.previous) == 0) {
		return nil, ErrNoSession
	}
	pt, err := m.decryptWithRecord(rec, sm)
	if err != nil {
		return nil, err
	}
	return pt, m.commitReceived(ctx, addr, rec, Consumed{}, pt, handle)
}

// decryptWithRecord tries the current state, then each archived state, and
// promotes the one that decrypts. rec changes only on success.
func (m *Manager) decryptWithRecord(rec *Record, sm *wire.ReceivedSignalMessage) ([]byte, error) {
	var firstErr error
	if rec.current != nil {
		pt, err := rec.current.decrypt(sm)
		if err == nil {
			return pt, nil
		}
		if errors.Is(err, ErrDuplicateMessage) {
			return nil, err
		}
		firstErr = err
	}
	for i := range rec.previous {
		s, err := rec.archived(i)
		if err != nil {
			continue // an unreadable archived state cannot decrypt anything
		}
		pt, err := s.decrypt(sm)
		if err != nil {
			if errors.Is(err, ErrDuplicateMessage) {
				return nil, err
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if err := rec.promote(i, s); err != nil {
			return nil, err
		}
		return pt, nil
	}
	if firstErr == nil {
		firstErr = ErrNoSession
	}
	if errors.Is(firstErr, ErrInvalidMessage) || errors.Is(firstErr, ErrNoSession) {
		return nil, firstErr
	}
	return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, firstErr)
}

// decrypt decrypts sm with s, which changes only on success.
func (s *state) decrypt(sm *wire.ReceivedSignalMessage) ([]byte, error) {
	if sm.Version != s.version {
		return nil, fmt.Errorf("%w: message version %d, session version %d", ErrInvalidMessage, sm.Version, s.version)
	}
	if s.ratchet.RatchetKey().IsZero() {
		return nil, fmt.Errorf("%w: state has no sending chain", ErrInvalidMessage)
	}
	rk, err := curve.ParsePublicKey(sm.RatchetKey)
	if err != nil {
		return nil, fmt.Errorf("%w: ratchet key: %w", ErrInvalidMessage, err)
	}
	h := ratchet.Header{RatchetKey: rk, Counter: sm.Counter, PreviousCounter: sm.PreviousCounter}
	r := s.ratchet
	pqNext, salt, err := s.pq.Recv(sm.PQRatchet)
	if err != nil {
		// libsignal looks the message key up in the Double Ratchet before
		// SPQR, so a message whose ratchet key is already used or evicted
		// is a duplicate there, whatever SPQR would say; SPQR refuses the
		// same index as already requested, or, once it is more than
		// spqr's trim distance behind, as trimmed.
		if (errors.Is(err, spqr.ErrKeyAlreadyRequested) || errors.Is(err, spqr.ErrKeyTrimmed)) && s.ratchetSaysDuplicate(h, sm.Ciphertext) {
			return nil, fmt.Errorf("%w: %w", ErrDuplicateMessage, err)
		}
		return nil, fmt.Errorf("%w: post-quantum ratchet: %w", ErrInvalidMessage, err)
	}
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

var errProbe = errors.New("session: probe")

// ratchetSaysDuplicate reports whether the Double Ratchet has already used
// the key of header h, which tells a replay (SPQR refuses its key a second
// time) from a message of another session state whose SPQR index happens to
// collide. Decrypt changes nothing here: the probe's MAC check always fails.
func (s *state) ratchetSaysDuplicate(h ratchet.Header, body []byte) bool {
	_, err := s.ratchet.Decrypt(nil, h, body, nil, func(*ratchet.MACKey) error { return errProbe })
	return errors.Is(err, ratchet.ErrDuplicateMessage)
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

func (m *Manager) decryptPreKey(ctx context.Context, addr Address, body []byte, handle func([]byte) error) (_ []byte, err error) {
	pm, err := wire.ParsePreKeySignalMessage(body)
	if err != nil {
		return nil, parseErr(err)
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
	ctx, end, err := m.begin(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer end(&err)
	rec, err := m.stores.Sessions.LoadSession(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("session: session store: %w", err)
	}
	if rec == nil {
		rec = NewRecord()
	}

	// A PreKey message for a session we already have (the peer repeats the
	// handshake until we answer): promote that state and decrypt normally.
	if i, s := rec.findBaseKey(pm.Version, pm.BaseKey); s != nil {
		pt, err := s.decrypt(&pm.Inner)
		if err != nil {
			return nil, err
		}
		if i >= 0 {
			if err := rec.promote(i, s); err != nil {
				return nil, err
			}
		}
		return pt, m.commitReceived(ctx, addr, rec, Consumed{}, pt, handle)
	}

	if err := m.untrusted(ctx, addr, identity, Receiving); err != nil {
		return nil, err
	}
	s, consumed, err := m.respond(ctx, pm, identity, baseKey)
	if err != nil {
		return nil, err
	}
	pt, err := s.decrypt(&pm.Inner)
	if err != nil {
		return nil, err
	}
	if err := rec.setNew(s); err != nil {
		return nil, err
	}
	return pt, m.commitReceived(ctx, addr, rec, consumed, pt, handle)
}

// commitReceived ends every successful decrypt: the trust decision, the
// app's handler (DecryptWith), then one write of the identity and one of the
// record with the prekeys it consumed.
func (m *Manager) commitReceived(ctx context.Context, addr Address, rec *Record, consumed Consumed, pt []byte, handle func([]byte) error) error {
	if err := m.untrusted(ctx, addr, rec.current.remoteIdentity, Receiving); err != nil {
		return err
	}
	if handle != nil {
		if err := handle(pt); err != nil {
			return err
		}
	}
	if err := m.stores.Identity.SaveIdentity(ctx, addr, rec.current.remoteIdentity); err != nil {
		return fmt.Errorf("session: identity store: %w", err)
	}
	if err := m.stores.Sessions.StoreSession(ctx, addr, rec, consumed); err != nil {
		return fmt.Errorf("session: session store: %w", err)
	}
	return nil
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
		return nil, consumed, fmt.Errorf("%w: signed prekey %d: %w", ErrInvalidPreKeyID, pm.SignedPreKeyID, err)
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
			return nil, consumed, fmt.Errorf("%w: one-time prekey %d: %w", ErrInvalidPreKeyID, pm.PreKeyID, err)
		}
		keys.OneTimePreKey = &opk.KeyPair
		xm.HasOneTimePreKey, xm.OneTimePreKeyID = true, pm.PreKeyID
		consumed.HasPreKey, consumed.PreKeyID = true, pm.PreKeyID
	}
	v := x3dh.Version(pm.Version)
	if len(pm.KyberCiphertext) > 0 {
		kpk, err := m.stores.KEMPreKeys.LoadKEMPreKey(ctx, pm.KyberPreKeyID)
		if err != nil {
			return nil, consumed, fmt.Errorf("%w: KEM prekey %d: %w", ErrInvalidPreKeyID, pm.KyberPreKeyID, err)
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

// Info describes the current session state with an address.
type Info struct {
	// Version is the session version: 3 (X3DH) or 4 (PQXDH + SPQR).
	Version int
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
	return Info{Version: int(s.version), Acknowledged: s.pending == nil, SPQREpoch: s.pq.Epoch(), ArchivedStates: len(rec.previous)}, nil
}
