// Command gomau is an interop peer around go.mau.fi/libsignal (GPL-3.0).
//
// It speaks the JSON-lines peer protocol described in interop/README.md:
// one request object per line on stdin, one response per line on stdout,
// logs on stderr only. It lives in the separate interop module so the
// library's own go.mod never requires the GPL code.
//
// Quirks of the wrapped library worked around here: it panics on some
// malformed input (ciphertext not a multiple of 16, empty input), so every
// operation runs under recover and reports the panic as an error. It cannot
// take injected randomness for XEdDSA signing, so xeddsa_sign refuses a
// "random" field. Key pairs come from crypto/rand.Reader, which the peer
// wraps so that queue_random can inject them.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/libsignal/keys/identity"
	"go.mau.fi/libsignal/keys/prekey"
	"go.mau.fi/libsignal/logger"
	"go.mau.fi/libsignal/protocol"
	"go.mau.fi/libsignal/serialize"
	"go.mau.fi/libsignal/session"
	"go.mau.fi/libsignal/state/record"
	"go.mau.fi/libsignal/util/keyhelper"
	"go.mau.fi/libsignal/util/optional"
)

type hexBytes []byte

func (h hexBytes) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(h)) }
func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	if err != nil {
		return err
	}
	*h = d
	return nil
}

type bundleJSON struct {
	RegistrationID        uint32   `json:"registration_id"`
	DeviceID              uint32   `json:"device_id"`
	IdentityKey           hexBytes `json:"identity_key"`
	SignedPreKeyID        uint32   `json:"signed_prekey_id"`
	SignedPreKey          hexBytes `json:"signed_prekey"`
	SignedPreKeySignature hexBytes `json:"signed_prekey_signature"`
	PreKeyID              *uint32  `json:"prekey_id,omitempty"`
	PreKey                hexBytes `json:"prekey,omitempty"`
}

type request struct {
	Op                  string      `json:"op"`
	RegistrationID      uint32      `json:"registration_id"`
	DeviceID            uint32      `json:"device_id"`
	IdentityPrivate     hexBytes    `json:"identity_private"`
	SignedPreKeyID      uint32      `json:"signed_prekey_id"`
	SignedPreKeyPrivate hexBytes    `json:"signed_prekey_private"`
	OneTime             bool        `json:"one_time"`
	PreKeyID            *uint32     `json:"prekey_id"`
	PreKeyPrivate       hexBytes    `json:"prekey_private"`
	Name                string      `json:"name"`
	Bundle              *bundleJSON `json:"bundle"`
	Plaintext           hexBytes    `json:"plaintext"`
	Type                int         `json:"type"`
	Body                hexBytes    `json:"body"`
	Private             hexBytes    `json:"private"`
	Public              hexBytes    `json:"public"`
	Message             hexBytes    `json:"message"`
	Signature           hexBytes    `json:"signature"`
	Random              hexBytes    `json:"random"`
	Bytes               hexBytes    `json:"bytes"`

	raw []byte // the request line, for the ops of extraOps (other files)
}

// queuedReader serves the bytes given to the queue_random op before the
// wrapped source. It replaces crypto/rand.Reader, which the library reads
// when it generates a key pair (ecc.GenerateKeyPair).
type queuedReader struct {
	queue    []byte
	fallback io.Reader
}

func (q *queuedReader) Read(b []byte) (int, error) {
	n := copy(b, q.queue)
	q.queue = q.queue[n:]
	if n == len(b) {
		return n, nil
	}
	m, err := q.fallback.Read(b[n:])
	return n + m, err
}

var queued = &queuedReader{fallback: rand.Reader}

// stores: in-memory, keyed by "name.device" (the library's own test stores
// key by pointer, which does not work across requests).
type peer struct {
	ser        *serialize.Serializer
	identity   *identity.KeyPair
	regID      uint32
	deviceID   uint32
	trusted    map[string]*identity.Key
	prekeys    map[uint32]*record.PreKey
	signed     map[uint32]*record.SignedPreKey
	sessions   map[string]*record.Session
	nextPreKey uint32
}

func addrKey(a *protocol.SignalAddress) string { return a.String() }

