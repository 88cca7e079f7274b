package sealedsender

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/internal/wire"
)

// ContentType is the type of the message inside an envelope, numbered as
// libsignal's CiphertextMessageType (and the Signal service's envelope
// types): the first two are session.MessageType values.
type ContentType uint8

// The content types.
const (
	// TypeSignal is a session message (session.TypeSignal).
	TypeSignal ContentType = 2
	// TypePreKey is a session PreKey message (session.TypePreKey).
	TypePreKey ContentType = 3
	// TypeSenderKey is a sender-key (group) message (package senderkey).
	TypeSenderKey ContentType = 7
	// TypePlaintext is an unencrypted PlaintextContent (package recovery):
	// the one message that is sent without a session, such as a
	// decryption-error message.
	TypePlaintext ContentType = 8
)

// protoType is the content type's value in the protobuf, where a PreKey
// message is 1.
func (t ContentType) protoType() (uint64, bool) {
	switch t {
	case TypeSignal, TypeSenderKey, TypePlaintext:
		return uint64(t), true
	case TypePreKey:
		return 1, true
	}
	return 0, false
}

func contentTypeFromProto(v uint64) (ContentType, bool) {
	switch v {
	case 1:
		return TypePreKey, true
	case 2, 7, 8:
		return ContentType(v), true
	}
	return 0, false
}

// String names the type.
func (t ContentType) String() string {
	switch t {
	case TypeSignal:
		return "signal"
	case TypePreKey:
		return "prekey"
	case TypeSenderKey:
		return "senderkey"
	case TypePlaintext:
		return "plaintext"
	}
	return fmt.Sprintf("ContentType(%d)", uint8(t))
}

// ContentHint tells the recipient what to do when the content cannot be
// decrypted. Values other than the named ones are kept as they are.
type ContentHint uint32

// The content hints.
const (
	// HintDefault: the sender will not resend; show an error at once.
	HintDefault ContentHint = 0
	// HintResendable: the sender will resend when asked; delay any error.
	HintResendable ContentHint = 1
	// HintImplicit: something sent implicitly (a receipt, a typing
	// notification); show no error at all.
	HintImplicit ContentHint = 2
)

// Content is the message inside an envelope (libsignal's
// UnidentifiedSenderMessageContent): what the sender encrypted for the
// recipient, and the sender's certificate.
type Content struct {
	// Type is the type of Body.
	Type ContentType
	// Certificate is the sender's certificate.
	Certificate *SenderCertificate
	// Body is the inner message: a session message, a sender-key message
	// or a PlaintextContent.
	Body []byte
	// Hint is the content hint.
	Hint ContentHint
	// GroupID is the group the message is for, or nil.
	GroupID []byte
}

// Protobuf field numbers of UnidentifiedSenderMessage.Message.
const (
	fieldContentType    = 1
	fieldContentCert    = 2
	fieldContentBody    = 3
	fieldContentHint    = 4
	fieldContentGroupID = 5
)

// MarshalBinary encodes c as libsignal does: the hint only when it is not
// HintDefault, the group id only when it is not empty.
func (c *Content) MarshalBinary() ([]byte, error) {
	return c.appendBinary(nil)
}

func (c *Content) appendBinary(b []byte) ([]byte, error) {
	pt, ok := c.Type.protoType()
	if !ok {
		return nil, fmt.Errorf("%w: content type %d", ErrInvalidArgument, c.Type)
	}
	if c.Certificate == nil {
		return nil, fmt.Errorf("%w: content without a sender certificate", ErrInvalidArgument)
	}
	cert := c.Certificate.raw
	b = protowire.AppendTag(b, fieldContentType, protowire.VarintType)
	b = protowire.AppendVarint(b, pt)
	b = protowire.AppendTag(b, fieldContentCert, protowire.BytesType)
	b = protowire.AppendBytes(b, cert)
	b = protowire.AppendTag(b, fieldContentBody, protowire.BytesType)
	b = protowire.AppendBytes(b, c.Body)
	if c.Hint != HintDefault {
		b = protowire.AppendTag(b, fieldContentHint, protowire.VarintType)
		// An int32 enum: protobuf sign-extends negative values.
		b = protowire.AppendVarint(b, uint64(int64(int32(c.Hint))))
	}
	if len(c.GroupID) > 0 {
		b = protowire.AppendTag(b, fieldContentGroupID, protowire.BytesType)
		b = protowire.AppendBytes(b, c.GroupID)
	}
	return b, nil
}

// ParseContent decodes a Content and its sender certificate (which it does
// not validate: see SenderCertificate.Validate). Its byte fields do not
// alias b.
func ParseContent(b []byte) (*Content, error) {
	r := wire.NewReader(b, "UnidentifiedSenderMessage.Message")
	var (
		c                            Content
		cert                         []byte
		haveType, haveCert, haveBody bool
	)
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
		}
		switch num {
		case fieldContentType:
			v, err := r.Varint("type", typ)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
			}
			t, ok := contentTypeFromProto(uint64(int64(int32(v))))
			if !ok {
				return nil, fmt.Errorf("%w: unknown content type %d", ErrInvalidMessage, int32(v))
			}
			c.Type, haveType = t, true
		case fieldContentCert:
			v, err := r.Raw("senderCertificate", typ)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
			}
			cert, haveCert = v, true
		case fieldContentBody:
			v, err := r.Raw("content", typ)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
			}
			c.Body, haveBody = v, true
		case fieldContentHint:
			v, err := r.Varint("contentHint", typ)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
			}
			c.Hint = ContentHint(uint32(v))
		case fieldContentGroupID:
			v, err := r.Raw("groupId", typ)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
			}
			c.GroupID = v
		default:
			if err := r.Skip(num, typ); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
			}
		}
	}
	if !haveType || !haveCert || !haveBody {
		return nil, fmt.Errorf("%w: content lacks its type, sender certificate or body", ErrInvalidMessage)
	}
	sc, err := ParseSenderCertificate(cert)
	if err != nil {
		return nil, err
	}
	c.Certificate = sc
	c.Body = clone(c.Body)
	if c.GroupID != nil {
		c.GroupID = clone(c.GroupID)
	}
	return &c, nil
}

// clone copies b, keeping a non-nil empty slice non-nil.
func clone(b []byte) []byte {
	return append(make([]byte, 0, len(b)), b...)
}
