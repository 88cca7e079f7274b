package wire

import "slices"

// Versions and sizes fixed by the layouts.
const (
	// VersionV3 is the message version of X3DH + Double Ratchet sessions
	// (first byte 0x33). libsignal no longer starts such sessions, but
	// other peers still speak it.
	VersionV3 = 3
	// VersionV4 is the message version of PQXDH + triple-ratchet sessions
	// (first byte 0x44), the version current libsignal speaks.
	VersionV4 = 4
	// MinVersion and MaxVersion bound the high nibble the parsers accept
	// for SignalMessage and PreKeySignalMessage. Below MinVersion is
	// ErrLegacyVersion, above MaxVersion ErrUnknownVersion.
	MinVersion = VersionV3
	MaxVersion = VersionV4

	// MACSize is the length of the truncated HMAC-SHA256 that ends a
	// SignalMessage.
	MACSize = 8
	// AddressesSize is the length of SignalMessage.Addresses as libsignal
	// writes it: sender service id (17) || sender device (1) || recipient
	// service id (17) || recipient device (1). The parser does not enforce
	// it: a wrong value is the session layer's MAC failure.
	AddressesSize = 36

	// MaxMessageSize is the longest input the message parsers accept.
	// Real messages are far smaller (a Kyber PreKeySignalMessage is about
	// 1.7 KiB plus the body, and Signal bodies are padded text); the cap
	// only keeps absurd inputs from being copied.
	MaxMessageSize = 4 << 20
)

// minSignalMessageSize is a version byte plus a MAC (libsignal's
// "ciphertext message too short" bound).
const minSignalMessageSize = 1 + MACSize

// SignalMessage is a Double Ratchet message (type 2):
//
//	byte0 || protobuf {1 ratchet_key, 2 counter, 3 previous_counter,
//	                   4 ciphertext, 5 pq_ratchet, 6 addresses} || MAC (8 bytes)
//
// with byte0 = Version<<4 | CurrentVersion. Encoders write fields 1 to 4
// always (counters even when zero) and fields 5 and 6 only when non-empty,
// as libsignal does.
type SignalMessage struct {
	// Version is the message version, the high nibble of byte 0: the
	// session version, VersionV3 or VersionV4.
	Version uint8
	// CurrentVersion is the low nibble of byte 0: the highest version the
	// sender speaks. Parsers (libsignal's and this one) ignore it, and it
	// is written as given, 0 included, so that encoding a parsed message
	// reproduces byte 0. Set it explicitly: libsignal writes 4 (0x44 for
	// v4), v3-only peers write 3 (0x33).
	CurrentVersion uint8
	// RatchetKey is the sender's ratchet public key, 33 bytes 0x05||u
	// (not checked here). Required.
	RatchetKey []byte
	// Counter is the message's index in the sending chain. Required.
	Counter uint32
	// PreviousCounter is the length of the sender's previous sending
	// chain. Optional on the wire (absent parses as 0, as in libsignal);
	// always written.
	PreviousCounter uint32
	// Ciphertext is the AES-256-CBC body. Required.
	Ciphertext []byte
	// PQRatchet is the SPQR message (v4). Empty means absent (SPQR V0).
	PQRatchet []byte
	// Addresses binds the message to sender and recipient addresses
	// (AddressesSize bytes). Empty means absent.
	Addresses []byte
}

// ReceivedSignalMessage is a parsed SignalMessage together with the bytes
// its MAC covers.
type ReceivedSignalMessage struct {
	SignalMessage
	// MACInput is byte0 || protobuf exactly as received: the bytes the MAC
	// is computed over (after the two identity keys). Verify the MAC over
	// these, not over a re-encoding.
	MACInput []byte
	// MAC is the trailing 8-byte MAC as received.
	MAC [MACSize]byte
}

// versionByte builds byte 0 for a SignalMessage or PreKeySignalMessage.
func versionByte(msg string, v, cur uint8) (byte, error) {
	if v < MinVersion || v > MaxVersion || cur > 0x0f {
		return 0, invalid(msg, "version", "cannot be encoded")
	}
	return v<<4 | cur, nil
}

