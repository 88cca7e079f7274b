// Package senderkey implements Signal's sender keys: group messaging in which
// each member encrypts a message once for the whole group.
//
// A sender creates a sender key for a group (identified by a distribution id,
// a UUID that NewDistributionID makes) with Cipher.CreateDistributionMessage
// and sends the resulting DistributionMessage to every member over their
// pairwise sessions. Members hand it to Cipher.ProcessDistributionMessage.
// From then on the sender's Cipher.Encrypt output can be broadcast to all of
// them, and each decrypts it with Cipher.Decrypt. When a member leaves, the
// sender starts a new distribution (a new id) and sends it to the members
// who remain, so the departed member cannot read what follows; Example_group
// shows the whole flow.
//
// # Cryptography
//
// A sender key is a hash chain of 32-byte chain keys and a Curve25519 signing
// key pair. For iteration i with chain key CK_i:
//
//	seed     = HMAC-SHA256(CK_i, 0x01)
//	CK_{i+1} = HMAC-SHA256(CK_i, 0x02)
//	IV || K  = HKDF-SHA256(salt = none, ikm = seed, info = "WhisperGroup", 48)
//	body     = AES-256-CBC(K, IV, PKCS#7(plaintext))
//
// and the message 0x33 || protobuf{distribution id, chain id, i, body} is
// signed with XEdDSA under the signing key, the signature appended. Members
// hold only the public signing key, so they can read but not forge the
// sender's messages. The layouts are those of libsignal (wire.proto and
// storage.proto), so records and messages interoperate with it.
//
// # Layouts
//
// Encrypt, Decrypt, DistributionMessage.Bytes and ParseDistributionMessage
// use the current layout (libsignal since 2021, i.e. Signal), whose messages
// carry the distribution id. The Legacy variants (EncryptLegacy,
// DecryptLegacy, LegacyBytes, ParseLegacyDistributionMessage) use the older
// layout without it, spoken by libsignal-protocol-c and -java, python-axolotl
// and the WhatsApp-Web libraries; there the app supplies the DistributionID.
// The cryptography and the stored records are the same for both.
//
// # Limits
//
// A receiver derives at most MaxForwardJump chain steps for one message,
// keeps at most MaxMessageKeys skipped message keys per chain for messages
// that arrive out of order (oldest dropped), and keeps at most
// MaxSenderKeyStates chains per sender and distribution id (oldest dropped).
//
// # State and concurrency
//
// Records live in a Store keyed by (Sender, DistributionID); the sender's own
// chain lives there too, under the sender's own address. Decrypt works on
// values computed aside and writes the record back only after the signature
// has verified and the body has decrypted, so a rejected message leaves the
// stored record untouched. A Cipher serializes its operations per (sender,
// distribution id); several Ciphers sharing a Store must be serialized by the
// app.
//
// Sender is a plain (Name, DeviceID) pair with the same shape as
// session.Address, so the app converts with senderkey.Sender(addr); this
// package does not import the session layer.
package senderkey

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
)

// Limits and sizes. The first three are libsignal's (consts.rs:
// MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS, MAX_SENDER_KEY_STATES).
const (
	// MaxForwardJump is how many iterations a message may be ahead of the
	// receiver's chain. Messages further ahead are rejected once their
	// signature has verified, before any key is derived.
	MaxForwardJump = 25_000
	// MaxMessageKeys is how many skipped message keys a chain keeps for
	// late messages; when more are skipped the oldest are dropped.
	MaxMessageKeys = 2000
	// MaxSenderKeyStates is how many chains a record keeps for one sender
	// and distribution id; processing one more drops the oldest.
	MaxSenderKeyStates = 5
	// MessageVersion is the sender-key message version (byte 0 = 0x33).
	MessageVersion = 3
	// ChainKeySize is the size of a chain key.
	ChainKeySize = 32
	// DistributionIDSize is the size of a distribution id.
	DistributionIDSize = 16
	// MaxPlaintextSize is the longest plaintext Encrypt accepts, so that
	// the message stays within what receivers parse (4 MiB).
	MaxPlaintextSize = 4<<20 - 1024
	// MaxRecordSize is the longest encoded record ParseRecord accepts:
	// several times the largest record these limits allow (about 450 KB).
	MaxRecordSize = 4 << 20
)

