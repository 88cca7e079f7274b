package session

import (
	"fmt"
	"slices"
)

// MarshalBinary encodes m for a transport that carries bytes: one type
// byte (TypeSignal or TypePreKey, as MessageType numbers them) followed by
// the body. UnmarshalBinary reads it back. The encoding is this library's,
// stable across versions; Signal's own envelopes carry the type in a field
// of their own.
func (m Message) MarshalBinary() ([]byte, error) { return m.AppendBinary(nil) }

// AppendBinary appends the encoding of MarshalBinary to b.
func (m Message) AppendBinary(b []byte) ([]byte, error) {
	if m.Type != TypeSignal && m.Type != TypePreKey {
		return nil, fmt.Errorf("%w: message type %d", ErrInvalidMessage, uint8(m.Type))
	}
	b = slices.Grow(b, 1+len(m.Body))
	return append(append(b, byte(m.Type)), m.Body...), nil
}

// UnmarshalBinary decodes the output of MarshalBinary into m, copying the
// body. It fails with an error wrapping ErrInvalidMessage for an empty
// input or an unknown type byte; the body is checked by Decrypt.
func (m *Message) UnmarshalBinary(data []byte) error {
	if len(data) == 0 {
		return fmt.Errorf("%w: empty encoding", ErrInvalidMessage)
	}
	t := MessageType(data[0])
	if t != TypeSignal && t != TypePreKey {
		return fmt.Errorf("%w: message type %d", ErrInvalidMessage, data[0])
	}
	m.Type, m.Body = t, slices.Clone(data[1:])
	if m.Body == nil {
		m.Body = []byte{}
	}
	return nil
}
