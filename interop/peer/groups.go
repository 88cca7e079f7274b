package peer

import "context"

// Sender keys and fingerprints: peers that offer them (c and gomau: the group
// ops, in the legacy sender-key layout of libsignal-protocol-c and
// go.mau.fi/libsignal; node-v4: the group ops in the current layout,
// sender_key_record and fingerprint) answer these;
// others return an error wrapping [ErrUnsupported]. None of them needs
// Init.
//
// group names the group: for node-v4 a distribution id in UUID form
// (8-4-4-4-12 hex), for c any non-empty string. self is the peer's own
// sending address in the group, sender another member's.

type groupReq struct {
	Group string `json:"group"`
	addrReq
}

// GroupCreate returns the serialized SenderKeyDistributionMessage of the
// peer's own sender key (as self) for group, creating the key if needed.
func (p *Process) GroupCreate(ctx context.Context, group string, self Address) ([]byte, error) {
	var r struct {
		SKDM Hex `json:"skdm"`
	}
	err := p.Call(ctx, "group_create", groupReq{group, addrReq(self)}, &r)
	return r.SKDM, p.unsupported(err)
}

// GroupProcess stores the sender key in a SenderKeyDistributionMessage from
// sender for group.
func (p *Process) GroupProcess(ctx context.Context, group string, sender Address, skdm []byte) error {
	err := p.Call(ctx, "group_process", struct {
		groupReq
		SKDM Hex `json:"skdm"`
	}{groupReq{group, addrReq(sender)}, skdm}, nil)
	return p.unsupported(err)
}

// GroupEncrypt encrypts plaintext with the peer's own sender key (as self)
// for group and returns the SenderKeyMessage.
func (p *Process) GroupEncrypt(ctx context.Context, group string, self Address, plaintext []byte) ([]byte, error) {
	var r struct {
		Body Hex `json:"body"`
	}
	err := p.Call(ctx, "group_encrypt", struct {
		groupReq
		Plaintext Hex `json:"plaintext"`
	}{groupReq{group, addrReq(self)}, plaintext}, &r)
	return r.Body, p.unsupported(err)
}

// GroupDecrypt decrypts a SenderKeyMessage from sender in group. (node-v4
// takes the distribution id from the message and ignores group.)
func (p *Process) GroupDecrypt(ctx context.Context, group string, sender Address, body []byte) ([]byte, error) {
	var r struct {
		Plaintext Hex `json:"plaintext"`
	}
	err := p.Call(ctx, "group_decrypt", struct {
		groupReq
		Body Hex `json:"body"`
	}{groupReq{group, addrReq(sender)}, body}, &r)
	return r.Plaintext, p.unsupported(err)
}

// SenderKeyRecord returns the peer's serialized sender-key record of sender
// in group (libsignal's SenderKeyRecordStructure), or nil if it has none.
func (p *Process) SenderKeyRecord(ctx context.Context, group string, sender Address) ([]byte, error) {
	var r struct {
		Record Hex `json:"record"`
	}
	err := p.Call(ctx, "sender_key_record", groupReq{group, addrReq(sender)}, &r)
	if len(r.Record) == 0 {
		r.Record = nil
	}
	return r.Record, p.unsupported(err)
}

// FingerprintRequest describes a conversation whose safety number a peer
// computes, from the local side. Keys are 33-byte (0x05) public keys.
type FingerprintRequest struct {
	Iterations int    `json:"iterations"`
	Version    uint32 `json:"version"`
	LocalID    Hex    `json:"local_id"`
	LocalKey   Hex    `json:"local_key"`
	RemoteID   Hex    `json:"remote_id"`
	RemoteKey  Hex    `json:"remote_key"`
}

// Fingerprint is a safety number as a peer computed it.
type Fingerprint struct {
	Display   string `json:"display"`   // the 60 digits
	Scannable Hex    `json:"scannable"` // the QR payload (CombinedFingerprints)
}

// Fingerprint computes the numeric and scannable fingerprint of req.
func (p *Process) Fingerprint(ctx context.Context, req FingerprintRequest) (Fingerprint, error) {
	var f Fingerprint
	err := p.Call(ctx, "fingerprint", req, &f)
	return f, p.unsupported(err)
}
