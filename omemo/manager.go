package omemo

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/ratchet"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// InfoX3DHV2 is OMEMO 2's X3DH info string.
const InfoX3DHV2 = "OMEMO X3DH"

// x3dhV2 is OMEMO 2's X3DH: SHA-256, "OMEMO X3DH", 32-byte SK. The
// signature check is the bundle's own (Bundle.Verify, Ed25519), run before.
func x3dhV2(b *Bundle) *x3dh.Generic {
	return &x3dh.Generic{
		Hash: crypto.SHA256,
		Info: InfoX3DHV2,
		VerifySignedPreKey: func(xb *x3dh.Bundle) error {
			if xb.IdentityKey != b.IdentityKey || xb.SignedPreKey.PublicKey != b.SignedPreKey {
				return x3dh.ErrBadSignedPreKeySignature
			}
			if err := b.Verify(); err != nil {
				return fmt.Errorf("%w: %w", x3dh.ErrBadSignedPreKeySignature, err)
			}
			return nil
		},
	}
}

// Manager encrypts and decrypts OMEMO messages of one version for one
// device (its bare JID and device id), over a Store. It is safe for
// concurrent use. OMEMO 2 operations run one at a time (an OMEMO client
// handles a few messages a second), and a Store's OMEMO 2 records must have
// one Manager; OMEMO 0.3 runs on a session.Manager, with its per-address
// locking (and its Locker stores, which several Managers may share).
type Manager struct {
	v      Version
	jid    string
	device uint32
	st     Store
	sm     *session.Manager // OMEMO 0.3

	mu sync.Mutex
}

// NewManager returns the Manager of device ownDevice of ownJID (a bare
// JID) for version v over st. Errors: ErrVersion, ErrNilStore.
func NewManager(v Version, st Store, ownJID string, ownDevice uint32) (*Manager, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	if st == nil {
		return nil, ErrNilStore
	}
	m := &Manager{v: v, jid: ownJID, device: ownDevice, st: st}
	if v == V03 {
		m.sm = session.NewManager(session.StoresOf(st))
	}
	return m, nil
}

// Version returns the Manager's version.
func (m *Manager) Version() Version { return m.v }

// ProcessBundle starts a session with device b.DeviceID of jid from its
// bundle, using one of its one-time prekeys chosen at random (the XEP's
// advice; python-omemo refuses a key exchange without one). Encrypt then
// sends key exchanges to that device until it answers. An existing session
// with the device is replaced.
//
// Errors: ErrVersion, ErrBadSignature or ErrInvalidKey for a bad bundle,
// ErrUnknownPreKey for a bundle without one-time prekeys, and
// *session.UntrustedIdentityError when the identity store does not trust
// the bundle's identity key.
func (m *Manager) ProcessBundle(ctx context.Context, jid string, b *Bundle) error {
	if b == nil || b.Version != m.v {
		return fmt.Errorf("%w: bundle is not %v", ErrVersion, m.v)
	}
	if err := b.Verify(); err != nil {
		return err
	}
	if len(b.PreKeys) == 0 {
		return fmt.Errorf("%w: bundle has no one-time prekey", ErrUnknownPreKey)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(b.PreKeys))))
	if err != nil {
		return err
	}
	addr := session.Address{Name: jid, DeviceID: b.DeviceID}
	xb := b.x3dhBundle(int(n.Int64()))
	if m.v == V03 {
		return m.sm.ProcessBundle(ctx, addr, xb)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.trusted(ctx, addr, b.IdentityKey, session.Sending); err != nil {
		return err
	}
	id, err := m.st.IdentityKeyPair(ctx)
	if err != nil {
		return fmt.Errorf("omemo: identity store: %w", err)
	}
	res, msg, err := x3dhV2(b).Initiate(id, xb)
	if err != nil {
		return err
	}
	defer clear(res.SK[:])
	ours, err := curve.GenerateKeyPair()
	if err != nil {
		return err
	}
	st, err := suiteV2.NewAlice(res.SK[:], nil, b.SignedPreKey, ours)
	if err != nil {
		return err
	}
	st.SetMaxForwardJump(MaxSkipV2)
	r := &recordV2{initiator: true, pending: true, state: st, peer: b.IdentityKey}
	own := Ed25519PublicKey(id)
	copy(r.ad[:], own[:])
	copy(r.ad[Ed25519KeySize:], b.IdentityKeyEd25519[:])
	r.kex = KeyExchange{
		PreKeyID:       msg.OneTimePreKeyID,
		SignedPreKeyID: msg.SignedPreKeyID,
		IdentityKey:    own,
		EphemeralKey:   msg.BaseKey.U(),
	}
	rec, err := r.marshal()
	if err != nil {
		return err
	}
	if err := m.st.StoreSessionV2(ctx, addr, rec, nil, &b.IdentityKey); err != nil {
		return fmt.Errorf("omemo: session store: %w", err)
	}
	return nil
}

