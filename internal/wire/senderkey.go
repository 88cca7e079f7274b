package wire

import "slices"

// Sender-key (group) layout constants.
const (
	// SenderKeyVersion is the only version of sender-key messages: their
	// first byte is 0x33 and the parsers require a high nibble of 3.
	SenderKeyVersion = 3
	// SignatureSize is the length of the XEdDSA signature that ends a
	// SenderKeyMessage.
	SignatureSize = 64
	// DistributionIDSize is the length of a distribution id (a UUID).
	DistributionIDSize = 16
	// SenderKeyChainKeySize is the length of a distribution message's
	// chain key.
	SenderKeyChainKeySize = 32
	// SenderKeySigningKeySize is the length of a distribution message's
	// signing key (0x05 || u).
	SenderKeySigningKeySize = 33
)

const senderKeyVersionByte = SenderKeyVersion<<4 | SenderKeyVersion // 0x33

// SenderKeyMessage is a group message (type 7):
//
//	0x33 || protobuf {1 distribution_uuid, 2 chain_id, 3 iteration,
//	                  4 ciphertext} || XEdDSA signature (64 bytes)
//
// The signature covers every byte before it. All four fields are required
// and always written.
type SenderKeyMessage struct {
	DistributionID [DistributionIDSize]byte
	ChainID        uint32
	Iteration      uint32
	Ciphertext     []byte
}

// ReceivedSenderKeyMessage is a parsed SenderKeyMessage with the bytes its
// signature covers.
type ReceivedSenderKeyMessage struct {
	SenderKeyMessage
	// CurrentVersion is the low nibble of byte 0 (libsignal writes 3).
	CurrentVersion uint8
	// SignatureInput is 0x33 || protobuf exactly as received: verify the
	// signature over these bytes.
	SignatureInput []byte
	// Signature is the trailing XEdDSA signature as received.
	Signature [SignatureSize]byte
}

// Field numbers shared by SenderKeyMessage and SenderKeyDistributionMessage.
const (
	skDistributionID = 1
	skChainID        = 2
	skIteration      = 3
	skCiphertext     = 4 // SenderKeyMessage
	skChainKey       = 4 // SenderKeyDistributionMessage
	skSigningKey     = 5 // SenderKeyDistributionMessage
)

func (m *SenderKeyMessage) protoSize() int {
	return sizeBytesField(skDistributionID, DistributionIDSize) +
		sizeVarintField(skChainID, uint64(m.ChainID)) +
		sizeVarintField(skIteration, uint64(m.Iteration)) +
		sizeBytesField(skCiphertext, len(m.Ciphertext))
}

// EncodedLen is the length of the complete message, signature included.
func (m *SenderKeyMessage) EncodedLen() int { return 1 + m.protoSize() + SignatureSize }

// AppendUnsigned appends 0x33 || protobuf, the part the signature covers.
// The caller signs these bytes and appends the 64-byte signature.
func (m *SenderKeyMessage) AppendUnsigned(dst []byte) []byte {
	dst = slices.Grow(dst, m.EncodedLen())
	dst = append(dst, senderKeyVersionByte)
	dst = appendBytesField(dst, skDistributionID, m.DistributionID[:])
	dst = appendVarintField(dst, skChainID, uint64(m.ChainID))
	dst = appendVarintField(dst, skIteration, uint64(m.Iteration))
	dst = appendBytesField(dst, skCiphertext, m.Ciphertext)
	return dst
}

// ParseSenderKeyMessage parses a complete SenderKeyMessage. It checks the
// version (high nibble 3), the encoding, that all four fields are present
// (ErrMissingField) and that the distribution id is 16 bytes
// (ErrInvalidField). It does not verify the signature.
func ParseSenderKeyMessage(b []byte) (*ReceivedSenderKeyMessage, error) {
	if len(b) > MaxMessageSize {
		return nil, errMessageTooLarge
	}
	m := new(ReceivedSenderKeyMessage)
	if err := m.parse(clone(b)); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *ReceivedSenderKeyMessage) parse(b []byte) error {
	const msg = "SenderKeyMessage"
	if len(b) < 1+SignatureSize {
		return tooShort(msg, len(b))
	}
	_, cur, err := parseVersion(msg, b[0], SenderKeyVersion, SenderKeyVersion)
	if err != nil {
		return err
	}
	body := len(b) - SignatureSize
	*m = ReceivedSenderKeyMessage{CurrentVersion: cur, SignatureInput: b[:body:body]}
	copy(m.Signature[:], b[body:])

	var dist []byte // last occurrence wins, then its length is checked
	var haveDist, haveChain, haveIter, haveCT bool
	r := Reader{b: b[1:body], msg: msg}
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return err
		}
		switch num {
		case skDistributionID:
			dist, err = r.Bytes("distribution_uuid", typ)
			haveDist = true
		case skChainID:
			m.ChainID, err = r.Uint32("chain_id", typ)
			haveChain = true
		case skIteration:
			m.Iteration, err = r.Uint32("iteration", typ)
			haveIter = true
		case skCiphertext:
			m.Ciphertext, err = r.Bytes("ciphertext", typ)
			haveCT = true
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	switch {
	case !haveDist:
		return missing(msg, "distribution_uuid")
	case !haveChain:
		return missing(msg, "chain_id")
	case !haveIter:
		return missing(msg, "iteration")
	case !haveCT:
		return missing(msg, "ciphertext")
	case len(dist) != DistributionIDSize:
		return invalid(msg, "distribution_uuid", "not 16 bytes")
	}
	copy(m.DistributionID[:], dist)
	return nil
}

