package main

// The JSON form of sealed_sender.json. Byte strings are lowercase hex.

// Key is a Curve25519 key pair: 32-byte private key before clamping (absent
// when not known), 33-byte public key 0x05 || u.
type Key struct {
	Private string `json:"private,omitempty"`
	Public  string `json:"public"`
}

func keyJSON(k keyPair) *Key { return &Key{Private: x(k.raw), Public: x(k.pub)} }

// File is the whole of sealed_sender.json.
type File struct {
	Family           string            `json:"family"`
	FormatVersion    int               `json:"format_version"`
	Description      string            `json:"description"`
	Source           string            `json:"source"`
	Conventions      map[string]string `json:"conventions"`
	Flags            map[string]string `json:"flags"`
	Errors           map[string]string `json:"errors"`
	NumberOfVectors  int               `json:"number_of_vectors"`
	NumberInvalid    int               `json:"number_invalid"`
	NumberAcceptable int               `json:"number_acceptable"`
	// RevokedServerKeyIDs are the server certificate key ids that
	// validation refuses.
	RevokedServerKeyIDs []uint32 `json:"revoked_server_key_ids"`
	// KnownServerCertificates are the server certificates a sender
	// certificate may name by id (signer.id).
	KnownServerCertificates []KnownServerCertificate `json:"known_server_certificates"`

	Certificates   []CertVector    `json:"certificates"`
	Contents       []ContentVector `json:"contents"`
	V1             []V1Vector      `json:"v1"`
	V2             []V2Vector      `json:"v2"`
	MultiRecipient []SentVector    `json:"multi_recipient"`
}

// KnownServerCertificate is one of libsignal's built-in server
// certificates.
type KnownServerCertificate struct {
	ID                uint32 `json:"id"`
	TrustRoot         Key    `json:"trust_root"`
	ServerKey         Key    `json:"server_key"`
	ServerCertificate string `json:"server_certificate"`
	Comment           string `json:"comment,omitempty"`
}

// Verdict is what every vector ends with.
type Verdict struct {
	Result  string   `json:"result"`
	Flags   []string `json:"flags,omitempty"`
	Error   string   `json:"error,omitempty"`
	Comment string   `json:"comment,omitempty"`
}

