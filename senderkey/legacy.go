package senderkey

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/forwardsecret/signal/curve"
	"google.golang.org/protobuf/encoding/protowire"
)

// The legacy layouts are the sender-key messages of the libraries that
// predate libsignal's 2021 rewrite and are still deployed:
// libsignal-protocol-c 2.3.3 and libsignal-protocol-java (OMEMO clients),
// python-axolotl, and the WhatsApp-Web libsignal forks. They carry no
// distribution id (those libraries key sender keys by group id and sender
// instead) and number their fields differently:
//
//	SenderKeyMessage             0x33 || {1 id (uint32), 2 iteration, 3 ciphertext} || signature (64)
//	SenderKeyDistributionMessage 0x33 || {1 id, 2 iteration, 3 chainKey, 4 signingKey}
//
// where id is the chain id. Keys, chain steps, encryption and signatures are
// the same as in the current layout, and so is the record (libsignal's
// storage.proto only added field 5, message_version), so one Store serves
// both. The app maps its group id to a DistributionID (any fixed 16-byte
// value per group, for example a hash of the group id) and passes it to the
// Legacy methods, since the messages do not carry it.
//
// The current libsignal (Signal's) parses neither legacy message: field 1 is
// bytes there and a varint here, so the two layouts never mistake one
// another.

// Legacy field numbers, shared by both messages.
const (
	lgID         = 1
	lgIteration  = 2
	lgCiphertext = 3 // SenderKeyMessage
	lgChainKey   = 3 // SenderKeyDistributionMessage
	lgSigningKey = 4 // SenderKeyDistributionMessage
)

const versionByte = MessageVersion<<4 | MessageVersion // 0x33

// MaxLegacyMessageSize bounds the inputs of the legacy parsers.
const MaxLegacyMessageSize = 4 << 20

// EncryptLegacy is Encrypt producing the legacy SenderKeyMessage layout, for
// groups with libsignal-protocol-c, -java, python-axolotl or WhatsApp-style
// peers. id is the app's DistributionID for the group.
func (c *Cipher) EncryptLegacy(ctx context.Context, self Sender, id DistributionID, plaintext []byte) ([]byte, error) {
	return c.encrypt(ctx, self, id, plaintext, true)
}

// DecryptLegacy is Decrypt for the legacy SenderKeyMessage layout. The
// message does not name its group, so the caller passes the DistributionID
// it keeps the group's sender keys under.
func (c *Cipher) DecryptLegacy(ctx context.Context, sender Sender, id DistributionID, message []byte) ([]byte, error) {
	m, err := parseLegacyMessage(message)
	if err != nil {
		return nil, err
	}
	m.id = id
	return c.decrypt(ctx, sender, m, nil)
}

// LegacyBytes returns m in the legacy SenderKeyDistributionMessage layout
// (without the distribution id) in a new slice.
func (m *DistributionMessage) LegacyBytes() []byte {
	b := make([]byte, 0, 1+2*6+2*34+2*35)
	b = append(b, versionByte)
	b = protowire.AppendTag(b, lgID, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(m.chainID))
	b = protowire.AppendTag(b, lgIteration, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(m.iteration))
	b = protowire.AppendTag(b, lgChainKey, protowire.BytesType)
	b = protowire.AppendBytes(b, m.chainKey[:])
	b = protowire.AppendTag(b, lgSigningKey, protowire.BytesType)
	b = protowire.AppendVarint(b, curve.PublicKeySize)
	return m.signingKey.AppendBytes(b)
}

