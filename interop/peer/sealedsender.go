package peer

import (
	"context"
	"errors"
	"strings"
)

// Sealed sender and recovery (node-v4 only; other peers return an error
// wrapping [ErrUnsupported]). Times are Unix milliseconds. Addresses of
// multi-recipient (v2) messages must be named by service id strings
// (lowercase UUID, or "PNI:" + UUID): libsignal reads the recipient's
// service id from the address name.
//
// Failures of [Process.SSDecrypt], [Process.SSUSMC] and the reason of
// [Process.SSValidate] start with a class; [SSErrorClass] returns it:
// "untrusted", "revoked", "expired", "invalid-cert", "self", "version",
// "invalid" (the envelope does not open), or, once envelope and
// certificate passed, "inner:" + one of "duplicate", "identity",
// "no-session", "no-sender-key", "invalid".

// Ciphertext message types inside sealed sender (libsignal's
// CiphertextMessageType; TypeSignal and TypePreKey are above).
const (
	TypeSenderKey = 7 // SenderKeyMessage
	TypePlaintext = 8 // PlaintextContent (a DecryptionErrorMessage)
)

// SenderCertRequest asks for a sender certificate signed by a server key.
type SenderCertRequest struct {
	UUID           string `json:"uuid"`
	E164           string `json:"e164,omitempty"`
	DeviceID       uint32 `json:"device_id"`
	IdentityPublic Hex    `json:"identity_public"`
	Expires        int64  `json:"expires"`     // Unix ms
	ServerCert     Hex    `json:"server_cert"` // serialized ServerCertificate
	ServerPrivate  Hex    `json:"server_private"`
}

// CertInfo is a sender certificate as the peer parsed it.
type CertInfo struct {
	UUID        string `json:"uuid"`
	E164        string `json:"e164"`
	DeviceID    uint32 `json:"device_id"`
	Expires     int64  `json:"expires"`
	IdentityKey Hex    `json:"identity_key"`
	ServerKeyID uint32 `json:"server_key_id"`
	ServerKey   Hex    `json:"server_key"`
	ServerCert  Hex    `json:"server_cert"`
	Certificate Hex    `json:"certificate"` // the signed bytes
	Signature   Hex    `json:"signature"`
}

// SSServerCert makes a server certificate for serverPublic with key id
// keyID, signed by trustRootPrivate.
func (p *Process) SSServerCert(ctx context.Context, keyID uint32, trustRootPrivate, serverPublic []byte) ([]byte, error) {
	var r struct {
		Cert Hex `json:"cert"`
	}
	err := p.Call(ctx, "ss_server_cert", struct {
		KeyID            uint32 `json:"key_id"`
		TrustRootPrivate Hex    `json:"trust_root_private"`
		ServerPublic     Hex    `json:"server_public"`
	}{keyID, trustRootPrivate, serverPublic}, &r)
	return r.Cert, p.unsupported(err)
}

// SSSenderCert makes a sender certificate.
func (p *Process) SSSenderCert(ctx context.Context, req SenderCertRequest) ([]byte, error) {
	var r struct {
		Cert Hex `json:"cert"`
	}
	err := p.Call(ctx, "ss_sender_cert", req, &r)
	return r.Cert, p.unsupported(err)
}

// SSCertInfo parses a sender certificate.
func (p *Process) SSCertInfo(ctx context.Context, cert []byte) (CertInfo, error) {
	var r CertInfo
	err := p.Call(ctx, "ss_cert_info", struct {
		Cert Hex `json:"cert"`
	}{cert}, &r)
	return r, p.unsupported(err)
}

// SSValidate validates a sender certificate against trustRoots (33-byte
// public keys) at time (ms); reason is empty when valid, else classed as
// above (a certificate that does not parse is "invalid-cert").
func (p *Process) SSValidate(ctx context.Context, cert []byte, trustRoots [][]byte, time int64) (valid bool, reason string, err error) {
	var r struct {
		Valid  bool   `json:"valid"`
		Reason string `json:"reason"`
	}
	err = p.Call(ctx, "ss_validate", struct {
		Cert       Hex   `json:"cert"`
		TrustRoots []Hex `json:"trust_roots"`
		Time       int64 `json:"time"`
	}{cert, hexList(trustRoots), time}, &r)
	return r.Valid, r.Reason, p.unsupported(err)
}

func hexList(bs [][]byte) []Hex {
	out := make([]Hex, len(bs))
	for i, b := range bs {
		out[i] = b
	}
	return out
}

