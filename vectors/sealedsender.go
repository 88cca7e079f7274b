package vectors

import (
	"slices"
	"time"
)

// --- sealed_sender.json ---

// Error names of sealed_sender.json besides the common ones
// (ErrNameBadSignature, ErrNameBadMAC, ErrNameTruncated,
// ErrNameUnknownVersion). The file's "errors" object explains each.
const (
	// ErrNameMalformed: the input does not parse (a required field
	// missing, a bad key, a device id out of range, an unknown content
	// type, a bad embedded certificate, a broken layout).
	ErrNameMalformed = "malformed"
	// ErrNameSenderKeyMismatch: v1's decrypted static key is not the
	// sender certificate's identity key.
	ErrNameSenderKeyMismatch = "sender_key_mismatch"
	// ErrNameUntrustedRoot: the server certificate verifies under none of
	// the trust roots.
	ErrNameUntrustedRoot = "untrusted_root"
	// ErrNameExpired: the sender certificate's expiry is before the
	// validation time.
	ErrNameExpired = "expired"
	// ErrNameRevoked: the server certificate's key id is revoked.
	ErrNameRevoked = "revoked"
	// ErrNameUnknownSigner: the sender certificate names (by id) no known
	// server certificate.
	ErrNameUnknownSigner = "unknown_signer"
)

// SealedSenderFile is data/sealed_sender.json: sealed sender certificates,
// UnidentifiedSenderMessageContent encodings, v1 envelopes, v2 received
// messages and v2 multi-recipient sent messages, valid and invalid. The
// file's conventions define every field; the types below name them.
type SealedSenderFile struct {
	SuiteHeader
	// Errors explains each error name used by the file.
	Errors map[string]string `json:"errors"`
	// RevokedServerKeyIDs are the server key ids validation refuses
	// (0xDEADC357).
	RevokedServerKeyIDs []uint32 `json:"revoked_server_key_ids"`
	// KnownServerCertificates are the server certificates a sender
	// certificate may name by id.
	KnownServerCertificates []SealedSenderKnownCertificate `json:"known_server_certificates"`

	Certificates   []SealedSenderCertificate `json:"certificates"`
	Contents       []SealedSenderContent     `json:"contents"`
	V1             []SealedSenderV1          `json:"v1"`
	V2             []SealedSenderV2          `json:"v2"`
	MultiRecipient []SealedSenderSent        `json:"multi_recipient"`
}

// SealedSenderKnownCertificate is one of libsignal's built-in server
// certificates, with its trust root. Private keys are given for the test
// certificate 0x7357C357 only.
type SealedSenderKnownCertificate struct {
	ID                uint32  `json:"id"`
	TrustRoot         KeyPair `json:"trust_root"`
	ServerKey         KeyPair `json:"server_key"`
	ServerCertificate Hex     `json:"server_certificate"`
	Comment           string  `json:"comment"`
}

// SealedSenderVerdict ends every sealed sender vector.
type SealedSenderVerdict struct {
	Result  string   `json:"result"` // Valid or Invalid
	Flags   []string `json:"flags"`
	Error   string   `json:"error"` // for Invalid: one of the file's error names
	Comment string   `json:"comment"`
}

// HasFlag reports whether the vector carries flag.
func (v SealedSenderVerdict) HasFlag(flag string) bool { return slices.Contains(v.Flags, flag) }

// Kinds of a SealedSenderCertificate.
const (
	KindServerCertificate = "server_certificate"
	KindSenderCertificate = "sender_certificate"
)