// parseVersion splits byte 0 and checks the high nibble against min..max.
func parseVersion(msg string, b0 byte, min, max uint8) (v, cur uint8, err error) {
	v, cur = b0>>4, b0&0x0f
	switch {
	case v < min:
		return 0, 0, &VersionError{Message: msg, Version: v, Err: ErrLegacyVersion}
	case v > max:
		return 0, 0, &VersionError{Message: msg, Version: v, Err: ErrUnknownVersion}
	}
	return v, cur, nil
}

// Field numbers of SignalMessage.
const (
	smRatchetKey      = 1
	smCounter         = 2
	smPreviousCounter = 3
	smCiphertext      = 4
	smPQRatchet       = 5
	smAddresses       = 6
)

func (m *SignalMessage) protoSize() int {
	return sizeBytesField(smRatchetKey, len(m.RatchetKey)) +
		sizeVarintField(smCounter, uint64(m.Counter)) +
		sizeVarintField(smPreviousCounter, uint64(m.PreviousCounter)) +
		sizeBytesField(smCiphertext, len(m.Ciphertext)) +
		sizeBytes3(smPQRatchet, m.PQRatchet) +
		sizeBytes3(smAddresses, m.Addresses)
}

// EncodedLen is the length of the complete message, MAC included.
func (m *SignalMessage) EncodedLen() int { return 1 + m.protoSize() + MACSize }

// AppendUnsigned appends byte0 || protobuf, the part the MAC covers, to dst.
// The caller computes the MAC over the identity keys and these bytes and
// appends its first MACSize bytes to complete the message. It fails only
// with ErrInvalidField, for a Version outside MinVersion..MaxVersion or a
// CurrentVersion above 15.
func (m *SignalMessage) AppendUnsigned(dst []byte) ([]byte, error) {
	b0, err := versionByte("SignalMessage", m.Version, m.CurrentVersion)
	if err != nil {
		return dst, err
	}
	dst = slices.Grow(dst, m.EncodedLen())
	dst = append(dst, b0)
	dst = appendBytesField(dst, smRatchetKey, m.RatchetKey)
	dst = appendVarintField(dst, smCounter, uint64(m.Counter))
	dst = appendVarintField(dst, smPreviousCounter, uint64(m.PreviousCounter))
	dst = appendBytesField(dst, smCiphertext, m.Ciphertext)
	dst = appendBytes3(dst, smPQRatchet, m.PQRatchet)
	dst = appendBytes3(dst, smAddresses, m.Addresses)
	return dst, nil
}

// ParseSignalMessage parses a complete SignalMessage (byte0 || protobuf ||
// MAC). It checks the layout only: the version nibble (ErrLegacyVersion,
// ErrUnknownVersion), the protobuf encoding, and the presence of
// ratchet_key, counter and ciphertext. It does not verify the MAC or the
// key: see ReceivedSignalMessage.MACInput.
func ParseSignalMessage(b []byte) (*ReceivedSignalMessage, error) {
	if len(b) > MaxMessageSize {
		return nil, errMessageTooLarge
	}
	m := new(ReceivedSignalMessage)
	if err := m.parse(clone(b)); err != nil {
		return nil, err
	}
	return m, nil
}

// parse parses b in place: the fields of m alias b.
func (m *ReceivedSignalMessage) parse(b []byte) error {
	const msg = "SignalMessage"
	if len(b) < minSignalMessageSize {
		return tooShort(msg, len(b))
	}
	v, cur, err := parseVersion(msg, b[0], MinVersion, MaxVersion)
	if err != nil {
		return err
	}
	body := len(b) - MACSize
	*m = ReceivedSignalMessage{MACInput: b[:body:body]}
	copy(m.MAC[:], b[body:])
	m.Version, m.CurrentVersion = v, cur

	var haveKey, haveCounter, haveCiphertext bool
	r := Reader{b: b[1:body], msg: msg}
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return err
		}
		switch num {
		case smRatchetKey:
			m.RatchetKey, err = r.Bytes("ratchet_key", typ)
			haveKey = true
		case smCounter:
			m.Counter, err = r.Uint32("counter", typ)
			haveCounter = true
		case smPreviousCounter:
			m.PreviousCounter, err = r.Uint32("previous_counter", typ)
		case smCiphertext:
			m.Ciphertext, err = r.Bytes("ciphertext", typ)
			haveCiphertext = true
		case smPQRatchet:
			m.PQRatchet, err = r.Bytes("pq_ratchet", typ)
		case smAddresses:
			m.Addresses, err = r.Bytes("addresses", typ)
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	switch {
	case !haveKey:
		return missing(msg, "ratchet_key")
	case !haveCounter:
		return missing(msg, "counter")
	case !haveCiphertext:
		return missing(msg, "ciphertext")
	}
	return nil
}

