package recovery

import (
	"fmt"
	"math"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/sealedsender"
)

// DecryptionErrorMessage tells the sender of a message that its recipient
// could not decrypt it (libsignal's DecryptionErrorMessage, the Signal
// service's Content.decryptionErrorMessage). It names the failed message by
// its timestamp and the device that sent it, and for a session message by
// the sender ratchet key the message carried, which tells the sender
// whether the failure concerns its current session (see Handle).
//
// Nothing in it is authenticated: whoever delivers it chooses every field.
// The package documentation says what that allows.
type DecryptionErrorMessage struct {
	// Timestamp is the failed message's timestamp (the one its envelope
	// carried), with millisecond precision: the encoding keeps whole
	// milliseconds since the Unix epoch, and MarshalBinary drops any
	// finer part. Parsed timestamps are in UTC.
	Timestamp time.Time
	// DeviceID is the device that sent the failed message. Only that
	// device acts on the message (see Handle).
	DeviceID uint32
	// RatchetKey is the sender ratchet key of the failed message, when
	// HasRatchetKey: set for a session message (a SignalMessage or a
	// PreKeySignalMessage), unset for a sender-key message.
	RatchetKey curve.PublicKey
	// HasRatchetKey reports whether RatchetKey is set.
	HasRatchetKey bool
}

// Field numbers of DecryptionErrorMessage (signalservice, proto2).
const (
	demRatchetKey = 1 // bytes, 0x05 || u; optional
	demTimestamp  = 2 // uint64, Unix milliseconds; required
	demDeviceID   = 3 // uint32; absent parses as 0
)

// NewDecryptionErrorMessage makes the decryption-error message for a
// message that failed to decrypt, as libsignal's
// DecryptionErrorMessage::for_original does: original is the message as
// received and typ its type (sealedsender.TypeSignal or TypePreKey for a
// session.Message of that session.MessageType, TypeSenderKey for a
// sender-key message), timestamp the envelope's timestamp, and
// originalSenderDevice the device that sent it.
//
// A SignalMessage or PreKeySignalMessage must parse (with the same parser
// as session.Manager.Decrypt, and with public keys where libsignal's parse
// deserializes keys: the ratchet key, a PreKey message's base and identity
// keys; ErrInvalidMessage otherwise), since the error names its sender
// ratchet key. A sender-key message is not read at all and
// the error carries no ratchet key. TypePlaintext and unknown types are
// ErrInvalidArgument: a PlaintextContent is not encrypted, so it cannot
// fail to decrypt.
func NewDecryptionErrorMessage(original []byte, typ sealedsender.ContentType, timestamp time.Time, originalSenderDevice uint32) (*DecryptionErrorMessage, error) {
	ts, err := millis(timestamp)
	if err != nil {
		return nil, err
	}
	m := &DecryptionErrorMessage{Timestamp: fromMillis(ts), DeviceID: originalSenderDevice}
	var raw []byte
	switch typ {
	case sealedsender.TypeSignal:
		sm, err := wire.ParseSignalMessage(original)
		if err != nil {
			return nil, fmt.Errorf("%w: original SignalMessage: %w", ErrInvalidMessage, err)
		}
		raw = sm.RatchetKey
	case sealedsender.TypePreKey:
		pm, err := wire.ParsePreKeySignalMessage(original)
		if err != nil {
			return nil, fmt.Errorf("%w: original PreKeySignalMessage: %w", ErrInvalidMessage, err)
		}
		// libsignal's parse deserializes the base and identity keys too.
		if _, err := curve.ParsePublicKey(pm.BaseKey); err != nil {
			return nil, fmt.Errorf("%w: original PreKeySignalMessage's base key: %w", ErrInvalidMessage, err)
		}
		if _, err := curve.ParsePublicKey(pm.IdentityKey); err != nil {
			return nil, fmt.Errorf("%w: original PreKeySignalMessage's identity key: %w", ErrInvalidMessage, err)
		}
		raw = pm.Inner.RatchetKey
	case sealedsender.TypeSenderKey:
		return m, nil
	case sealedsender.TypePlaintext:
		return nil, fmt.Errorf("%w: a PlaintextContent is not encrypted", ErrInvalidArgument)
	default:
		return nil, fmt.Errorf("%w: content type %v", ErrInvalidArgument, typ)
	}
	k, err := curve.ParsePublicKey(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: original message's ratchet key: %w", ErrInvalidMessage, err)
	}
	m.RatchetKey, m.HasRatchetKey = k, true
	return m, nil
}