// SealedSenderCertificate is a server certificate (Kind
// KindServerCertificate: reproduce ServerCertificate when Operation is
// "sign", then verify it under TrustRoots) or a sender certificate (Kind
// KindSenderCertificate: reproduce SenderCertificate when Operation is
// "sign", from the sender fields, ServerCertificate and ServerKey; then
// parse it and validate it at Time under TrustRoots).
type SealedSenderCertificate struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Operation string `json:"operation"` // "sign" or "validate"

	// TrustRoot signed the server certificate (its private key is given
	// where a server certificate is to be reproduced).
	TrustRoot   *KeyPair `json:"trust_root"`
	ServerKeyID *uint32  `json:"server_key_id"`
	// ServerKey is the server certificate's key (its private key is given
	// where a sender certificate is to be reproduced).
	ServerKey *KeyPair `json:"server_key"`
	// ServerSignDrawSeed is the ChaCha8 seed whose stream starts with
	// ServerZ, the server certificate signature's 64-byte Z (server
	// certificates only).
	ServerSignDrawSeed    *uint64 `json:"server_sign_draw_seed"`
	ServerZ               Hex     `json:"server_Z"`
	ServerCertificateBody Hex     `json:"server_certificate_body"`
	ServerSignature       Hex     `json:"server_signature"`
	// ServerCertificate is the serialized ServerCertificate (for a sender
	// certificate: its signer, embedded or known).
	ServerCertificate Hex `json:"server_certificate"`

	// SenderUUID is the sender's UUID string; SenderUUIDForm says how the
	// certificate carries it: "string" (uuidString) or "bytes"
	// (uuidBytes).
	SenderUUID     string  `json:"sender_uuid"`
	SenderUUIDForm string  `json:"sender_uuid_form"`
	SenderE164     *string `json:"sender_e164"` // nil: absent
	SenderDevice   *uint32 `json:"sender_device"`
	// Expires is the expiry in Unix milliseconds.
	Expires     *uint64 `json:"expires"`
	IdentityKey Hex     `json:"identity_key"`
	// Signer is "embedded" (field 5) or "reference" (field 8, the known
	// certificate ServerKeyID).
	Signer string `json:"signer"`
	// SignDrawSeed is the ChaCha8 seed whose stream starts with Z, the
	// sender certificate signature's 64-byte Z.
	SignDrawSeed      *uint64 `json:"sign_draw_seed"`
	Z                 Hex     `json:"Z"`
	Signature         Hex     `json:"signature"`
	SenderCertificate Hex     `json:"sender_certificate"`

	TrustRoots []Hex `json:"trust_roots"`
	// Time is the validation time in Unix milliseconds (sender
	// certificates).
	Time *uint64 `json:"time"`
	SealedSenderVerdict
}

// ValidationTime returns Time as a time.Time.
func (c *SealedSenderCertificate) ValidationTime() time.Time { return time.UnixMilli(int64(*c.Time)) }

// ExpiresTime returns Expires as a time.Time.
func (c *SealedSenderCertificate) ExpiresTime() time.Time { return time.UnixMilli(int64(*c.Expires)) }

// SealedSenderContent is an UnidentifiedSenderMessageContent (USMC).
// Operation "encode": reproduce USMC from the fields, then parse it;
// "parse": parse USMC and compare the fields.
type SealedSenderContent struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	Operation string `json:"operation"`
	// Type is libsignal's API number (2, 3, 7, 8; 0 when absent or not a
	// type); ProtoType the enum value on the wire (PreKey: 1).
	Type              int     `json:"type"`
	ProtoType         *uint64 `json:"proto_type"`
	SenderCertificate Hex     `json:"sender_certificate"`
	Content           Hex     `json:"content"`
	ContentHint       uint64  `json:"content_hint"`
	GroupID           Hex     `json:"group_id"`
	USMC              Hex     `json:"usmc"`
	SealedSenderVerdict
}

// SealedSenderV1 is a sealed sender v1 envelope. Operation "seal":
// reproduce Envelope from USMC, SenderIdentity and RecipientIdentity with
// the ephemeral key drawn from DrawSeed, then open it; "open": open
// Envelope with RecipientIdentity.
type SealedSenderV1 struct {
	ID                int      `json:"id"`
	Name              string   `json:"name"`
	Operation         string   `json:"operation"`
	SenderIdentity    *KeyPair `json:"sender_identity"`
	RecipientIdentity *KeyPair `json:"recipient_identity"`
	// DrawSeed is the ChaCha8 seed whose stream starts with
	// Ephemeral.Private.
	DrawSeed  uint64   `json:"draw_seed"`
	Ephemeral *KeyPair `json:"ephemeral"`
	USMC      Hex      `json:"usmc"`

	// Intermediates (see the file's conventions.v1).
	EphemeralDH      Hex `json:"ephemeral_dh"`
	ChainKey         Hex `json:"chain_key"`
	CipherKey        Hex `json:"cipher_key"`
	MACKey           Hex `json:"mac_key"`
	EncryptedStatic  Hex `json:"encrypted_static"`
	StaticDH         Hex `json:"static_dh"`
	StaticCipherKey  Hex `json:"static_cipher_key"`
	StaticMACKey     Hex `json:"static_mac_key"`
	EncryptedMessage Hex `json:"encrypted_message"`

	Envelope Hex `json:"envelope"`
	SealedSenderVerdict
}