func (p *peer) GetIdentityKeyPair() *identity.KeyPair { return p.identity }
func (p *peer) GetLocalRegistrationID() uint32        { return p.regID }
func (p *peer) SaveIdentity(_ context.Context, a *protocol.SignalAddress, k *identity.Key) error {
	p.trusted[addrKey(a)] = k
	return nil
}
func (p *peer) IsTrustedIdentity(_ context.Context, a *protocol.SignalAddress, k *identity.Key) (bool, error) {
	t := p.trusted[addrKey(a)]
	return t == nil || t.Fingerprint() == k.Fingerprint(), nil
}
func (p *peer) LoadPreKey(_ context.Context, id uint32) (*record.PreKey, error) {
	return p.prekeys[id], nil
}
func (p *peer) StorePreKey(_ context.Context, id uint32, r *record.PreKey) error {
	p.prekeys[id] = r
	return nil
}
func (p *peer) ContainsPreKey(_ context.Context, id uint32) (bool, error) {
	_, ok := p.prekeys[id]
	return ok, nil
}
func (p *peer) RemovePreKey(_ context.Context, id uint32) error {
	delete(p.prekeys, id)
	return nil
}
func (p *peer) LoadSession(_ context.Context, a *protocol.SignalAddress) (*record.Session, error) {
	if s, ok := p.sessions[addrKey(a)]; ok {
		return s, nil
	}
	return record.NewSession(p.ser.Session, p.ser.State), nil
}
func (p *peer) GetSubDeviceSessions(context.Context, string) ([]uint32, error) { return nil, nil }
func (p *peer) StoreSession(_ context.Context, a *protocol.SignalAddress, r *record.Session) error {
	p.sessions[addrKey(a)] = r
	return nil
}
func (p *peer) ContainsSession(_ context.Context, a *protocol.SignalAddress) (bool, error) {
	_, ok := p.sessions[addrKey(a)]
	return ok, nil
}
func (p *peer) DeleteSession(_ context.Context, a *protocol.SignalAddress) error {
	delete(p.sessions, addrKey(a))
	return nil
}
func (p *peer) DeleteAllSessions(context.Context) error {
	p.sessions = map[string]*record.Session{}
	return nil
}
func (p *peer) LoadSignedPreKey(_ context.Context, id uint32) (*record.SignedPreKey, error) {
	return p.signed[id], nil
}
func (p *peer) LoadSignedPreKeys(context.Context) ([]*record.SignedPreKey, error) {
	var out []*record.SignedPreKey
	for _, r := range p.signed {
		out = append(out, r)
	}
	return out, nil
}
func (p *peer) StoreSignedPreKey(_ context.Context, id uint32, r *record.SignedPreKey) error {
	p.signed[id] = r
	return nil
}
func (p *peer) ContainsSignedPreKey(_ context.Context, id uint32) (bool, error) {
	_, ok := p.signed[id]
	return ok, nil
}
func (p *peer) RemoveSignedPreKey(_ context.Context, id uint32) error {
	delete(p.signed, id)
	return nil
}

func keyPair(priv []byte) (*ecc.ECKeyPair, error) {
	if priv == nil {
		return ecc.GenerateKeyPair()
	}
	if len(priv) != 32 {
		return nil, fmt.Errorf("private key must be 32 bytes, got %d", len(priv))
	}
	return ecc.CreateKeyPair(priv), nil
}

func decodePoint(b []byte) (ecc.ECPublicKeyable, error) {
	if len(b) != 33 {
		return nil, fmt.Errorf("public key must be 33 bytes, got %d", len(b))
	}
	return ecc.DecodePoint(b, 0)
}

func (p *peer) builder(name string, dev uint32) (*session.Builder, *protocol.SignalAddress) {
	a := protocol.NewSignalAddress(name, dev)
	return session.NewBuilder(p, p, p, p, a, p.ser), a
}

