package peer

import "context"

// A device's whole stored state, in its library's own serialized forms, for
// the continuation tests (issue #19): a peer exports the state of its device
// mid-conversation (export_state: node-v4, c, gomau), this library imports it
// with package compat and carries on as that device; or this library exports
// its state with compat and node-v4 imports it (import_state) and carries on.
//
// Record formats by peer:
//
//   - node-v4 (@signalapp/libsignal-client): every record as the library's
//     serialize() writes it (SessionRecord, PreKeyRecord, SignedPreKeyRecord,
//     KyberPreKeyRecord, SenderKeyRecord, IdentityKeyPair); identities are
//     IdentityKey.serialize() (33 bytes). compat/libsignal's Import
//     functions read them.
//   - c (libsignal-protocol-c 2.3.3): the bytes the library hands its store
//     callbacks. Sessions are in the legacy layout
//     (compat/libsignal.ImportLegacySessionRecord), prekeys, signed prekeys,
//     the identity key pair (ratchet_identity_key_pair_serialize) and sender
//     keys in libsignal's layout. No Kyber prekeys.
//   - gomau (go.mau.fi/libsignal v0.2.1): records as the JSON its
//     serialize.NewProtoBufSerializer writes (compat/gomau); the identity as
//     raw keys (IdentityPublic 33 bytes, IdentityPrivate 32), as whatsmeow
//     keeps it. No Kyber prekeys, no sender keys (the peer has no group ops).

// DeviceState is one device's exported (or to-be-imported) state.
type DeviceState struct {
	// IdentityKeyPair is the serialized identity key pair (node-v4, c).
	IdentityKeyPair Hex `json:"identity_key_pair,omitempty"`
	// IdentityPublic and IdentityPrivate are the raw identity keys (gomau).
	IdentityPublic  Hex    `json:"identity_public,omitempty"`
	IdentityPrivate Hex    `json:"identity_private,omitempty"`
	RegistrationID  uint32 `json:"registration_id"`
	DeviceID        uint32 `json:"device_id"`
	// Name is the device's own address name (node-v4 needs it to
	// encrypt and decrypt; import_state takes it).
	Name          string           `json:"name,omitempty"`
	Sessions      []AddressRecord  `json:"sessions"`
	Identities    []AddressRecord  `json:"identities"` // trusted remote identity keys, Record = the key
	PreKeys       []IDRecord       `json:"prekeys"`
	SignedPreKeys []IDRecord       `json:"signed_prekeys"`
	KyberPreKeys  []IDRecord       `json:"kyber_prekeys"`
	SenderKeys    []SenderKeyEntry `json:"sender_keys"`
}

// AddressRecord is a record kept under a remote address.
type AddressRecord struct {
	Name     string `json:"name"`
	DeviceID uint32 `json:"device_id"`
	Record   Hex    `json:"record"`
}

// Address returns the entry's address.
func (r AddressRecord) Address() Address { return Address{r.Name, r.DeviceID} }

// IDRecord is a record kept under a key id.
type IDRecord struct {
	ID     uint32 `json:"id"`
	Record Hex    `json:"record"`
}

// SenderKeyEntry is a sender-key record of (group, sender). Group is the
// peer's group name (for node-v4 the distribution id's UUID string).
type SenderKeyEntry struct {
	Group    string `json:"group"`
	Name     string `json:"name"`
	DeviceID uint32 `json:"device_id"`
	Record   Hex    `json:"record"`
}

// ExportState returns the peer's whole stored state (export_state). Peers
// without it return an error wrapping [ErrUnsupported].
func (p *Process) ExportState(ctx context.Context) (DeviceState, error) {
	var s DeviceState
	err := p.Call(ctx, "export_state", nil, &s)
	return s, p.unsupported(err)
}

// ImportState replaces the peer's identity and stores by s (import_state,
// node-v4 only; it takes the place of Init). s.Name is the device's own
// address name.
func (p *Process) ImportState(ctx context.Context, s DeviceState) error {
	return p.unsupported(p.Call(ctx, "import_state", s, nil))
}