// ParseLegacyDistributionMessage decodes a legacy SenderKeyDistributionMessage
// and attaches the app's DistributionID for the group it arrived for. All
// four fields are required; the chain key must be 32 bytes and the signing
// key a valid 33-byte public key. Errors wrap ErrInvalidMessage.
func ParseLegacyDistributionMessage(b []byte, id DistributionID) (*DistributionMessage, error) {
	var chainID, iteration uint32
	var chainKey, signingKey []byte
	var have [5]bool
	err := parseLegacy(b, "SenderKeyDistributionMessage", func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch num {
		case lgID, lgIteration:
			dst := &chainID
			if num == lgIteration {
				dst = &iteration
			}
			if err := legacyVarint(dst, typ, v); err != nil {
				return err
			}
		case lgChainKey, lgSigningKey:
			if typ != protowire.BytesType {
				return legacyTypeErr(num, typ)
			}
			if num == lgChainKey {
				chainKey = v
			} else {
				signingKey = v
			}
		default:
			return nil
		}
		have[num] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	for num := lgID; num <= lgSigningKey; num++ {
		if !have[num] {
			return nil, fmt.Errorf("%w: legacy SenderKeyDistributionMessage lacks field %d", ErrInvalidMessage, num)
		}
	}
	if len(chainKey) != ChainKeySize {
		return nil, fmt.Errorf("%w: chain key of %d bytes", ErrInvalidMessage, len(chainKey))
	}
	pub, err := curve.ParsePublicKey(signingKey)
	if err != nil {
		return nil, fmt.Errorf("%w: signing key: %w", ErrInvalidMessage, err)
	}
	m := &DistributionMessage{distributionID: id, chainID: chainID, iteration: iteration, signingKey: pub}
	copy(m.chainKey[:], chainKey)
	return m, nil
}

func appendLegacyMessage(b []byte, chainID, iteration uint32, ciphertext []byte) []byte {
	n := 1 + protowire.SizeTag(lgID) + protowire.SizeVarint(uint64(chainID)) +
		protowire.SizeTag(lgIteration) + protowire.SizeVarint(uint64(iteration)) +
		protowire.SizeTag(lgCiphertext) + protowire.SizeBytes(len(ciphertext)) + curve.SignatureSize
	if b == nil {
		b = make([]byte, 0, n)
	}
	b = append(b, versionByte)
	b = protowire.AppendTag(b, lgID, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(chainID))
	b = protowire.AppendTag(b, lgIteration, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(iteration))
	b = protowire.AppendTag(b, lgCiphertext, protowire.BytesType)
	return protowire.AppendBytes(b, ciphertext)
}

// parseLegacyMessage decodes a legacy SenderKeyMessage; id is left zero.
func parseLegacyMessage(b []byte) (*incoming, error) {
	if len(b) < 1+curve.SignatureSize+1 {
		return nil, fmt.Errorf("%w: legacy SenderKeyMessage of %d bytes", ErrInvalidMessage, len(b))
	}
	body := len(b) - curve.SignatureSize
	m := &incoming{signed: b[:body:body], signature: b[body:]}
	var have [4]bool
	err := parseLegacy(b[:body], "SenderKeyMessage", func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch num {
		case lgID:
			if err := legacyVarint(&m.chainID, typ, v); err != nil {
				return err
			}
		case lgIteration:
			if err := legacyVarint(&m.iteration, typ, v); err != nil {
				return err
			}
		case lgCiphertext:
			if typ != protowire.BytesType {
				return legacyTypeErr(num, typ)
			}
			m.body = v
		default:
			return nil
		}
		have[num] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	for num := lgID; num <= lgCiphertext; num++ {
		if !have[num] {
			return nil, fmt.Errorf("%w: legacy SenderKeyMessage lacks field %d", ErrInvalidMessage, num)
		}
	}
	return m, nil
}

// parseLegacy checks the size and version byte of a legacy message and
// walks the protobuf after it. Byte values passed to fn alias b.
func parseLegacy(b []byte, name string, fn func(protowire.Number, protowire.Type, []byte) error) error {
	switch {
	case len(b) > MaxLegacyMessageSize:
		return fmt.Errorf("%w: legacy %s of %d bytes", ErrInvalidMessage, name, len(b))
	case len(b) < 2:
		return fmt.Errorf("%w: legacy %s of %d bytes", ErrInvalidMessage, name, len(b))
	case b[0]>>4 != MessageVersion:
		return fmt.Errorf("%w: legacy %s version %d", ErrInvalidMessage, name, b[0]>>4)
	}
	if err := fields(b[1:], fn); err != nil {
		return fmt.Errorf("%w: legacy %s: %w", ErrInvalidMessage, name, err)
	}
	return nil
}

func legacyVarint(dst *uint32, typ protowire.Type, v []byte) error {
	if typ != protowire.VarintType {
		return fmt.Errorf("wire type %d for a varint field", typ)
	}
	x, _ := protowire.ConsumeVarint(v)
	*dst = uint32(x)
	return nil
}

func legacyTypeErr(num protowire.Number, typ protowire.Type) error {
	return fmt.Errorf("field %d has wire type %d", num, typ)
}

// fields calls fn for each field of the message in b with the field's raw
// value: for varints the varint bytes, for length-delimited fields the
// contents, for other types the value bytes.
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protoErr(n)
		}
		b = b[n:]
		var v []byte
		if typ == protowire.BytesType {
			v, n = protowire.ConsumeBytes(b)
		} else {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n >= 0 {
				v = b[:n]
			}
		}
		if n < 0 {
			return protoErr(n)
		}
		b = b[n:]
		if err := fn(num, typ, v); err != nil {
			return err
		}
	}
	return nil
}

// protoErr describes a protowire failure; callers wrap it with their
// package sentinel.
func protoErr(n int) error {
	err := protowire.ParseError(n)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated: %w", err)
	}
	return fmt.Errorf("malformed: %w", err)
}