// CertVector is a server or sender certificate with its validation.
type CertVector struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`      // "server_certificate" or "sender_certificate"
	Operation string `json:"operation"` // "sign" (reproduce, then validate) or "validate"

	TrustRoot             *Key    `json:"trust_root,omitempty"`
	ServerKeyID           *uint32 `json:"server_key_id,omitempty"`
	ServerKey             *Key    `json:"server_key,omitempty"`
	ServerSignDrawSeed    *uint64 `json:"server_sign_draw_seed,omitempty"`
	ServerZ               string  `json:"server_Z,omitempty"`
	ServerCertificateBody string  `json:"server_certificate_body,omitempty"`
	ServerSignature       string  `json:"server_signature,omitempty"`
	ServerCertificate     string  `json:"server_certificate,omitempty"`

	SenderUUID        string  `json:"sender_uuid,omitempty"`
	SenderUUIDForm    string  `json:"sender_uuid_form,omitempty"` // "string" or "bytes"
	SenderE164        *string `json:"sender_e164,omitempty"`
	SenderDevice      *uint32 `json:"sender_device,omitempty"`
	Expires           *uint64 `json:"expires,omitempty"`
	IdentityKey       string  `json:"identity_key,omitempty"`
	Signer            string  `json:"signer,omitempty"` // "embedded" or "reference"
	SignDrawSeed      *uint64 `json:"sign_draw_seed,omitempty"`
	Z                 string  `json:"Z,omitempty"`
	CertificateBody   string  `json:"-"` // field 1 of sender_certificate, not written (size)
	Signature         string  `json:"signature,omitempty"`
	SenderCertificate string  `json:"sender_certificate,omitempty"`

	TrustRoots []string `json:"trust_roots"`
	Time       *uint64  `json:"time,omitempty"`
	Verdict
}

// ContentVector is an UnidentifiedSenderMessageContent (USMC).
type ContentVector struct {
	ID                int     `json:"id"`
	Name              string  `json:"name"`
	Operation         string  `json:"operation"` // "encode" (reproduce usmc, then parse) or "parse"
	Type              int     `json:"type"`      // API number: 2, 3, 7, 8 (0: absent)
	ProtoType         *uint64 `json:"proto_type,omitempty"`
	SenderCertificate string  `json:"sender_certificate,omitempty"`
	Content           string  `json:"content,omitempty"`
	ContentHint       uint64  `json:"content_hint"`
	GroupID           string  `json:"group_id,omitempty"`
	USMC              string  `json:"usmc"`
	Verdict
}

// V1Vector is a sealed sender v1 envelope.
type V1Vector struct {
	ID                int    `json:"id"`
	Name              string `json:"name"`
	Operation         string `json:"operation"` // "seal" (reproduce envelope, then open) or "open"
	SenderIdentity    *Key   `json:"sender_identity,omitempty"`
	RecipientIdentity *Key   `json:"recipient_identity"`
	DrawSeed          uint64 `json:"draw_seed,omitempty"`
	Ephemeral         *Key   `json:"ephemeral,omitempty"`
	USMC              string `json:"usmc,omitempty"`

	EphemeralDH      string `json:"ephemeral_dh,omitempty"`
	ChainKey         string `json:"chain_key,omitempty"`
	CipherKey        string `json:"cipher_key,omitempty"`
	MACKey           string `json:"mac_key,omitempty"`
	EncryptedStatic  string `json:"encrypted_static,omitempty"`
	StaticDH         string `json:"static_dh,omitempty"`
	StaticCipherKey  string `json:"static_cipher_key,omitempty"`
	StaticMACKey     string `json:"static_mac_key,omitempty"`
	EncryptedMessage string `json:"encrypted_message,omitempty"`

	Envelope string `json:"envelope"`
	Verdict
}

// Device is one device of a multi-recipient message.
type Device struct {
	ID             uint32 `json:"id"`
	RegistrationID uint32 `json:"registration_id"`
}

// V2Vector is a sealed sender v2 received message (one recipient's part).
type V2Vector struct {
	ID                 int      `json:"id"`
	Name               string   `json:"name"`
	Operation          string   `json:"operation"` // "seal" or "open"
	SenderIdentity     *Key     `json:"sender_identity,omitempty"`
	RecipientIdentity  *Key     `json:"recipient_identity"`
	RecipientServiceID string   `json:"recipient_service_id,omitempty"`
	RecipientDevices   []Device `json:"recipient_devices,omitempty"`
	DrawSeed           uint64   `json:"draw_seed,omitempty"`
	USMC               string   `json:"usmc,omitempty"`

	M          string `json:"M,omitempty"`
	R          string `json:"r,omitempty"`
	E          string `json:"E,omitempty"`
	K          string `json:"K,omitempty"`
	C          string `json:"C,omitempty"`
	AT         string `json:"AT,omitempty"`
	Ciphertext string `json:"-"` // the end of received, not written (size)

	SentMessage string `json:"sent_message,omitempty"`
	Received    string `json:"received"`
	Verdict
}

// SentRecipient is one recipient of a multi-recipient sent message, as
// sealed (identity, C, AT) and as split (service id, devices, received).
type SentRecipient struct {
	ServiceID string   `json:"service_id"`
	Identity  *Key     `json:"identity,omitempty"`
	Devices   []Device `json:"devices"`
	C         string   `json:"C,omitempty"`
	AT        string   `json:"AT,omitempty"`
	Received  string   `json:"received,omitempty"`
}

// SentVector is a multi-recipient sent message (0x23, or legacy 0x22).
type SentVector struct {
	ID             int             `json:"id"`
	Name           string          `json:"name"`
	Operation      string          `json:"operation"` // "seal" (reproduce, then parse) or "parse"
	Version        int             `json:"version,omitempty"`
	SenderIdentity *Key            `json:"sender_identity,omitempty"`
	DrawSeed       uint64          `json:"draw_seed,omitempty"`
	USMC           string          `json:"usmc,omitempty"`
	M              string          `json:"M,omitempty"`
	R              string          `json:"r,omitempty"`
	E              string          `json:"E,omitempty"`
	K              string          `json:"K,omitempty"`
	Ciphertext     string          `json:"-"` // the end of sent_message, not written (size)
	Recipients     []SentRecipient `json:"recipients,omitempty"`
	Excluded       []string        `json:"excluded,omitempty"`
	SentMessage    string          `json:"sent_message"`
	Verdict
}