// PreKeySignalMessage is the first-flight message (type 3) that carries the
// handshake together with a whole SignalMessage:
//
//	byte0 || protobuf {1 pre_key_id, 2 base_key, 3 identity_key, 4 message,
//	                   5 registration_id, 6 signed_pre_key_id,
//	                   7 kyber_pre_key_id, 8 kyber_ciphertext}
//
// There is no outer MAC. Fields are written in number order (the order
// libsignal writes, although wire.proto declares 5 first); registration_id
// and signed_pre_key_id are always written, pre_key_id when HasPreKeyID,
// fields 7 and 8 together when KyberCiphertext is non-empty.
type PreKeySignalMessage struct {
	// Version and CurrentVersion form byte 0, as in SignalMessage.
	Version        uint8
	CurrentVersion uint8
	// RegistrationID is the sender's registration id. Optional on the wire
	// (absent parses as 0); always written.
	RegistrationID uint32
	// PreKeyID is the one-time pre-key used, if HasPreKeyID.
	PreKeyID    uint32
	HasPreKeyID bool
	// SignedPreKeyID is the signed pre-key used. Required.
	SignedPreKeyID uint32
	// KyberPreKeyID and KyberCiphertext are the Kyber pre-key used and the
	// KEM ciphertext (type byte || ciphertext). Both present or both
	// absent; absent (empty KyberCiphertext) is legal only in version 3.
	KyberPreKeyID   uint32
	KyberCiphertext []byte
	// BaseKey is the sender's ephemeral public key. Required.
	BaseKey []byte
	// IdentityKey is the sender's identity public key. Required.
	IdentityKey []byte
	// Message is a complete serialized SignalMessage (MAC included).
	// Required.
	Message []byte
}

// ReceivedPreKeySignalMessage is a parsed PreKeySignalMessage with its
// inner SignalMessage parsed too.
type ReceivedPreKeySignalMessage struct {
	PreKeySignalMessage
	// Inner is Message parsed. Its version is not compared with the outer
	// one here; that is the session layer's check.
	Inner ReceivedSignalMessage
}

// Field numbers of PreKeySignalMessage.
const (
	pkPreKeyID        = 1
	pkBaseKey         = 2
	pkIdentityKey     = 3
	pkMessage         = 4
	pkRegistrationID  = 5
	pkSignedPreKeyID  = 6
	pkKyberPreKeyID   = 7
	pkKyberCiphertext = 8
)

func (m *PreKeySignalMessage) protoSize() int {
	n := sizeBytesField(pkBaseKey, len(m.BaseKey)) +
		sizeBytesField(pkIdentityKey, len(m.IdentityKey)) +
		sizeBytesField(pkMessage, len(m.Message)) +
		sizeVarintField(pkRegistrationID, uint64(m.RegistrationID)) +
		sizeVarintField(pkSignedPreKeyID, uint64(m.SignedPreKeyID))
	if m.HasPreKeyID {
		n += sizeVarintField(pkPreKeyID, uint64(m.PreKeyID))
	}
	if len(m.KyberCiphertext) > 0 {
		n += sizeVarintField(pkKyberPreKeyID, uint64(m.KyberPreKeyID)) +
			sizeBytesField(pkKyberCiphertext, len(m.KyberCiphertext))
	}
	return n
}

// EncodedLen is the length of the encoded message.
func (m *PreKeySignalMessage) EncodedLen() int { return 1 + m.protoSize() }

