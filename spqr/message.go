package spqr

import "github.com/forwardsecret/signal/internal/erasure"

// MessageType is the type byte of an SPQR V1 message.
type MessageType uint8

// Message types. Chunk-carrying types are Hdr, Ek, EkCt1Ack, Ct1 and Ct2.
const (
	TypeNone     MessageType = 0 // nothing to send in this state
	TypeHdr      MessageType = 1 // a chunk of the ML-KEM header and its MAC
	TypeEk       MessageType = 2 // a chunk of the encapsulation key
	TypeEkCt1Ack MessageType = 3 // a chunk of the encapsulation key, and ct1 fully received
	TypeCt1Ack   MessageType = 4 // ct1 fully received, encapsulation key all sent
	TypeCt1      MessageType = 5 // a chunk of ct1
	TypeCt2      MessageType = 6 // a chunk of ct2 and its MAC
)

func (t MessageType) hasChunk() bool {
	switch t {
	case TypeHdr, TypeEk, TypeEkCt1Ack, TypeCt1, TypeCt2:
		return true
	}
	return false
}

// String returns the type's name.
func (t MessageType) String() string {
	switch t {
	case TypeNone:
		return "None"
	case TypeHdr:
		return "Hdr"
	case TypeEk:
		return "Ek"
	case TypeEkCt1Ack:
		return "EkCt1Ack"
	case TypeCt1Ack:
		return "Ct1Ack"
	case TypeCt1:
		return "Ct1"
	case TypeCt2:
		return "Ct2"
	}
	return "MessageType(?)"
}

// Message limits.
const (
	// maxVarintLen is the longest varint SPQR reads.
	maxVarintLen = 10
	// MaxMessageSize is the longest message Marshal produces: version,
	// 10-byte epoch, 5-byte index, type, 3-byte chunk index, 32-byte chunk.
	MaxMessageSize = 1 + maxVarintLen + 5 + 1 + 3 + erasure.ChunkSize
)

// Message is a parsed SPQR V1 message, the content of SignalMessage field 5.
//
// Layout: version byte (1) || epoch (varint) || index (varint) || type byte
// || for chunk types: chunk index (varint) || 32-byte chunk. Trailing bytes
// are allowed and ignored (room for later versions).
type Message struct {
	Epoch uint64 // Braid epoch, >= 1
	Index uint32 // chain index of the message key (0: no key)
	Type  MessageType
	Chunk erasure.Chunk // for chunk-carrying types
}

// AppendBinary appends the encoded message to b.
func (m *Message) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, byte(V1))
	b = appendVarint(b, m.Epoch)
	b = appendVarint(b, uint64(m.Index))
	b = append(b, byte(m.Type))
	if m.Type.hasChunk() {
		b = appendVarint(b, uint64(m.Chunk.Index))
		b = append(b, m.Chunk.Data[:]...)
	}
	return b, nil
}

// MarshalBinary returns the encoded message.
func (m *Message) MarshalBinary() ([]byte, error) {
	return m.AppendBinary(make([]byte, 0, MaxMessageSize))
}

// ParseMessage parses a V1 message. Errors wrap ErrMessageDecode.
func ParseMessage(b []byte) (*Message, error) {
	m := new(Message)
	if err := parseMessage(b, m); err != nil {
		return nil, err
	}
	return m, nil
}

// parseMessage is ParseMessage into m (Recv's, on its stack).
func parseMessage(b []byte, m *Message) error {
	if len(b) == 0 || b[0] != byte(V1) {
		return ErrMessageDecode
	}
	at := 1
	epoch, ok := readVarint(b, &at)
	if !ok || epoch == 0 {
		return ErrMessageDecode
	}
	index, ok := readVarint(b, &at)
	if !ok || index > 1<<32-1 {
		return ErrMessageDecode
	}
	if at >= len(b) || b[at] > byte(TypeCt2) {
		return ErrMessageDecode
	}
	*m = Message{Epoch: epoch, Index: uint32(index), Type: MessageType(b[at])}
	at++
	if m.Type.hasChunk() {
		ci, ok := readVarint(b, &at)
		if !ok || ci > 0xffff || len(b)-at < erasure.ChunkSize {
			return ErrMessageDecode
		}
		m.Chunk.Index = uint16(ci)
		copy(m.Chunk.Data[:], b[at:])
	}
	return nil
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// readVarint reads a little-endian base-128 varint of at most 10 bytes at
// *at. Like SPQR, it accepts non-minimal encodings and drops bits beyond 64.
func readVarint(b []byte, at *int) (uint64, bool) {
	var v uint64
	for i := 0; i < maxVarintLen && *at+i < len(b); i++ {
		c := b[*at+i]
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			*at += i + 1
			return v, true
		}
	}
	return 0, false
}