// SSContent is what a sealed-sender message carries, from the sending
// peer's side: exactly one of Plaintext (a session message; for
// [Process.SSMultiEncrypt] only with one recipient), PlaintextContent (a
// serialized PlaintextContent, sent as type 8) or Group (the peer's own
// sender key for that distribution id, as Self, encrypting Plaintext).
type SSContent struct {
	SenderCert       Hex    `json:"sender_cert"`
	Plaintext        Hex    `json:"plaintext,omitempty"`
	PlaintextContent Hex    `json:"plaintext_content,omitempty"`
	Group            string `json:"group,omitempty"`
	SelfName         string `json:"sender_name,omitempty"`
	SelfDeviceID     uint32 `json:"sender_device_id,omitempty"`
	ContentHint      uint32 `json:"content_hint,omitempty"`
	GroupID          Hex    `json:"group_id,omitempty"`
}

// SSEncrypt seals one message for to: version 1 (sealedSenderEncrypt) or 2
// (the 0x22 received form of a one-recipient multi-recipient message). It
// returns the envelope and the inner message's type.
func (p *Process) SSEncrypt(ctx context.Context, to Address, version int, c SSContent) (envelope []byte, typ int, err error) {
	var r struct {
		Envelope Hex `json:"envelope"`
		Type     int `json:"type"`
	}
	err = p.Call(ctx, "ss_encrypt", struct {
		addrReq
		Version int `json:"version"`
		SSContent
	}{addrReq(to), version, c}, &r)
	return r.Envelope, r.Type, p.unsupported(err)
}

// SSMultiEncrypt makes a multi-recipient (0x23) sent message for the
// devices in to (sessions must exist), listing excluded (service id
// strings) as excluded recipients.
func (p *Process) SSMultiEncrypt(ctx context.Context, to []Address, excluded []string, c SSContent) (sent []byte, typ int, err error) {
	var r struct {
		Sent Hex `json:"sent"`
		Type int `json:"type"`
	}
	rs := make([]addrReq, len(to))
	for i, a := range to {
		rs[i] = addrReq(a)
	}
	if excluded == nil {
		excluded = []string{}
	}
	err = p.Call(ctx, "ss_multi_encrypt", struct {
		Recipients []addrReq `json:"recipients"`
		Excluded   []string  `json:"excluded"`
		SSContent
	}{rs, excluded, c}, &r)
	return r.Sent, r.Type, p.unsupported(err)
}

// SplitRecipient is one recipient of a multi-recipient message as
// libsignal's SealedSenderMultiRecipientMessage parsed it, with the
// received (0x22) message for all of its devices.
type SplitRecipient struct {
	ServiceID       string   `json:"service_id"`
	DeviceIDs       []uint32 `json:"device_ids"`
	RegistrationIDs []uint32 `json:"registration_ids"`
	Message         Hex      `json:"message"`
}

// Split is a parsed multi-recipient message.
type Split struct {
	Recipients []SplitRecipient `json:"recipients"`
	Excluded   []string         `json:"excluded"`
}

// SSSplit parses a multi-recipient sent message as the server does.
func (p *Process) SSSplit(ctx context.Context, sent []byte) (Split, error) {
	var r Split
	err := p.Call(ctx, "ss_split", struct {
		Sent Hex `json:"sent"`
	}{sent}, &r)
	return r, p.unsupported(err)
}

// USMC is an opened envelope's content (UnidentifiedSenderMessageContent).
type USMC struct {
	Type        int    `json:"type"`
	SenderCert  Hex    `json:"sender_cert"`
	SenderUUID  string `json:"sender_uuid"`
	SenderE164  string `json:"sender_e164"`
	DeviceID    uint32 `json:"device_id"`
	Content     Hex    `json:"content"`
	ContentHint uint32 `json:"content_hint"`
	GroupID     Hex    `json:"group_id"`
}

// SSUSMC opens an envelope (v1 or v2 received) without validating the
// certificate or touching any session.
func (p *Process) SSUSMC(ctx context.Context, envelope []byte) (USMC, error) {
	var r USMC
	err := p.Call(ctx, "ss_usmc", struct {
		Envelope Hex `json:"envelope"`
	}{envelope}, &r)
	return r, p.unsupported(err)
}

// SSDecryptRequest is a received envelope and the receiver's view.
type SSDecryptRequest struct {
	Envelope      Hex    `json:"envelope"`
	TrustRoots    []Hex  `json:"trust_roots"`
	Time          int64  `json:"time"`
	LocalUUID     string `json:"local_uuid"`
	LocalE164     string `json:"local_e164,omitempty"`
	LocalDeviceID uint32 `json:"local_device_id"`
	// OneCall sends PreKey and Signal messages through libsignal's
	// sealedSenderDecryptMessage (needs exactly one trust root).
	OneCall bool `json:"one_call,omitempty"`
}

// SSDecrypted is a decrypted sealed-sender message. For type 8 Plaintext
// is the serialized PlaintextContent.
type SSDecrypted struct {
	SenderUUID  string `json:"sender_uuid"`
	SenderE164  string `json:"sender_e164"`
	DeviceID    uint32 `json:"device_id"`
	Type        int    `json:"type"`
	ContentHint uint32 `json:"content_hint"`
	GroupID     Hex    `json:"group_id"`
	Plaintext   Hex    `json:"plaintext"`
}