func (p *peer) handle(ctx context.Context, r *request) (map[string]any, error) {
	switch r.Op {
	case "bundle", "process_bundle", "encrypt", "decrypt", "has_session", "export_state":
		if p.identity == nil {
			return nil, errors.New("not initialized")
		}
	}
	switch r.Op {
	case "init":
		var kp *ecc.ECKeyPair
		var err error
		if r.IdentityPrivate != nil {
			kp, err = keyPair(r.IdentityPrivate)
			if err != nil {
				return nil, err
			}
			p.identity = identity.NewKeyPair(identity.NewKey(kp.PublicKey()), kp.PrivateKey())
		} else {
			p.identity, err = keyhelper.GenerateIdentityKeyPair()
			if err != nil {
				return nil, err
			}
		}
		p.regID = r.RegistrationID
		p.deviceID = r.DeviceID
		return map[string]any{"identity_public": hexBytes(p.identity.PublicKey().Serialize())}, nil
	case "bundle":
		spk, err := keyPair(r.SignedPreKeyPrivate)
		if err != nil {
			return nil, err
		}
		sig := ecc.CalculateSignature(p.identity.PrivateKey(), spk.PublicKey().Serialize())
		p.signed[r.SignedPreKeyID] = record.NewSignedPreKey(r.SignedPreKeyID, time.Now().UnixMilli(), spk, sig, p.ser.SignedPreKeyRecord)
		out := map[string]any{
			"registration_id":         p.regID,
			"device_id":               p.deviceID,
			"identity_key":            hexBytes(p.identity.PublicKey().Serialize()),
			"signed_prekey_id":        r.SignedPreKeyID,
			"signed_prekey":           hexBytes(spk.PublicKey().Serialize()),
			"signed_prekey_signature": hexBytes(sig[:]),
		}
		if r.OneTime {
			id := p.nextPreKey + 1
			if r.PreKeyID != nil {
				id = *r.PreKeyID
			}
			p.nextPreKey = id
			pk, err := keyPair(r.PreKeyPrivate)
			if err != nil {
				return nil, err
			}
			p.prekeys[id] = record.NewPreKey(id, pk, p.ser.PreKeyRecord)
			out["prekey_id"] = id
			out["prekey"] = hexBytes(pk.PublicKey().Serialize())
		}
		return out, nil
	case "process_bundle":
		b := r.Bundle
		if b == nil {
			return nil, errors.New("missing bundle")
		}
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
		bundle := prekey.NewBundle(b.RegistrationID, b.DeviceID, pkID, b.SignedPreKeyID, pk, spk, sig, identity.NewKey(ik))
		bld, _ := p.builder(r.Name, r.DeviceID)
		if err := bld.ProcessBundle(ctx, bundle); err != nil {
			return nil, err
		}
		return map[string]any{}, nil
	case "encrypt":
		bld, a := p.builder(r.Name, r.DeviceID)
		if ok, _ := p.ContainsSession(ctx, a); !ok {
			return nil, errors.New("no session")
		}
		msg, err := session.NewCipher(bld, a).Encrypt(ctx, r.Plaintext)
		if err != nil {
			return nil, err
		}
		return map[string]any{"type": msg.Type(), "body": hexBytes(msg.Serialize())}, nil
	case "decrypt":
		bld, a := p.builder(r.Name, r.DeviceID)
		c := session.NewCipher(bld, a)
		var pt []byte
		switch r.Type {
		case protocol.PREKEY_TYPE:
			m, err := protocol.NewPreKeySignalMessageFromBytes(r.Body, p.ser.PreKeySignalMessage, p.ser.SignalMessage)
			if err != nil {
				return nil, err
			}
			if pt, err = c.DecryptMessage(ctx, m); err != nil {
				return nil, err
			}
		case protocol.WHISPER_TYPE:
			m, err := protocol.NewSignalMessageFromBytes(r.Body, p.ser.SignalMessage)
			if err != nil {
				return nil, err
			}
			if pt, err = c.Decrypt(ctx, m); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unknown message type %d", r.Type)
		}
		return map[string]any{"plaintext": hexBytes(pt)}, nil
	case "has_session":
		s, ok := p.sessions[addrKey(protocol.NewSignalAddress(r.Name, r.DeviceID))]
		return map[string]any{"has": ok && s.SessionState() != nil && s.SessionState().HasSenderChain()}, nil
	case "xeddsa_sign":
		if r.Random != nil {
			return nil, errors.New("unsupported: go.mau.fi/libsignal cannot take an injected random")
		}
		if len(r.Private) != 32 {
			return nil, errors.New("private must be 32 bytes")
		}
		var k [32]byte
		copy(k[:], r.Private)
		sig := ecc.CalculateSignature(ecc.NewDjbECPrivateKey(k), r.Message)
		return map[string]any{"signature": hexBytes(sig[:])}, nil
	case "xeddsa_verify":
		pub, err := decodePoint(r.Public)
		if err != nil {
			return nil, err
		}
		if len(r.Signature) != 64 {
			return map[string]any{"valid": false}, nil
		}
		var sig [64]byte
		copy(sig[:], r.Signature)
		return map[string]any{"valid": ecc.VerifySignature(pub, r.Message, sig)}, nil
	case "export_state":
		return p.exportState(), nil
	case "queue_random":
		// The next random draws come from bytes, in order, before the
		// system source (for replaying transcripts with listed keys).
		queued.queue = append(queued.queue, r.Bytes...)
		return map[string]any{"pending": len(queued.queue)}, nil
	case "shutdown":
		return map[string]any{}, nil
	}
	if op, ok := extraOps[r.Op]; ok {
		return op(ctx, p, r.raw)
	}
	return nil, fmt.Errorf("unknown op %q", r.Op)
}

