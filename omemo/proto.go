package omemo

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// OMEMO 2's protobuf messages (XEP-0384 section "Protobuf messages", proto2,
// every field required except the ciphertext):
//
//	OMEMOMessage              { uint32 n = 1; uint32 pn = 2; bytes dh_pub = 3; bytes ciphertext = 4 }
//	OMEMOAuthenticatedMessage { bytes mac = 1; bytes message = 2 }
//	OMEMOKeyExchange          { uint32 pk_id = 1; uint32 spk_id = 2; bytes ik = 3; bytes ek = 4;
//	                            OMEMOAuthenticatedMessage message = 5 }
//
// The encoders write the fields in field-number order, as protobuf
// libraries do. The parsers accept the fields in any order and skip unknown
// fields (as protobuf does), but refuse a repeated field, a wrong wire type,
// a missing required field and keys or tags of the wrong length.

// Sizes of OMEMO 2's fields.
const (
	// MACSize is the length of an OMEMOAuthenticatedMessage's mac: the
	// HMAC-SHA-256 truncated to 16 bytes.
	MACSize = 16
	// PublicKeySize is the length of dh_pub, ek and ik (raw X25519 u, or
	// Ed25519 for ik).
	PublicKeySize = 32
)

// MaxMessageSize bounds the serialized OMEMO 2 message (a key exchange
// wrapping an authenticated message) that the parsers accept. The key
// material a session carries is 48 bytes; 4 KiB leaves room for any
// sender's padding.
const MaxMessageSize = 4096

// Message is an OMEMOMessage: the Double Ratchet header and the encrypted
// key material.
type Message struct {
	// N is the message's index in its sending chain; PN is the number of
	// messages in the sender's previous sending chain.
	N, PN uint32
	// DHPub is the sender's ratchet public key (X25519 u).
	DHPub [PublicKeySize]byte
	// Ciphertext is AES-256-CBC of the key material.
	Ciphertext []byte
}

// AuthenticatedMessage is an OMEMOAuthenticatedMessage: a serialized
// OMEMOMessage and its MAC, HMAC-SHA-256(message key's MAC key, AD ||
// Message)[:16], where AD is the initiator's then the responder's Ed25519
// identity key.
type AuthenticatedMessage struct {
	MAC     [MACSize]byte
	Message []byte
}

// KeyExchange is an OMEMOKeyExchange: the X3DH values of a session's
// initiator and its first authenticated message(s).
type KeyExchange struct {
	// PreKeyID and SignedPreKeyID name the responder's prekeys used.
	PreKeyID, SignedPreKeyID uint32
	// IdentityKey is the initiator's Ed25519 identity key.
	IdentityKey [Ed25519KeySize]byte
	// EphemeralKey is the initiator's X3DH base key (X25519 u).
	EphemeralKey [PublicKeySize]byte
	// Message is the authenticated message carried.
	Message AuthenticatedMessage
}

// Field numbers.
const (
	fieldN          = 1
	fieldPN         = 2
	fieldDHPub      = 3
	fieldCiphertext = 4

	fieldMAC     = 1
	fieldMessage = 2

	fieldPKID    = 1
	fieldSPKID   = 2
	fieldIK      = 3
	fieldEK      = 4
	fieldKEXAuth = 5
)

// AppendBinary appends the OMEMOMessage encoding of m to b.
func (m *Message) AppendBinary(b []byte) ([]byte, error) {
	b = protowire.AppendTag(b, fieldN, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(m.N))
	b = protowire.AppendTag(b, fieldPN, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(m.PN))
	b = protowire.AppendTag(b, fieldDHPub, protowire.BytesType)
	b = protowire.AppendBytes(b, m.DHPub[:])
	if m.Ciphertext != nil {
		b = protowire.AppendTag(b, fieldCiphertext, protowire.BytesType)
		b = protowire.AppendBytes(b, m.Ciphertext)
	}
	return b, nil
}

