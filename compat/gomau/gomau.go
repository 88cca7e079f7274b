package gomau

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/forwardsecret/signal/compat"
	"github.com/forwardsecret/signal/compat/libsignal"
	"github.com/forwardsecret/signal/internal/wire"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
	"github.com/forwardsecret/signal/x3dh"
)

// MaxRecordSize bounds the input of the importers. A session record with
// every state full (41 states, each with five receiving chains of 2,000
// skipped keys as base64) takes about 75 MB of JSON; the bound only refuses
// absurd inputs.
const MaxRecordSize = 128 << 20

// The JSON structures below mirror the field names and types that
// go.mau.fi/libsignal's record structures have in its Go source: encoding/json
// writes them under those names, []byte as base64 and absent pointers as
// null.

type sessionJSON struct {
	SessionState   *stateJSON
	PreviousStates []*stateJSON
}

type stateJSON struct {
	LocalIdentityPublic  []byte
	LocalRegistrationID  uint32
	PendingPreKey        *pendingJSON
	PreviousCounter      uint32
	ReceiverChains       []*chainJSON
	RemoteIdentityPublic []byte
	RemoteRegistrationID uint32
	RootKey              []byte
	SenderBaseKey        []byte
	SenderChain          *chainJSON
	SessionVersion       int32
	// NeedsRefresh and PendingKeyExchange (a key exchange of protocol
	// version 2) are not read.
}

type pendingJSON struct {
	PreKeyID *struct {
		Value   uint32
		IsEmpty bool
	}
	SignedPreKeyID uint32
	BaseKey        []byte
}

type chainJSON struct {
	SenderRatchetKeyPublic  []byte
	SenderRatchetKeyPrivate []byte
	ChainKey                *struct {
		Key   []byte
		Index uint32
	}
	MessageKeys []*struct {
		CipherKey []byte
		MacKey    []byte
		IV        []byte
		Index     uint32
	}
}

type preKeyJSON struct {
	ID         uint32
	PublicKey  []byte
	PrivateKey []byte
	Signature  []byte
	Timestamp  int64
}

type senderKeyJSON struct {
	SenderKeyStates []*struct {
		Keys []*struct {
			Iteration uint32
			Seed      []byte
			// IV and CipherKey are derived from Seed; not read.
		}
		KeyID          uint32
		SenderChainKey *struct {
			Iteration uint32
			ChainKey  []byte
		}
		SigningKeyPrivate []byte
		SigningKeyPublic  []byte
	}
}

// decode reads the JSON object b: one object, nothing after it.
func decode[T any](record string, b []byte) (*T, error) {
	if len(b) > MaxRecordSize {
		return nil, fmt.Errorf("%w: %s: %d bytes, more than MaxRecordSize", compat.ErrInvalidRecord, record, len(b))
	}
	var v *T
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", compat.ErrInvalidRecord, record, err)
	}
	if v == nil {
		return nil, invalidf(record, "null")
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, invalidf(record, "data after the JSON object")
	}
	return v, nil
}

func invalidf(record, format string, a ...any) error {
	return fmt.Errorf("%w: %s: "+format, append([]any{compat.ErrInvalidRecord, record}, a...)...)
}

// ImportSessionRecord reads a go.mau.fi/libsignal session record (the JSON
// of record.SessionStructure: SessionState and PreviousStates, newest
// first). The states are those of the legacy libsignal layout and are
// imported as libsignal.ImportLegacySessionRecord imports them, importedAt
// included: a session waiting for its peer's first answer (go.mau.fi does
// not date it) stops encrypting session.MaxUnacknowledgedSessionAge after
// importedAt. Errors wrap compat.ErrInvalidRecord or
// compat.ErrUnsupportedVersion.
func ImportSessionRecord(b []byte, importedAt time.Time) (*session.Record, error) {
	const record = "go.mau.fi session record"
	j, err := decode[sessionJSON](record, b)
	if err != nil {
		return nil, err
	}
	var w wire.Record
	if j.SessionState != nil {
		s, err := j.SessionState.structure(record)
		if err != nil {
			return nil, err
		}
		w.Current = s
	}
	for i, p := range j.PreviousStates {
		if p == nil {
			return nil, invalidf(record, "archived state %d is null", i)
		}
		s, err := p.structure(record)
		if err != nil {
			return nil, err
		}
		w.Previous = append(w.Previous, s.Append(nil))
	}
	enc := w.Append(nil)
	rec, err := libsignal.ImportLegacySessionRecord(enc, importedAt)
	clear(enc)
	for _, p := range w.Previous {
		clear(p)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", record, err)
	}
	return rec, nil
}

// structure maps s to the storage layout.
func (s *stateJSON) structure(record string) (*wire.SessionStructure, error) {
	if s.SessionVersion < 0 {
		return nil, invalidf(record, "session version %d", s.SessionVersion)
	}
	w := &wire.SessionStructure{
		Version:              uint32(s.SessionVersion),
		LocalIdentityPublic:  s.LocalIdentityPublic,
		RemoteIdentityPublic: s.RemoteIdentityPublic,
		RootKey:              s.RootKey,
		PreviousCounter:      s.PreviousCounter,
		RemoteRegistrationID: s.RemoteRegistrationID,
		LocalRegistrationID:  s.LocalRegistrationID,
		AliceBaseKey:         s.SenderBaseKey,
	}
	if s.SenderChain != nil {
		c, err := s.SenderChain.chain(record)
		if err != nil {
			return nil, err
		}
		w.SenderChain = &c
	}
	for i, rc := range s.ReceiverChains {
		if rc == nil {
			return nil, invalidf(record, "receiving chain %d is null", i)
		}
		c, err := rc.chain(record)
		if err != nil {
			return nil, err
		}
		w.ReceiverChains = append(w.ReceiverChains, c)
	}
	if p := s.PendingPreKey; p != nil {
		w.PendingPreKey = &wire.PendingPreKey{SignedPreKeyID: p.SignedPreKeyID, BaseKey: p.BaseKey}
		if p.PreKeyID != nil && !p.PreKeyID.IsEmpty {
			w.PendingPreKey.HasPreKeyID = true
			w.PendingPreKey.PreKeyID = p.PreKeyID.Value
		}
	}
	return w, nil
}