// SenderKeyDistributionMessage hands a sender key to a group member:
//
//	0x33 || protobuf {1 distribution_uuid, 2 chain_id, 3 iteration,
//	                  4 chain_key (32 bytes), 5 signing_key (33 bytes)}
//
// All five fields are required and always written.
type SenderKeyDistributionMessage struct {
	DistributionID [DistributionIDSize]byte
	ChainID        uint32
	Iteration      uint32
	ChainKey       []byte // SenderKeyChainKeySize bytes
	SigningKey     []byte // SenderKeySigningKeySize bytes, 0x05 || u
}

// ReceivedSenderKeyDistributionMessage is a parsed
// SenderKeyDistributionMessage.
type ReceivedSenderKeyDistributionMessage struct {
	SenderKeyDistributionMessage
	// CurrentVersion is the low nibble of byte 0 (libsignal writes 3).
	CurrentVersion uint8
}

func (m *SenderKeyDistributionMessage) protoSize() int {
	return sizeBytesField(skDistributionID, DistributionIDSize) +
		sizeVarintField(skChainID, uint64(m.ChainID)) +
		sizeVarintField(skIteration, uint64(m.Iteration)) +
		sizeBytesField(skChainKey, len(m.ChainKey)) +
		sizeBytesField(skSigningKey, len(m.SigningKey))
}

// EncodedLen is the length of the encoded message.
func (m *SenderKeyDistributionMessage) EncodedLen() int { return 1 + m.protoSize() }

// Append appends the encoded message to dst. It fails with ErrInvalidField
// if ChainKey or SigningKey has the wrong length (no parser would accept
// it).
func (m *SenderKeyDistributionMessage) Append(dst []byte) ([]byte, error) {
	const msg = "SenderKeyDistributionMessage"
	if len(m.ChainKey) != SenderKeyChainKeySize {
		return dst, invalid(msg, "chain_key", "not 32 bytes")
	}
	if len(m.SigningKey) != SenderKeySigningKeySize {
		return dst, invalid(msg, "signing_key", "not 33 bytes")
	}
	dst = slices.Grow(dst, m.EncodedLen())
	dst = append(dst, senderKeyVersionByte)
	dst = appendBytesField(dst, skDistributionID, m.DistributionID[:])
	dst = appendVarintField(dst, skChainID, uint64(m.ChainID))
	dst = appendVarintField(dst, skIteration, uint64(m.Iteration))
	dst = appendBytesField(dst, skChainKey, m.ChainKey)
	dst = appendBytesField(dst, skSigningKey, m.SigningKey)
	return dst, nil
}

// ParseSenderKeyDistributionMessage parses a SenderKeyDistributionMessage.
// It checks the version (high nibble 3), the encoding, that all five fields
// are present (ErrMissingField), and the lengths of distribution_uuid (16),
// chain_key (32) and signing_key (33) (ErrInvalidField). Inputs shorter
// than 65 bytes are ErrTruncated, as in libsignal.
func ParseSenderKeyDistributionMessage(b []byte) (*ReceivedSenderKeyDistributionMessage, error) {
	if len(b) > MaxMessageSize {
		return nil, errMessageTooLarge
	}
	m := new(ReceivedSenderKeyDistributionMessage)
	if err := m.parse(clone(b)); err != nil {
		return nil, err
	}
	return m, nil
}

// minSKDMSize is libsignal's "too short" bound for distribution messages.
const minSKDMSize = 1 + 32 + 32

func (m *ReceivedSenderKeyDistributionMessage) parse(b []byte) error {
	const msg = "SenderKeyDistributionMessage"
	if len(b) < minSKDMSize {
		return tooShort(msg, len(b))
	}
	_, cur, err := parseVersion(msg, b[0], SenderKeyVersion, SenderKeyVersion)
	if err != nil {
		return err
	}
	*m = ReceivedSenderKeyDistributionMessage{CurrentVersion: cur}

	var dist []byte
	var haveDist, haveChain, haveIter, haveCK, haveSK bool
	r := Reader{b: b[1:], msg: msg}
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return err
		}
		switch num {
		case skDistributionID:
			dist, err = r.Bytes("distribution_uuid", typ)
			haveDist = true
		case skChainID:
			m.ChainID, err = r.Uint32("chain_id", typ)
			haveChain = true
		case skIteration:
			m.Iteration, err = r.Uint32("iteration", typ)
			haveIter = true
		case skChainKey:
			m.ChainKey, err = r.Bytes("chain_key", typ)
			haveCK = true
		case skSigningKey:
			m.SigningKey, err = r.Bytes("signing_key", typ)
			haveSK = true
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	switch {
	case !haveDist:
		return missing(msg, "distribution_uuid")
	case !haveChain:
		return missing(msg, "chain_id")
	case !haveIter:
		return missing(msg, "iteration")
	case !haveCK:
		return missing(msg, "chain_key")
	case !haveSK:
		return missing(msg, "signing_key")
	case len(dist) != DistributionIDSize:
		return invalid(msg, "distribution_uuid", "not 16 bytes")
	case len(m.ChainKey) != SenderKeyChainKeySize:
		return invalid(msg, "chain_key", "not 32 bytes")
	case len(m.SigningKey) != SenderKeySigningKeySize:
		return invalid(msg, "signing_key", "not 33 bytes")
	}
	copy(m.DistributionID[:], dist)
	return nil
}