// Errors returned by this package. Each error returned wraps exactly one of
// them; match with errors.Is.
var (
	// ErrNoSenderKey is returned when the store holds no sender key for the
	// sender and distribution id, or none with the message's chain id.
	ErrNoSenderKey = errors.New("senderkey: no sender key state")
	// ErrInvalidMessage is returned for bytes that are not a well-formed
	// SenderKeyMessage or SenderKeyDistributionMessage (the cause from the
	// wire layer is wrapped too).
	ErrInvalidMessage = errors.New("senderkey: invalid message")
	// ErrInvalidSignature is returned when a message's XEdDSA signature
	// does not verify under the chain's signing key.
	ErrInvalidSignature = errors.New("senderkey: invalid signature")
	// ErrDuplicateMessage is returned for a message whose iteration is
	// behind the chain and whose key is no longer stored: it was decrypted
	// before (or its key was dropped under MaxMessageKeys).
	ErrDuplicateMessage = errors.New("senderkey: duplicate message")
	// ErrForwardJump is matched by every *ForwardJumpError.
	ErrForwardJump = errors.New("senderkey: message too far in the future")
	// ErrDecrypt is returned when a correctly signed body does not decrypt
	// (length not a non-zero multiple of 16, or bad padding).
	ErrDecrypt = errors.New("senderkey: decryption failed")
	// ErrInvalidRecord is returned for a record that cannot be parsed or
	// holds an unusable state.
	ErrInvalidRecord = errors.New("senderkey: invalid record")
	// ErrNoSigningKey is returned by Encrypt when the current chain has no
	// private signing key: it was received from someone else.
	ErrNoSigningKey = errors.New("senderkey: no private signing key")
	// ErrPlaintextTooLarge is returned by Encrypt for a plaintext longer
	// than MaxPlaintextSize.
	ErrPlaintextTooLarge = errors.New("senderkey: plaintext too large")
	// ErrChainExhausted is returned when the chain's iteration would pass
	// 2^32-1.
	ErrChainExhausted = errors.New("senderkey: chain iteration exhausted")
)

// ForwardJumpError reports a message more than MaxForwardJump iterations
// ahead of the receiving chain. It matches ErrForwardJump.
type ForwardJumpError struct {
	Iteration uint32 // the message's iteration
	Current   uint32 // the chain's next expected iteration
}

// Error names the iterations and the MaxForwardJump limit.
func (e *ForwardJumpError) Error() string {
	return fmt.Sprintf("senderkey: message iteration %d is %d ahead of chain iteration %d, more than MaxForwardJump (%d)",
		e.Iteration, uint64(e.Iteration)-uint64(e.Current), e.Current, MaxForwardJump)
}

// Is makes errors.Is(err, ErrForwardJump) true.
func (e *ForwardJumpError) Is(target error) bool { return target == ErrForwardJump }

// Sender names the device whose sender key a record holds: the sender's
// account name (for Signal a service id) and device id. It has the same
// fields as session.Address, so either converts to the other.
type Sender struct {
	Name     string
	DeviceID uint32
}

// String returns "name.device", the form libsignal uses.
func (s Sender) String() string { return s.Name + "." + strconv.FormatUint(uint64(s.DeviceID), 10) }

// DistributionID identifies one sender-key distribution (usually one group):
// a UUID in its 16-byte binary form.
type DistributionID [DistributionIDSize]byte

// String returns the UUID in its canonical 8-4-4-4-12 hex form.
func (d DistributionID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], d[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], d[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], d[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], d[8:10])
	b[23] = '-'
	hex.Encode(b[24:], d[10:])
	return string(b[:])
}
