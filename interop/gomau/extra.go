package main

// Ops defined outside main.go's switch, and the group ops of the peer's own
// device.
//
//	group_create   group, name, device_id (own sending address)   skdm
//	group_process  group, name, device_id (sender), skdm          {}
//	group_encrypt  group, name, device_id (own), plaintext        body
//	group_decrypt  group, name, device_id (sender), body          plaintext
//
// Group messages are go.mau.fi/libsignal's (and whatsmeow's): the legacy
// SenderKeyMessage layout, SignedSerialize'd; group is any string. Sender
// keys are kept in memory, serialized, as the sessions are.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/libsignal/groups"
	groupRecord "go.mau.fi/libsignal/groups/state/record"
	"go.mau.fi/libsignal/keys/identity"
	"go.mau.fi/libsignal/keys/prekey"
	"go.mau.fi/libsignal/protocol"
	"go.mau.fi/libsignal/serialize"
	"go.mau.fi/libsignal/util/optional"
)

// extraOps holds the ops of the other files of the peer: handle calls them
// with the raw request line for ops its switch does not know.
var extraOps = map[string]func(ctx context.Context, p *peer, raw []byte) (map[string]any, error){}

func jsonUnmarshal(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("bad request: %w", err)
	}
	return nil
}

// toBundle reads a bundle as process_bundle does.
func (b *bundleJSON) toBundle() (*prekey.Bundle, error) {
	ik, err := decodePoint(b.IdentityKey)
	if err != nil {
		return nil, fmt.Errorf("identity_key: %w", err)
	}
	spk, err := decodePoint(b.SignedPreKey)
	if err != nil {
		return nil, fmt.Errorf("signed_prekey: %w", err)
	}
	if len(b.SignedPreKeySignature) != 64 {
		return nil, errors.New("signed_prekey_signature must be 64 bytes")
	}
	var sig [64]byte
	copy(sig[:], b.SignedPreKeySignature)
	pkID := optional.NewEmptyUint32()
	var pk ecc.ECPublicKeyable
	if b.PreKeyID != nil {
		pkID = optional.NewOptionalUint32(*b.PreKeyID)
		if pk, err = decodePoint(b.PreKey); err != nil {
			return nil, fmt.Errorf("prekey: %w", err)
		}
	}
	return prekey.NewBundle(b.RegistrationID, b.DeviceID, pkID, b.SignedPreKeyID, pk, spk, sig, identity.NewKey(ik)), nil
}

// memSenderKeys is the sender-key store of the peer's own device.
type memSenderKeys struct {
	ser  *serialize.Serializer
	recs map[string][]byte
}

var senderKeys = &memSenderKeys{ser: serialize.NewProtoBufSerializer(), recs: map[string][]byte{}}

func skKey(n *protocol.SenderKeyName) string { return n.GroupID() + "\x00" + n.Sender().String() }

func (s *memSenderKeys) StoreSenderKey(_ context.Context, n *protocol.SenderKeyName, r *groupRecord.SenderKey) error {
	s.recs[skKey(n)] = r.Serialize()
	return nil
}

func (s *memSenderKeys) LoadSenderKey(_ context.Context, n *protocol.SenderKeyName) (*groupRecord.SenderKey, error) {
	if b, ok := s.recs[skKey(n)]; ok {
		return groupRecord.NewSenderKeyFromBytes(b, s.ser.SenderKeyRecord, s.ser.SenderKeyState)
	}
	return groupRecord.NewSenderKey(s.ser.SenderKeyRecord, s.ser.SenderKeyState), nil
}

type groupRequest struct {
	Group     string   `json:"group"`
	Name      string   `json:"name"`
	DeviceID  uint32   `json:"device_id"`
	SKDM      hexBytes `json:"skdm"`
	Plaintext hexBytes `json:"plaintext"`
	Body      hexBytes `json:"body"`
}

func init() {
	for op, f := range map[string]func(context.Context, *groupRequest, *protocol.SenderKeyName, *groups.SessionBuilder) (map[string]any, error){
		"group_create":  groupCreate,
		"group_process": groupProcess,
		"group_encrypt": groupEncrypt,
		"group_decrypt": groupDecrypt,
	} {
		extraOps[op] = func(ctx context.Context, _ *peer, raw []byte) (map[string]any, error) {
			var r groupRequest
			if err := jsonUnmarshal(raw, &r); err != nil {
				return nil, err
			}
			if r.Group == "" {
				return nil, errors.New("missing group")
			}
			n := protocol.NewSenderKeyName(r.Group, protocol.NewSignalAddress(r.Name, r.DeviceID))
			return f(ctx, &r, n, groups.NewGroupSessionBuilder(senderKeys, senderKeys.ser))
		}
	}
}

func groupCreate(ctx context.Context, _ *groupRequest, n *protocol.SenderKeyName, b *groups.SessionBuilder) (map[string]any, error) {
	m, err := b.Create(ctx, n)
	if err != nil {
		return nil, err
	}
	return map[string]any{"skdm": hexBytes(m.Serialize())}, nil
}

func groupProcess(ctx context.Context, r *groupRequest, n *protocol.SenderKeyName, b *groups.SessionBuilder) (map[string]any, error) {
	m, err := protocol.NewSenderKeyDistributionMessageFromBytes(r.SKDM, senderKeys.ser.SenderKeyDistributionMessage)
	if err != nil {
		return nil, err
	}
	if err := b.Process(ctx, n, m); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

func groupEncrypt(ctx context.Context, r *groupRequest, n *protocol.SenderKeyName, b *groups.SessionBuilder) (map[string]any, error) {
	m, err := groups.NewGroupCipher(b, n, senderKeys).Encrypt(ctx, r.Plaintext)
	if err != nil {
		return nil, err
	}
	return map[string]any{"body": hexBytes(m.SignedSerialize())}, nil
}

func groupDecrypt(ctx context.Context, r *groupRequest, n *protocol.SenderKeyName, b *groups.SessionBuilder) (map[string]any, error) {
	m, err := protocol.NewSenderKeyMessageFromBytes(r.Body, senderKeys.ser.SenderKeyMessage)
	if err != nil {
		return nil, err
	}
	pt, err := groups.NewGroupCipher(b, n, senderKeys).Decrypt(ctx, m)
	if err != nil {
		return nil, err
	}
	return map[string]any{"plaintext": hexBytes(pt)}, nil
}