// exportState is the export_state op (interop/peer/records.go): every
// record as the library serializes it (serialize.NewProtoBufSerializer,
// JSON), the identity as raw keys (whatsmeow keeps it so), trusted
// identities as 33-byte keys.
func (p *peer) exportState() map[string]any {
	type addrRecord struct {
		Name     string   `json:"name"`
		DeviceID uint32   `json:"device_id"`
		Record   hexBytes `json:"record"`
	}
	type idRecord struct {
		ID     uint32   `json:"id"`
		Record hexBytes `json:"record"`
	}
	split := func(k string) (string, uint32) {
		// addrKey is SignalAddress.String: name, separator, device id
		i := strings.LastIndex(k, protocol.ADDRESS_SEPARATOR)
		d, _ := strconv.ParseUint(k[i+len(protocol.ADDRESS_SEPARATOR):], 10, 32)
		return k[:i], uint32(d)
	}
	sessions, identities := []addrRecord{}, []addrRecord{}
	for k, s := range p.sessions {
		n, d := split(k)
		sessions = append(sessions, addrRecord{n, d, s.Serialize()})
	}
	for k, id := range p.trusted {
		n, d := split(k)
		identities = append(identities, addrRecord{n, d, id.Serialize()})
	}
	prekeys, signed := []idRecord{}, []idRecord{}
	for id, r := range p.prekeys {
		prekeys = append(prekeys, idRecord{id, r.Serialize()})
	}
	for id, r := range p.signed {
		signed = append(signed, idRecord{id, r.Serialize()})
	}
	priv := p.identity.PrivateKey().Serialize()
	return map[string]any{
		"identity_public":  hexBytes(p.identity.PublicKey().Serialize()),
		"identity_private": hexBytes(priv[:]),
		"registration_id":  p.regID,
		"device_id":        p.deviceID,
		"sessions":         sessions,
		"identities":       identities,
		"prekeys":          prekeys,
		"signed_prekeys":   signed,
		"kyber_prekeys":    []idRecord{},
		"sender_keys":      []addrRecord{},
	}
}

func (p *peer) safeHandle(ctx context.Context, r *request) (out map[string]any, err error) {
	defer func() {
		if v := recover(); v != nil {
			log.Printf("panic in %s: %v\n%s", r.Op, v, debug.Stack())
			out, err = nil, fmt.Errorf("panic in go.mau.fi/libsignal: %v", v)
		}
	}()
	return p.handle(ctx, r)
}

// stderrLogger keeps the library's logging off stdout (its default logger
// prints to stdout, which would corrupt the JSON stream).
type stderrLogger struct{}

func (stderrLogger) Debug(caller, msg string)   {}
func (stderrLogger) Info(caller, msg string)    {}
func (stderrLogger) Warning(caller, msg string) { log.Printf("warning %s: %s", caller, msg) }
func (stderrLogger) Error(caller, msg string)   { log.Printf("error %s: %s", caller, msg) }
func (stderrLogger) Configure(string)           {}

func main() {
	rand.Reader = queued
	log.SetOutput(os.Stderr)
	log.SetPrefix("gomau: ")
	var l logger.Loggable = stderrLogger{}
	logger.Setup(&l)
	p := &peer{
		ser:      serialize.NewProtoBufSerializer(),
		trusted:  map[string]*identity.Key{},
		prekeys:  map[uint32]*record.PreKey{},
		signed:   map[uint32]*record.SignedPreKey{},
		sessions: map[string]*record.Session{},
	}
	ctx := context.Background()
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			if err != io.EOF {
				log.Print(err)
			}
			return
		}
		var r request
		var resp map[string]any
		jerr := json.Unmarshal(line, &r)
		r.raw = line
		if jerr != nil {
			resp = map[string]any{"ok": false, "error": "bad request: " + jerr.Error()}
		} else if res, herr := p.safeHandle(ctx, &r); herr != nil {
			resp = map[string]any{"ok": false, "error": herr.Error()}
		} else {
			res["ok"] = true
			resp = res
		}
		if err := enc.Encode(resp); err != nil {
			log.Print(err)
			return
		}
		out.Flush()
		if r.Op == "shutdown" {
			return
		}
	}
}