func (m *Manager) trusted(ctx context.Context, addr session.Address, id curve.PublicKey, dir session.Direction) error {
	ok, err := m.st.IsTrustedIdentity(ctx, addr, id, dir)
	if err != nil {
		return fmt.Errorf("omemo: identity store: %w", err)
	}
	if !ok {
		return &session.UntrustedIdentityError{Address: addr, Identity: id}
	}
	return nil
}

// HasSession reports whether there is a session with addr.
func (m *Manager) HasSession(ctx context.Context, addr session.Address) (bool, error) {
	if m.v == V03 {
		rec, err := m.st.LoadSession(ctx, addr)
		return rec != nil && err == nil, err
	}
	rec, err := m.st.LoadSessionV2(ctx, addr)
	return rec != nil && err == nil, err
}

// dedupe returns to without repeated addresses, in order.
func dedupe(to []session.Address) []session.Address {
	for i := 1; i < len(to); i++ {
		for j := range i {
			if to[i] == to[j] {
				out := make([]session.Address, 0, len(to))
				seen := make(map[session.Address]bool, len(to))
				for _, a := range to {
					if !seen[a] {
						seen[a] = true
						out = append(out, a)
					}
				}
				return out
			}
		}
	}
	return to
}

// DeleteSession removes the session with addr, if any: the next message
// to it needs ProcessBundle, and the next from it must be a key exchange.
func (m *Manager) DeleteSession(ctx context.Context, addr session.Address) error {
	if m.v == V03 {
		return m.st.DeleteSession(ctx, addr)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st.DeleteSessionV2(ctx, addr)
}

// Encrypt encrypts plaintext (OMEMO 2: the SCE envelope; OMEMO 0.3: the
// body) once and its key material to every device in to (session.Address:
// Name is the bare JID, DeviceID the device), each through its session. A
// nil plaintext makes an empty OMEMO message (no payload: key transport,
// used to answer a key exchange or to advance the ratchet).
//
// A device listed twice gets one key. Every device must have a session
// (ProcessBundle): Encrypt checks that for all of them before it encrypts
// anything, and fails with ErrNoSession naming the first without one. The
// identity store must trust each device's key (a *session.UntrustedIdentityError
// otherwise): OMEMO 2 checks all devices first; OMEMO 0.3 (package
// session) checks each as it encrypts, so the devices before a refused one
// have advanced their sessions, as a store error while writing leaves them
// in both versions. Those sessions stay usable: the next message simply
// uses the next key.
func (m *Manager) Encrypt(ctx context.Context, plaintext []byte, to []session.Address) (*Encrypted, error) {
	if len(to) > MaxMessageKeys {
		return nil, limit("MaxMessageKeys", MaxMessageKeys, len(to))
	}
	to = dedupe(to)
	e := &Encrypted{Version: m.v, SenderDevice: m.device}
	var km []byte
	var err error
	switch {
	case m.v == V2 && plaintext == nil:
		km = make([]byte, EmptyKeyMaterialSizeV2)
	case m.v == V2:
		e.Payload, km, err = EncryptPayloadV2(plaintext)
	case plaintext == nil:
		km = make([]byte, EmptyKeyMaterialSizeV03) // a key without a tag, as oldmemo sends it
		rand.Read(km)
		e.IV = make([]byte, IVSizeV03)
		rand.Read(e.IV)
	default:
		e.Payload, e.IV, km, err = EncryptPayloadV03(plaintext)
	}
	if err != nil {
		return nil, err
	}
	defer clear(km)
	if m.v == V03 {
		return m.encryptV03(ctx, e, km, to)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	recs := make([]*recordV2, len(to))
	for i, addr := range to {
		b, err := m.st.LoadSessionV2(ctx, addr)
		if err != nil {
			return nil, fmt.Errorf("omemo: session store: %w", err)
		}
		if b == nil {
			return nil, fmt.Errorf("%w with %v", ErrNoSession, addr)
		}
		if recs[i], err = unmarshalRecordV2(b); err != nil {
			return nil, fmt.Errorf("omemo: session record of %v: %w", addr, err)
		}
		if err := m.trusted(ctx, addr, recs[i].peer, session.Sending); err != nil {
			return nil, err
		}
	}
	for i, addr := range to {
		r := recs[i]
		am, err := r.encrypt(km)
		if err != nil {
			return nil, err
		}
		k := Key{JID: addr.Name, DeviceID: addr.DeviceID}
		if r.pending {
			kex := r.kex
			kex.Message = *am
			k.KeyExchange = true
			k.Data, err = kex.MarshalBinary()
		} else {
			k.Data, err = am.MarshalBinary()
		}
		if err != nil {
			return nil, err
		}
		rec, err := r.marshal()
		if err != nil {
			return nil, err
		}
		if err := m.st.StoreSessionV2(ctx, addr, rec, nil, nil); err != nil {
			return nil, fmt.Errorf("omemo: session store: %w", err)
		}
		e.Keys = append(e.Keys, k)
	}
	return e, nil
}

func (m *Manager) encryptV03(ctx context.Context, e *Encrypted, km []byte, to []session.Address) (*Encrypted, error) {
	for _, addr := range to {
		rec, err := m.st.LoadSession(ctx, addr)
		if err != nil {
			return nil, fmt.Errorf("omemo: session store: %w", err)
		}
		if rec == nil {
			return nil, fmt.Errorf("%w with %v", ErrNoSession, addr)
		}
	}
	for _, addr := range to {
		msg, err := m.sm.Encrypt(ctx, addr, km)
		if err != nil {
			return nil, err
		}
		e.Keys = append(e.Keys, Key{DeviceID: addr.DeviceID, KeyExchange: msg.Type == session.TypePreKey, Data: msg.Body})
	}
	return e, nil
}

// encrypt encrypts the key material with the next message key.
func (r *recordV2) encrypt(km []byte) (*AuthenticatedMessage, error) {
	h, body, macKey, err := r.state.Encrypt(nil, km, nil)
	if err != nil {
		return nil, err
	}
	defer clear(macKey[:])
	msg := Message{N: h.Counter, PN: h.PreviousCounter, DHPub: h.RatchetKey.U(), Ciphertext: body}
	mb, err := msg.MarshalBinary()
	if err != nil {
		return nil, err
	}
	am := &AuthenticatedMessage{Message: mb}
	am.MAC = r.mac(&macKey, mb)
	return am, nil
}

// mac is HMAC-SHA-256(key, AD || message)[:16].
func (r *recordV2) mac(key *ratchet.MACKey, message []byte) [MACSize]byte {
	h := hmac.New(sha256.New, key[:])
	h.Write(r.ad[:])
	h.Write(message)
	var t [MACSize]byte
	copy(t[:], h.Sum(nil))
	return t
}

// decrypt authenticates and decrypts an authenticated message with the
// record's state. On error the state is unchanged.
func (r *recordV2) decrypt(am *AuthenticatedMessage) ([]byte, error) {
	var msg Message
	if err := msg.UnmarshalBinary(am.Message); err != nil {
		return nil, err
	}
	pub, err := curve.NewPublicKey(msg.DHPub[:])
	if err != nil {
		return nil, fmt.Errorf("%w: dh_pub: %w", ErrInvalidMessage, err)
	}
	h := ratchet.Header{RatchetKey: pub, Counter: msg.N, PreviousCounter: msg.PN}
	// XEP-0384's heartbeat rule: the first message of a chain with a
	// counter of HeartbeatCounter or more asks for an answer.
	next := uint32(0) // index of the next key of msg's chain
	for _, c := range r.state.View().Receivers {
		if c.RatchetKey == pub {
			next = c.ChainKey.Index
		}
	}
	r.heartbeat = msg.N >= HeartbeatCounter && next <= HeartbeatCounter
	out, err := r.state.Decrypt(nil, h, msg.Ciphertext, nil, func(k *ratchet.MACKey) error {
		want := r.mac(k, am.Message)
		if !hmac.Equal(want[:], am.MAC[:]) {
			return ratchet.ErrInvalidMAC
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	return out, nil
}

// Decrypt decrypts a message that device e.SenderDevice of from (a bare
// JID) sent: it finds this device's key, decrypts the key material through
// the session (starting a session from a key exchange), then the payload.
// It returns nil for an empty OMEMO message (no payload).
//
// Nothing is stored unless everything succeeds: a message that fails
// anywhere (malformed, forged, replayed, wrong payload tag) leaves the
// session, the prekeys and the identity store as they were.
//
// Errors: ErrNotForUs, ErrVersion, ErrInvalidMessage (malformed, not
// authentic, or beyond a ratchet limit: errors.As gives the
// *ratchet.LimitError), ErrNoSession, ErrUnknownPreKey,
// ErrInvalidPayload, *session.UntrustedIdentityError, and for OMEMO 0.3
// package session's errors (session.ErrInvalidMessage,
// session.ErrDuplicateMessage, ...).
func (m *Manager) Decrypt(ctx context.Context, from string, e *Encrypted) ([]byte, error) {
	d, err := m.DecryptMessage(ctx, from, e)
	if err != nil {
		return nil, err
	}
	return d.Plaintext, nil
}

// HeartbeatCounter is XEP-0384's threshold: a client that receives the
// first message of a ratchet chain with a counter of 53 or more sends a
// heartbeat (an empty message), so that the sender's next messages start
// a new chain.
const HeartbeatCounter = 53

// Decrypted is what DecryptMessage returns.
type Decrypted struct {
	// Plaintext is the decrypted content, nil for an empty OMEMO message.
	Plaintext []byte
	// KeyExchange reports a key exchange (kex / prekey) message.
	KeyExchange bool
	// Heartbeat reports that XEP-0384 asks this device to answer the
	// sender now with an empty message (Encrypt with nil content): after
	// a key exchange, so that the sender stops sending key exchanges, and
	// (OMEMO 2) on the first message of a chain with a counter of
	// HeartbeatCounter or more. python-omemo sends these by itself; with
	// this package the app sends them, typically after a catch-up
	// (XEP-0313) has ended.
	Heartbeat bool
}

// DecryptMessage is Decrypt with what XEP-0384 asks the receiver to do
// next (Decrypted.Heartbeat).
func (m *Manager) DecryptMessage(ctx context.Context, from string, e *Encrypted) (*Decrypted, error) {
	if e == nil || e.Version != m.v {
		return nil, fmt.Errorf("%w: message is not %v", ErrVersion, m.v)
	}
	var key *Key
	for i := range e.Keys {
		k := &e.Keys[i]
		if k.DeviceID == m.device && (m.v == V03 || k.JID == m.jid) {
			key = k
			break
		}
	}
	if key == nil {
		return nil, ErrNotForUs
	}
	addr := session.Address{Name: from, DeviceID: e.SenderDevice}
	var (
		out []byte
		hb  bool
		err error
	)
	switch {
	case m.v == V03:
		out, err = m.decryptV03(ctx, addr, key, e)
		hb = key.KeyExchange
	case key.KeyExchange:
		m.mu.Lock()
		out, hb, err = m.decryptKeyExchange(ctx, addr, key.Data, e) // hb: always
		m.mu.Unlock()
	default:
		m.mu.Lock()
		out, hb, err = m.decryptAuthenticated(ctx, addr, key.Data, e)
		m.mu.Unlock()
	}
	if err != nil {
		return nil, err
	}
	return &Decrypted{Plaintext: out, KeyExchange: key.KeyExchange, Heartbeat: hb}, nil
}

func (m *Manager) decryptAuthenticated(ctx context.Context, addr session.Address, data []byte, e *Encrypted) ([]byte, bool, error) {
	var err error
	var am AuthenticatedMessage
	if err = am.UnmarshalBinary(data); err != nil {
		return nil, false, err
	}
	b, err := m.st.LoadSessionV2(ctx, addr)
	if err != nil {
		return nil, false, fmt.Errorf("omemo: session store: %w", err)
	}
	if b == nil {
		return nil, false, fmt.Errorf("%w with %v", ErrNoSession, addr)
	}
	r, err := unmarshalRecordV2(b)
	if err != nil {
		return nil, false, fmt.Errorf("omemo: session record of %v: %w", addr, err)
	}
	if err := m.trusted(ctx, addr, r.peer, session.Receiving); err != nil {
		return nil, false, err
	}
	return m.finishV2(ctx, addr, r, &am, e, nil)
}

// finishV2 decrypts the key material and the payload, then stores the
// record (and consumes the prekey, for a new session).
func (m *Manager) finishV2(ctx context.Context, addr session.Address, r *recordV2, am *AuthenticatedMessage, e *Encrypted, consumed *uint32) ([]byte, bool, error) {
	out, err := m.finishV2Plain(ctx, addr, r, am, e, consumed)
	return out, r.heartbeat, err
}

func (m *Manager) finishV2Plain(ctx context.Context, addr session.Address, r *recordV2, am *AuthenticatedMessage, e *Encrypted, consumed *uint32) ([]byte, error) {
	km, err := r.decrypt(am)
	if err != nil {
		return nil, err
	}
	defer clear(km)
	var out []byte
	if e.Payload == nil {
		// An empty message carries EmptyKeyMaterialSizeV2 bytes; the
		// key || tag of a message with a payload means the payload was
		// removed on the way.
		if len(km) != EmptyKeyMaterialSizeV2 {
			return nil, fmt.Errorf("%w: no payload, with key material of %d bytes, want %d", ErrInvalidPayload, len(km), EmptyKeyMaterialSizeV2)
		}
	} else if out, err = DecryptPayloadV2(e.Payload, km); err != nil {
		return nil, err
	}
	if r.initiator {
		r.pending = false // the responder has the session
	}
	rec, err := r.marshal()
	if err != nil {
		return nil, err
	}
	var identity *curve.PublicKey
	if consumed != nil { // a new session: its identity with it
		identity = &r.peer
	}
	if err := m.st.StoreSessionV2(ctx, addr, rec, consumed, identity); err != nil {
		return nil, fmt.Errorf("omemo: session store: %w", err)
	}
	return out, nil
}

func (m *Manager) decryptKeyExchange(ctx context.Context, addr session.Address, data []byte, e *Encrypted) ([]byte, bool, error) {
	out, err := m.decryptKeyExchangePlain(ctx, addr, data, e)
	return out, true, err
}

func (m *Manager) decryptKeyExchangePlain(ctx context.Context, addr session.Address, data []byte, e *Encrypted) ([]byte, error) {
	var kex KeyExchange
	if err := kex.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	peer, err := MontgomeryPublicKey(kex.IdentityKey[:])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	if err := m.trusted(ctx, addr, peer, session.Receiving); err != nil {
		return nil, err
	}
	// A key exchange we already answered (the initiator repeats it until
	// it hears from us): the session it started decrypts it.
	if b, err := m.st.LoadSessionV2(ctx, addr); err != nil {
		return nil, fmt.Errorf("omemo: session store: %w", err)
	} else if b != nil {
		r, err := unmarshalRecordV2(b)
		if err != nil {
			return nil, fmt.Errorf("omemo: session record of %v: %w", addr, err)
		}
		if !r.initiator && r.kex.PreKeyID == kex.PreKeyID && r.kex.SignedPreKeyID == kex.SignedPreKeyID &&
			r.kex.EphemeralKey == kex.EphemeralKey && r.kex.IdentityKey == kex.IdentityKey {
			return m.finishV2Plain(ctx, addr, r, &kex.Message, e, nil)
		}
	}

	id, err := m.st.IdentityKeyPair(ctx)
	if err != nil {
		return nil, fmt.Errorf("omemo: identity store: %w", err)
	}
	spk, err := m.st.LoadSignedPreKey(ctx, kex.SignedPreKeyID)
	if err != nil {
		if errors.Is(err, session.ErrNotFound) {
			return nil, fmt.Errorf("%w: signed prekey %d", ErrUnknownPreKey, kex.SignedPreKeyID)
		}
		return nil, fmt.Errorf("omemo: signed prekey store: %w", err)
	}
	opk, err := m.st.LoadPreKey(ctx, kex.PreKeyID)
	if err != nil {
		if errors.Is(err, session.ErrNotFound) {
			return nil, fmt.Errorf("%w: prekey %d", ErrUnknownPreKey, kex.PreKeyID)
		}
		return nil, fmt.Errorf("omemo: prekey store: %w", err)
	}
	ek, err := curve.NewPublicKey(kex.EphemeralKey[:])
	if err != nil {
		return nil, fmt.Errorf("%w: ek: %w", ErrInvalidMessage, err)
	}
	g := x3dh.Generic{Hash: crypto.SHA256, Info: InfoX3DHV2}
	res, err := g.Respond(&x3dh.ResponderKeys{Identity: id, SignedPreKey: spk.KeyPair, OneTimePreKey: &opk.KeyPair}, &x3dh.Message{
		IdentityKey:      peer,
		BaseKey:          ek,
		SignedPreKeyID:   kex.SignedPreKeyID,
		HasOneTimePreKey: true,
		OneTimePreKeyID:  kex.PreKeyID,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	defer clear(res.SK[:])
	// Bob has no sending chain before Alice's first message (see
	// ratchet.Suite.NewBob): a chain key no one knows stands in, and the
	// first message's DH ratchet step replaces it before the state is kept.
	var placeholder [32]byte
	rand.Read(placeholder[:])
	st, err := suiteV2.NewBob(res.SK[:], placeholder[:], spk.KeyPair)
	if err != nil {
		return nil, err
	}
	st.SetMaxForwardJump(MaxSkipV2)
	r := &recordV2{state: st, kex: kex, peer: peer}
	r.kex.Message = AuthenticatedMessage{}
	own := Ed25519PublicKey(id)
	copy(r.ad[:], kex.IdentityKey[:])
	copy(r.ad[Ed25519KeySize:], own[:])
	if kex.Message.Message == nil {
		return nil, fmt.Errorf("%w: key exchange without a message", ErrInvalidMessage)
	}
	// The first message must start a new chain: a message on the
	// placeholder chain (our own signed prekey as ratchet key) is refused.
	var first Message
	if err := first.UnmarshalBinary(kex.Message.Message); err != nil {
		return nil, err
	}
	if first.DHPub == spk.KeyPair.Public.U() {
		return nil, fmt.Errorf("%w: first message on the responder's own ratchet key", ErrInvalidMessage)
	}
	pk := kex.PreKeyID
	return m.finishV2Plain(ctx, addr, r, &kex.Message, e, &pk)
}

func (m *Manager) decryptV03(ctx context.Context, addr session.Address, key *Key, e *Encrypted) ([]byte, error) {
	typ := session.TypeSignal
	if key.KeyExchange {
		typ = session.TypePreKey
	}
	var out []byte
	err := m.sm.DecryptWith(ctx, addr, session.Message{Type: typ, Body: key.Data}, func(km []byte) error {
		if e.Payload == nil {
			// An empty message carries a 16-byte key (XEP-0384 0.3's
			// KeyTransportElement, oldmemo, Conversations, this
			// package). Key || tag (32 bytes) without a payload is
			// accepted as empty too, as oldmemo accepts it: not every
			// 0.3 client's empty message has been seen, and refusing
			// one would leave a hole in its chain. So a payload removed
			// in transit reads as an empty message in 0.3 (not in
			// OMEMO 2, whose empty messages have their own form).
			if len(km) != EmptyKeyMaterialSizeV03 && len(km) != KeyMaterialSizeV03 {
				return fmt.Errorf("%w: no payload, with key material of %d bytes, want %d", ErrInvalidPayload, len(km), EmptyKeyMaterialSizeV03)
			}
			return nil
		}
		var err error
		out, err = DecryptPayloadV03(e.Payload, e.IV, km)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// String names the Manager's version and device, nothing of its store.
func (m *Manager) String() string {
	return fmt.Sprintf("omemo.Manager(%v, %s/%d)", m.v, m.jid, m.device)
}

// Format prints String for every verb.
func (m *Manager) Format(f fmt.State, _ rune) { fmt.Fprint(f, m.String()) }