// SealedSenderDevice is a recipient device of a v2 message.
type SealedSenderDevice struct {
	ID             uint32 `json:"id"`
	RegistrationID uint32 `json:"registration_id"`
}

// SealedSenderV2 is a sealed sender v2 received message (0x22). Operation
// "seal": seal USMC from SenderIdentity to the one recipient
// (RecipientServiceID, RecipientIdentity.Public, RecipientDevices) with M
// drawn from DrawSeed; SentMessage (0x23) must be reproduced and its split
// must be Received; then open Received. "open": open Received with
// RecipientIdentity.
type SealedSenderV2 struct {
	ID                 int                  `json:"id"`
	Name               string               `json:"name"`
	Operation          string               `json:"operation"`
	SenderIdentity     *KeyPair             `json:"sender_identity"`
	RecipientIdentity  *KeyPair             `json:"recipient_identity"`
	RecipientServiceID string               `json:"recipient_service_id"`
	RecipientDevices   []SealedSenderDevice `json:"recipient_devices"`
	// DrawSeed is the ChaCha8 seed whose stream starts with M.
	DrawSeed uint64 `json:"draw_seed"`
	USMC     Hex    `json:"usmc"`

	// Intermediates (see the file's conventions.v2); E is the raw 32-byte
	// u.
	M  Hex `json:"M"`
	R  Hex `json:"r"`
	E  Hex `json:"E"`
	K  Hex `json:"K"`
	C  Hex `json:"C"`
	AT Hex `json:"AT"`

	// SentMessage is the sent message Received was split from (0x23, or
	// 0x22 for the legacy vector).
	SentMessage Hex `json:"sent_message"`
	Received    Hex `json:"received"`
	SealedSenderVerdict
}

// SealedSenderRecipient is one recipient of a multi-recipient message: as
// sealed (Identity, C, AT) and as the split gives it (ServiceID, Devices,
// Received, which opens with Identity to the vector's USMC when Identity
// is given).
type SealedSenderRecipient struct {
	ServiceID string               `json:"service_id"`
	Identity  *KeyPair             `json:"identity"`
	Devices   []SealedSenderDevice `json:"devices"`
	C         Hex                  `json:"C"`
	AT        Hex                  `json:"AT"`
	Received  Hex                  `json:"received"`
}

// SealedSenderSent is a multi-recipient sent message (version 0x23, or
// the legacy 0x22). Operation "seal": seal USMC from SenderIdentity to
// Recipients (in order) and Excluded with M drawn from DrawSeed, which
// must give SentMessage; then parse. "parse": parse SentMessage; a valid
// one splits into Recipients (in order of first appearance) and Excluded.
type SealedSenderSent struct {
	ID             int                     `json:"id"`
	Name           string                  `json:"name"`
	Operation      string                  `json:"operation"`
	Version        int                     `json:"version"`
	SenderIdentity *KeyPair                `json:"sender_identity"`
	DrawSeed       uint64                  `json:"draw_seed"`
	USMC           Hex                     `json:"usmc"`
	M              Hex                     `json:"M"`
	R              Hex                     `json:"r"`
	E              Hex                     `json:"E"`
	K              Hex                     `json:"K"`
	Recipients     []SealedSenderRecipient `json:"recipients"`
	// Excluded are the excluded recipients' service id strings.
	Excluded    []string `json:"excluded"`
	SentMessage Hex      `json:"sent_message"`
	SealedSenderVerdict
}

// SealedSender loads data/sealed_sender.json.
func SealedSender() (*SealedSenderFile, error) {
	f := new(SealedSenderFile)
	count := func() int {
		return len(f.Certificates) + len(f.Contents) + len(f.V1) + len(f.V2) + len(f.MultiRecipient)
	}
	if err := loadSuite("sealed_sender.json", "sealed_sender", f, &f.SuiteHeader, count); err != nil {
		return nil, err
	}
	return f, nil
}