// ParseDecryptionErrorMessage decodes a DecryptionErrorMessage. The
// timestamp is required; the ratchet key, when present, must be a 33-byte
// public key (0x05 || u); an absent device id is 0. Unknown fields are
// skipped, and of a field that appears twice the last one counts, as in
// protobuf. Errors wrap ErrInvalidMessage.
//
// libsignal accepts a ratchet key followed by extra bytes (and logs a
// warning); this parser refuses it, as every key parser of this library
// does. No libsignal version writes such a key.
func ParseDecryptionErrorMessage(b []byte) (*DecryptionErrorMessage, error) {
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes, more than MaxMessageSize (%d)", ErrInvalidMessage, len(b), MaxMessageSize)
	}
	const msg = "DecryptionErrorMessage"
	var (
		m            DecryptionErrorMessage
		ts           uint64
		haveTS       bool
		rawKey       []byte
		haveKeyField bool
	)
	r := wire.NewReader(b, msg)
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
		}
		switch num {
		case demRatchetKey:
			rawKey, err = r.Raw("ratchet_key", typ)
			haveKeyField = true
		case demTimestamp:
			ts, err = r.Varint("timestamp", typ)
			haveTS = true
		case demDeviceID:
			m.DeviceID, err = r.Uint32("device_id", typ)
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
		}
	}
	if !haveTS {
		return nil, fmt.Errorf("%w: %s without a timestamp", ErrInvalidMessage, msg)
	}
	m.Timestamp = fromMillis(ts)
	if haveKeyField {
		k, err := curve.ParsePublicKey(rawKey)
		if err != nil {
			return nil, fmt.Errorf("%w: ratchet key: %w", ErrInvalidMessage, err)
		}
		m.RatchetKey, m.HasRatchetKey = k, true
	}
	return &m, nil
}

// MarshalBinary encodes m as libsignal does: the ratchet key (if
// HasRatchetKey), the timestamp and the device id, in that order, each
// always written. It fails with ErrInvalidArgument for a timestamp before
// 1970 or beyond 2^64-1 milliseconds.
func (m *DecryptionErrorMessage) MarshalBinary() ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil DecryptionErrorMessage", ErrInvalidArgument)
	}
	ts, err := millis(m.Timestamp)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 2+curve.PublicKeySize+1+protowire.SizeVarint(ts)+1+protowire.SizeVarint(uint64(m.DeviceID)))
	if m.HasRatchetKey {
		b = protowire.AppendTag(b, demRatchetKey, protowire.BytesType)
		b = protowire.AppendVarint(b, curve.PublicKeySize)
		b = m.RatchetKey.AppendBytes(b)
	}
	b = protowire.AppendTag(b, demTimestamp, protowire.VarintType)
	b = protowire.AppendVarint(b, ts)
	b = protowire.AppendTag(b, demDeviceID, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(m.DeviceID))
	return b, nil
}

// millis returns t in whole milliseconds since the Unix epoch, or
// ErrInvalidArgument if that does not fit in a uint64.
func millis(t time.Time) (uint64, error) {
	sec := t.Unix()
	if sec < 0 {
		return 0, fmt.Errorf("%w: timestamp %v is before 1970", ErrInvalidArgument, t)
	}
	ms := uint64(t.Nanosecond() / int(time.Millisecond))
	if uint64(sec) > (math.MaxUint64-ms)/1000 {
		return 0, fmt.Errorf("%w: timestamp %v is beyond 2^64-1 milliseconds", ErrInvalidArgument, t)
	}
	return uint64(sec)*1000 + ms, nil
}

// fromMillis is the inverse of millis: every uint64 is a time after 1970.
func fromMillis(ms uint64) time.Time {
	return time.Unix(int64(ms/1000), int64(ms%1000)*int64(time.Millisecond)).UTC()
}
