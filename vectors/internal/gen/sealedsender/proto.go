package main

import (
	"google.golang.org/protobuf/encoding/protowire"
)

// Protobuf (proto2 wire format): the sealed sender messages, written in the
// order libsignal writes them, and a small reader for the generator's own
// receiver (which checks every vector).

func pbVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func pbBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func pbFixed64(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, v)
}

func ptr[T any](v T) *T { return &v }

// serverCertFields is ServerCertificate.Certificate {uint32 id = 1; bytes
// key = 2}; nil fields are omitted, extra (unknown fields) is appended.
type serverCertFields struct {
	id    *uint32
	key   []byte
	extra []byte
}

func (f serverCertFields) encode() []byte {
	var b []byte
	if f.id != nil {
		b = pbVarint(b, 1, uint64(*f.id))
	}
	if f.key != nil {
		b = pbBytes(b, 2, f.key)
	}
	return append(b, f.extra...)
}

// signedMessage is ServerCertificate and SenderCertificate: {bytes
// certificate = 1; bytes signature = 2}; nil fields are omitted.
func signedMessage(cert, sig, extra []byte) []byte {
	var b []byte
	if cert != nil {
		b = pbBytes(b, 1, cert)
	}
	if sig != nil {
		b = pbBytes(b, 2, sig)
	}
	return append(b, extra...)
}

// senderCertFields is SenderCertificate.Certificate. libsignal writes
// senderE164 (1), senderDevice (2), expires (3), identityKey (4), the
// signer oneof (certificate 5 or id 8), then the senderUuid oneof
// (uuidString 6 or uuidBytes 7): libsignal's fixtures show the signer
// before the UUID, and id 8 before uuidString 6.
type senderCertFields struct {
	e164        *string
	device      *uint32
	expires     *uint64
	identityKey []byte
	signerCert  []byte
	signerID    *uint32
	uuidString  *string
	uuidBytes   []byte
	extra       []byte
}

func (f senderCertFields) encode() []byte {
	var b []byte
	if f.e164 != nil {
		b = pbBytes(b, 1, []byte(*f.e164))
	}
	if f.device != nil {
		b = pbVarint(b, 2, uint64(*f.device))
	}
	if f.expires != nil {
		b = pbFixed64(b, 3, *f.expires)
	}
	if f.identityKey != nil {
		b = pbBytes(b, 4, f.identityKey)
	}
	if f.signerCert != nil {
		b = pbBytes(b, 5, f.signerCert)
	}
	if f.signerID != nil {
		b = pbVarint(b, 8, uint64(*f.signerID))
	}
	if f.uuidString != nil {
		b = pbBytes(b, 6, []byte(*f.uuidString))
	}
	if f.uuidBytes != nil {
		b = pbBytes(b, 7, f.uuidBytes)
	}
	return append(b, f.extra...)
}

// Content types: libsignal's API numbers and the protobuf enum values.
var protoType = map[int]uint64{2: 2, 3: 1, 7: 7, 8: 8}

// usmcFields is UnidentifiedSenderMessage.Message. protoType nil omits
// field 1; hint is written when not 0 (or when writeHint).
type usmcFields struct {
	protoType *uint64
	cert      []byte
	content   []byte
	hint      uint64
	writeHint bool
	groupID   []byte
	extra     []byte
}

func (f usmcFields) encode() []byte {
	var b []byte
	if f.protoType != nil {
		b = pbVarint(b, 1, *f.protoType)
	}
	if f.cert != nil {
		b = pbBytes(b, 2, f.cert)
	}
	if f.content != nil {
		b = pbBytes(b, 3, f.content)
	}
	if f.hint != 0 || f.writeHint {
		b = pbVarint(b, 4, f.hint)
	}
	if len(f.groupID) > 0 {
		b = pbBytes(b, 5, f.groupID)
	}
	return append(b, f.extra...)
}

// v1Outer is 0x11 || UnidentifiedSenderMessage {ephemeralPublic = 1,
// encryptedStatic = 2, encryptedMessage = 3}.
func v1Outer(version byte, eph, static, msg []byte) []byte {
	b := []byte{version}
	if eph != nil {
		b = pbBytes(b, 1, eph)
	}
	if static != nil {
		b = pbBytes(b, 2, static)
	}
	if msg != nil {
		b = pbBytes(b, 3, msg)
	}
	return b
}

// pbField is one decoded field; the last occurrence of a number wins.
type pbField struct {
	typ protowire.Type
	v   uint64
	b   []byte
}

type pbMessage map[protowire.Number]pbField

// parsePB decodes a message; unknown fields are skipped. ok is false when
// the bytes are not a well-formed message or a group appears.
func parsePB(b []byte) (pbMessage, bool) {
	m := pbMessage{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, false
		}
		b = b[n:]
		var f pbField
		f.typ = typ
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			f.v, n = protowire.ConsumeFixed64(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.v = uint64(v)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(b)
		default:
			return nil, false
		}
		if n < 0 {
			return nil, false
		}
		b = b[n:]
		m[num] = f
	}
	return m, true
}

// bytesField returns field num of wire type bytes; present is false when
// absent, ok false when of another wire type.
func (m pbMessage) bytesField(num protowire.Number) (v []byte, present, ok bool) {
	f, has := m[num]
	if !has {
		return nil, false, true
	}
	return f.b, true, f.typ == protowire.BytesType
}

func (m pbMessage) varintField(num protowire.Number) (v uint64, present, ok bool) {
	f, has := m[num]
	if !has {
		return 0, false, true
	}
	return f.v, true, f.typ == protowire.VarintType
}

func (m pbMessage) fixed64Field(num protowire.Number) (v uint64, present, ok bool) {
	f, has := m[num]
	if !has {
		return 0, false, true
	}
	return f.v, true, f.typ == protowire.Fixed64Type
}