// Append appends the encoded message to dst. It fails with ErrInvalidField
// for a bad version, or for version 4 without a Kyber ciphertext (which no
// parser would accept).
func (m *PreKeySignalMessage) Append(dst []byte) ([]byte, error) {
	const msg = "PreKeySignalMessage"
	b0, err := versionByte(msg, m.Version, m.CurrentVersion)
	if err != nil {
		return dst, err
	}
	if m.Version > VersionV3 && len(m.KyberCiphertext) == 0 {
		return dst, invalid(msg, "kyber_ciphertext", "required from version 4")
	}
	dst = slices.Grow(dst, m.EncodedLen())
	dst = append(dst, b0)
	if m.HasPreKeyID {
		dst = appendVarintField(dst, pkPreKeyID, uint64(m.PreKeyID))
	}
	dst = appendBytesField(dst, pkBaseKey, m.BaseKey)
	dst = appendBytesField(dst, pkIdentityKey, m.IdentityKey)
	dst = appendBytesField(dst, pkMessage, m.Message)
	dst = appendVarintField(dst, pkRegistrationID, uint64(m.RegistrationID))
	dst = appendVarintField(dst, pkSignedPreKeyID, uint64(m.SignedPreKeyID))
	if len(m.KyberCiphertext) > 0 {
		dst = appendVarintField(dst, pkKyberPreKeyID, uint64(m.KyberPreKeyID))
		dst = appendBytesField(dst, pkKyberCiphertext, m.KyberCiphertext)
	}
	return dst, nil
}

// ParsePreKeySignalMessage parses a PreKeySignalMessage and the
// SignalMessage inside it. Required: signed_pre_key_id, base_key,
// identity_key, message (ErrMissingField). kyber_pre_key_id and
// kyber_ciphertext must be both present or both absent, the ciphertext
// non-empty (ErrInvalidField), and present from version 4 on
// (ErrMissingField). Errors from the inner message are returned as they are.
func ParsePreKeySignalMessage(b []byte) (*ReceivedPreKeySignalMessage, error) {
	if len(b) > MaxMessageSize {
		return nil, errMessageTooLarge
	}
	m := new(ReceivedPreKeySignalMessage)
	if err := m.parse(clone(b)); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *ReceivedPreKeySignalMessage) parse(b []byte) error {
	const msg = "PreKeySignalMessage"
	if len(b) == 0 {
		return tooShort(msg, 0)
	}
	v, cur, err := parseVersion(msg, b[0], MinVersion, MaxVersion)
	if err != nil {
		return err
	}
	*m = ReceivedPreKeySignalMessage{}
	m.Version, m.CurrentVersion = v, cur

	var haveSigned, haveBase, haveIdentity, haveMessage, haveKyberID, haveKyberCT bool
	r := Reader{b: b[1:], msg: msg}
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return err
		}
		switch num {
		case pkPreKeyID:
			m.PreKeyID, err = r.Uint32("pre_key_id", typ)
			m.HasPreKeyID = true
		case pkBaseKey:
			m.BaseKey, err = r.Bytes("base_key", typ)
			haveBase = true
		case pkIdentityKey:
			m.IdentityKey, err = r.Bytes("identity_key", typ)
			haveIdentity = true
		case pkMessage:
			m.Message, err = r.Bytes("message", typ)
			haveMessage = true
		case pkRegistrationID:
			m.RegistrationID, err = r.Uint32("registration_id", typ)
		case pkSignedPreKeyID:
			m.SignedPreKeyID, err = r.Uint32("signed_pre_key_id", typ)
			haveSigned = true
		case pkKyberPreKeyID:
			m.KyberPreKeyID, err = r.Uint32("kyber_pre_key_id", typ)
			haveKyberID = true
		case pkKyberCiphertext:
			m.KyberCiphertext, err = r.Bytes("kyber_ciphertext", typ)
			haveKyberCT = true
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	switch {
	case !haveBase:
		return missing(msg, "base_key")
	case !haveIdentity:
		return missing(msg, "identity_key")
	case !haveMessage:
		return missing(msg, "message")
	case !haveSigned:
		return missing(msg, "signed_pre_key_id")
	case haveKyberID != haveKyberCT:
		return invalid(msg, "kyber_pre_key_id", "Kyber pre-key id and ciphertext must be both present or both absent")
	case haveKyberCT && len(m.KyberCiphertext) == 0:
		return invalid(msg, "kyber_ciphertext", "empty")
	case !haveKyberCT && v > VersionV3:
		return missing(msg, "kyber_ciphertext")
	}
	return m.Inner.parse(m.Message)
}