// MarshalBinary returns the OMEMOMessage encoding of m.
func (m *Message) MarshalBinary() ([]byte, error) {
	return m.AppendBinary(make([]byte, 0, 48+len(m.Ciphertext)))
}

// UnmarshalBinary parses an OMEMOMessage. Ciphertext aliases data. On
// error, m is unchanged; errors wrap ErrInvalidMessage or ErrTooLarge.
func (m *Message) UnmarshalBinary(data []byte) error {
	if len(data) > MaxMessageSize {
		return limit("MaxMessageSize", MaxMessageSize, len(data))
	}
	var out Message
	var seen uint8
	err := walk(data, func(num protowire.Number, typ protowire.Type, v uint64, bs []byte) error {
		switch num {
		case fieldN, fieldPN:
			if typ != protowire.VarintType || v > 1<<32-1 {
				return fmt.Errorf("field %d: not a uint32", num)
			}
			if num == fieldN {
				out.N = uint32(v)
			} else {
				out.PN = uint32(v)
			}
		case fieldDHPub:
			if typ != protowire.BytesType || len(bs) != PublicKeySize {
				return fmt.Errorf("dh_pub: not %d bytes", PublicKeySize)
			}
			copy(out.DHPub[:], bs)
		case fieldCiphertext:
			if typ != protowire.BytesType {
				return fmt.Errorf("ciphertext: wire type %d", typ)
			}
			out.Ciphertext = bs
		default:
			return nil
		}
		if seen&(1<<num) != 0 {
			return fmt.Errorf("field %d repeated", num)
		}
		seen |= 1 << num
		return nil
	})
	if err == nil && seen&(1<<fieldN|1<<fieldPN|1<<fieldDHPub) != 1<<fieldN|1<<fieldPN|1<<fieldDHPub {
		err = fmt.Errorf("OMEMOMessage lacks a required field")
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	*m = out
	return nil
}

// AppendBinary appends the OMEMOAuthenticatedMessage encoding of a to b.
func (a *AuthenticatedMessage) AppendBinary(b []byte) ([]byte, error) {
	b = protowire.AppendTag(b, fieldMAC, protowire.BytesType)
	b = protowire.AppendBytes(b, a.MAC[:])
	b = protowire.AppendTag(b, fieldMessage, protowire.BytesType)
	b = protowire.AppendBytes(b, a.Message)
	return b, nil
}

// MarshalBinary returns the OMEMOAuthenticatedMessage encoding of a.
func (a *AuthenticatedMessage) MarshalBinary() ([]byte, error) {
	return a.AppendBinary(make([]byte, 0, 24+len(a.Message)))
}

// UnmarshalBinary parses an OMEMOAuthenticatedMessage (not the message it
// carries). Message aliases data. On error, a is unchanged.
func (a *AuthenticatedMessage) UnmarshalBinary(data []byte) error {
	if len(data) > MaxMessageSize {
		return limit("MaxMessageSize", MaxMessageSize, len(data))
	}
	var out AuthenticatedMessage
	var seen uint8
	err := walk(data, func(num protowire.Number, typ protowire.Type, _ uint64, bs []byte) error {
		switch num {
		case fieldMAC:
			if typ != protowire.BytesType || len(bs) != MACSize {
				return fmt.Errorf("mac: not %d bytes", MACSize)
			}
			copy(out.MAC[:], bs)
		case fieldMessage:
			if typ != protowire.BytesType {
				return fmt.Errorf("message: wire type %d", typ)
			}
			out.Message = bs
		default:
			return nil
		}
		if seen&(1<<num) != 0 {
			return fmt.Errorf("field %d repeated", num)
		}
		seen |= 1 << num
		return nil
	})
	if err == nil && seen != 1<<fieldMAC|1<<fieldMessage {
		err = fmt.Errorf("OMEMOAuthenticatedMessage lacks a required field")
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	*a = out
	return nil
}

// AppendBinary appends the OMEMOKeyExchange encoding of k to b.
func (k *KeyExchange) AppendBinary(b []byte) ([]byte, error) {
	b = protowire.AppendTag(b, fieldPKID, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(k.PreKeyID))
	b = protowire.AppendTag(b, fieldSPKID, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(k.SignedPreKeyID))
	b = protowire.AppendTag(b, fieldIK, protowire.BytesType)
	b = protowire.AppendBytes(b, k.IdentityKey[:])
	b = protowire.AppendTag(b, fieldEK, protowire.BytesType)
	b = protowire.AppendBytes(b, k.EphemeralKey[:])
	b = protowire.AppendTag(b, fieldKEXAuth, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(protowire.SizeTag(fieldMAC)+protowire.SizeBytes(MACSize)+protowire.SizeTag(fieldMessage)+protowire.SizeBytes(len(k.Message.Message))))
	return k.Message.AppendBinary(b)
}

// MarshalBinary returns the OMEMOKeyExchange encoding of k.
func (k *KeyExchange) MarshalBinary() ([]byte, error) {
	return k.AppendBinary(make([]byte, 0, 112+len(k.Message.Message)))
}

// UnmarshalBinary parses an OMEMOKeyExchange and the authenticated message
// it carries (not the OMEMOMessage inside that). On error, k is unchanged.
func (k *KeyExchange) UnmarshalBinary(data []byte) error {
	if len(data) > MaxMessageSize {
		return limit("MaxMessageSize", MaxMessageSize, len(data))
	}
	var out KeyExchange
	var seen uint8
	err := walk(data, func(num protowire.Number, typ protowire.Type, v uint64, bs []byte) error {
		switch num {
		case fieldPKID, fieldSPKID:
			if typ != protowire.VarintType || v > 1<<32-1 {
				return fmt.Errorf("field %d: not a uint32", num)
			}
			if num == fieldPKID {
				out.PreKeyID = uint32(v)
			} else {
				out.SignedPreKeyID = uint32(v)
			}
		case fieldIK, fieldEK:
			if typ != protowire.BytesType || len(bs) != 32 {
				return fmt.Errorf("field %d: not 32 bytes", num)
			}
			if num == fieldIK {
				copy(out.IdentityKey[:], bs)
			} else {
				copy(out.EphemeralKey[:], bs)
			}
		case fieldKEXAuth:
			if typ != protowire.BytesType {
				return fmt.Errorf("message: wire type %d", typ)
			}
			if err := out.Message.UnmarshalBinary(bs); err != nil {
				return err
			}
		default:
			return nil
		}
		if seen&(1<<num) != 0 {
			return fmt.Errorf("field %d repeated", num)
		}
		seen |= 1 << num
		return nil
	})
	const all = 1<<fieldPKID | 1<<fieldSPKID | 1<<fieldIK | 1<<fieldEK | 1<<fieldKEXAuth
	if err == nil && seen != all {
		err = fmt.Errorf("OMEMOKeyExchange lacks a required field")
	}
	if err != nil {
		if _, ok := err.(*LimitError); ok {
			return err
		}
		return fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	*k = out
	return nil
}

// walk calls f for each field of a protobuf message: its number, wire
// type, and value (v for varints, bs for length-delimited fields; other
// wire types are passed with neither and must be unknown fields).
func walk(data []byte, f func(num protowire.Number, typ protowire.Type, v uint64, bs []byte) error) error {
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return protowire.ParseError(n)
		}
		data = data[n:]
		var (
			v  uint64
			bs []byte
		)
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(data)
		case protowire.BytesType:
			bs, n = protowire.ConsumeBytes(data)
		default:
			n = protowire.ConsumeFieldValue(num, typ, data)
			if n >= 0 && num <= fieldKEXAuth {
				return fmt.Errorf("field %d: wire type %d", num, typ)
			}
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		data = data[n:]
		if err := f(num, typ, v, bs); err != nil {
			return err
		}
	}
	return nil
}