// SSDecrypt opens, validates and decrypts an envelope.
func (p *Process) SSDecrypt(ctx context.Context, req SSDecryptRequest) (SSDecrypted, error) {
	var r SSDecrypted
	err := p.Call(ctx, "ss_decrypt", req, &r)
	return r, p.unsupported(err)
}

// SSErrorClass returns the class of a failed sealed-sender op (the text
// before the first ": ", e.g. "expired" or "inner:duplicate"), or "" when
// err is not a peer's answer.
func SSErrorClass(err error) string {
	var pe *PeerError
	if !errors.As(err, &pe) {
		return ""
	}
	return SSReasonClass(pe.Msg)
}

// SSReasonClass is SSErrorClass for a reason string.
func SSReasonClass(s string) string {
	if i := strings.Index(s, ": "); i >= 0 {
		return s[:i]
	}
	return s
}

// DEM is a DecryptionErrorMessage as a peer built or parsed it.
type DEM struct {
	DEM              Hex    `json:"dem"` // serialized DecryptionErrorMessage
	Timestamp        int64  `json:"timestamp"`
	DeviceID         uint32 `json:"device_id"`
	RatchetKey       Hex    `json:"ratchet_key"`       // nil when absent
	PlaintextContent Hex    `json:"plaintext_content"` // DEMForOriginal only
	Body             Hex    `json:"body"`              // DEMFromPlaintextContent only
}

// DEMForOriginal builds a DecryptionErrorMessage for a message (body, of
// type 2, 3 or 7) that failed to decrypt, and its PlaintextContent.
func (p *Process) DEMForOriginal(ctx context.Context, body []byte, typ int, timestamp int64, deviceID uint32) (DEM, error) {
	var r DEM
	err := p.Call(ctx, "dem_for_original", struct {
		Body      Hex    `json:"body"`
		Type      int    `json:"type"`
		Timestamp int64  `json:"timestamp"`
		DeviceID  uint32 `json:"device_id"`
	}{body, typ, timestamp, deviceID}, &r)
	return r, p.unsupported(err)
}

// DEMParse parses a serialized DecryptionErrorMessage.
func (p *Process) DEMParse(ctx context.Context, dem []byte) (DEM, error) {
	var r DEM
	err := p.Call(ctx, "dem_parse", struct {
		DEM Hex `json:"dem"`
	}{dem}, &r)
	return r, p.unsupported(err)
}

// DEMFromPlaintextContent extracts the DecryptionErrorMessage from a
// serialized PlaintextContent (deserialize, body,
// extractFromSerializedBody).
func (p *Process) DEMFromPlaintextContent(ctx context.Context, pc []byte) (DEM, error) {
	var r DEM
	err := p.Call(ctx, "dem_from_plaintext_content", struct {
		PlaintextContent Hex `json:"plaintext_content"`
	}{pc}, &r)
	return r, p.unsupported(err)
}

// RatchetKeyMatches reports whether the session with remote has ratchetKey
// as its current (own) ratchet key; false without a session.
func (p *Process) RatchetKeyMatches(ctx context.Context, remote Address, ratchetKey []byte) (bool, error) {
	var r struct {
		Matches bool `json:"matches"`
	}
	err := p.Call(ctx, "ratchet_key_matches", struct {
		addrReq
		RatchetKey Hex `json:"ratchet_key"`
	}{addrReq(remote), ratchetKey}, &r)
	return r.Matches, p.unsupported(err)
}

// ArchiveSession archives the current session with remote; had reports
// whether a record existed.
func (p *Process) ArchiveSession(ctx context.Context, remote Address) (had bool, err error) {
	return p.had(ctx, "archive_session", addrReq(remote))
}

// DeleteSession forgets the session record with remote (a lost session).
func (p *Process) DeleteSession(ctx context.Context, remote Address) (had bool, err error) {
	return p.had(ctx, "delete_session", addrReq(remote))
}

// DeleteSenderKey forgets sender's sender key for group.
func (p *Process) DeleteSenderKey(ctx context.Context, group string, sender Address) (had bool, err error) {
	return p.had(ctx, "delete_sender_key", groupReq{group, addrReq(sender)})
}

func (p *Process) had(ctx context.Context, op string, req any) (bool, error) {
	var r struct {
		Had bool `json:"had"`
	}
	err := p.Call(ctx, op, req, &r)
	return r.Had, p.unsupported(err)
}

// SessionRecord returns the peer's serialized session record with remote,
// or nil if it has none.
func (p *Process) SessionRecord(ctx context.Context, remote Address) ([]byte, error) {
	var r struct {
		Record Hex `json:"record"`
	}
	err := p.Call(ctx, "session_record", addrReq(remote), &r)
	if len(r.Record) == 0 {
		r.Record = nil
	}
	return r.Record, p.unsupported(err)
}
