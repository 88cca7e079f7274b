package session

import (
	"context"
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
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