func (c *chainJSON) chain(record string) (wire.Chain, error) {
	w := wire.Chain{RatchetKey: c.SenderRatchetKeyPublic, RatchetKeyPrivate: c.SenderRatchetKeyPrivate}
	if c.ChainKey != nil {
		w.ChainKey = &wire.ChainKey{Index: c.ChainKey.Index, Key: c.ChainKey.Key}
	}
	for i, k := range c.MessageKeys {
		if k == nil {
			return w, invalidf(record, "message key %d is null", i)
		}
		w.MessageKeys = append(w.MessageKeys, wire.MessageKey{Index: k.Index, CipherKey: k.CipherKey, MACKey: k.MacKey, IV: k.IV})
	}
	return w, nil
}

// ImportPreKeyRecord reads a go.mau.fi/libsignal prekey record (the JSON of
// record.PreKeyStructure: ID, PublicKey, PrivateKey). The public key must
// be the private key's. Errors wrap compat.ErrInvalidRecord.
func ImportPreKeyRecord(b []byte) (*x3dh.OneTimePreKey, error) {
	const record = "go.mau.fi prekey record"
	j, err := decode[preKeyJSON](record, b)
	if err != nil {
		return nil, err
	}
	if j.Signature != nil || j.Timestamp != 0 {
		return nil, invalidf(record, "a signed prekey record")
	}
	k, err := libsignal.ImportPreKeyRecord(libsignalKeyRecord(j, false))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", record, err)
	}
	return k, nil
}

// ImportSignedPreKeyRecord reads a go.mau.fi/libsignal signed prekey record
// (the JSON of record.SignedPreKeyStructure: ID, PublicKey, PrivateKey,
// Signature, Timestamp in milliseconds), with the checks of
// libsignal.ImportSignedPreKeyRecord. Errors wrap compat.ErrInvalidRecord.
func ImportSignedPreKeyRecord(b []byte) (*x3dh.SignedPreKey, error) {
	const record = "go.mau.fi signed prekey record"
	j, err := decode[preKeyJSON](record, b)
	if err != nil {
		return nil, err
	}
	if j.Timestamp < 0 {
		return nil, invalidf(record, "timestamp %d", j.Timestamp)
	}
	k, err := libsignal.ImportSignedPreKeyRecord(libsignalKeyRecord(j, true))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", record, err)
	}
	return k, nil
}

// libsignalKeyRecord writes j as libsignal's (Signed)PreKeyRecordStructure,
// which has the same fields.
func libsignalKeyRecord(j *preKeyJSON, signed bool) []byte {
	var b []byte
	b = appendVarint(b, 1, uint64(j.ID))
	b = appendBytes(b, 2, j.PublicKey)
	b = appendBytes(b, 3, j.PrivateKey)
	if signed {
		b = appendBytes(b, 4, j.Signature)
		b = appendFixed64(b, 5, uint64(j.Timestamp))
	}
	return b
}

// ImportSenderKeyRecord reads a go.mau.fi/libsignal sender-key record (the
// JSON of record.SenderKeyStructure: SenderKeyStates, newest first, each
// with KeyID, SenderChainKey, the signing key and the skipped message keys
// as seeds). A state received from another member has no private signing
// key, which go.mau.fi writes as 32 zero bytes: that reads as none.
// The states then pass senderkey.ParseRecord's checks. As in libsignal's
// record, neither the group nor the sender is named: store the result
// under the (sender, distribution id) the app keeps the group's sender keys
// under, and decrypt the group's messages, which have the legacy layout,
// with senderkey.Cipher.DecryptLegacy. Errors wrap compat.ErrInvalidRecord.
func ImportSenderKeyRecord(b []byte) (*senderkey.Record, error) {
	const record = "go.mau.fi sender-key record"
	j, err := decode[senderKeyJSON](record, b)
	if err != nil {
		return nil, err
	}
	var w wire.SenderKeyRecord
	for i, s := range j.SenderKeyStates {
		if s == nil {
			return nil, invalidf(record, "state %d is null", i)
		}
		ws := wire.SenderKeyState{ChainID: s.KeyID, SigningKey: &wire.SenderSigningKey{Public: s.SigningKeyPublic}}
		if s.SenderChainKey != nil {
			ws.ChainKey = &wire.SenderChainKey{Iteration: s.SenderChainKey.Iteration, Seed: s.SenderChainKey.ChainKey}
		}
		if !allZero(s.SigningKeyPrivate) {
			ws.SigningKey.Private = s.SigningKeyPrivate
		}
		for k, mk := range s.Keys {
			if mk == nil {
				return nil, invalidf(record, "state %d: message key %d is null", i, k)
			}
			ws.MessageKeys = append(ws.MessageKeys, wire.SenderMessageKey{Iteration: mk.Iteration, Seed: mk.Seed})
		}
		w.States = append(w.States, ws)
	}
	enc := w.Append(nil)
	defer clear(enc)
	r, err := libsignal.ImportSenderKeyRecord(enc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", record, err)
	}
	return r, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
