package senderkey

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/wire"
)

// Record holds the sender-key chains of one sender for one distribution id,
// newest first, at most MaxSenderKeyStates of them (records parsed from
// elsewhere may hold more until the next chain is added). The zero value is
// an empty record.
//
// Its encoding is libsignal's SenderKeyRecordStructure (storage.proto,
// proto3), so records move between this package and libsignal. Record
// holds secret keys; String and fmt print only chain ids.
type Record struct {
	states []*state
}

// state is one chain: libsignal's SenderKeyStateStructure.
type state struct {
	version     uint32 // message_version as stored; 0 means MessageVersion
	chainID     uint32
	chain       chainKey
	signingPub  curve.PublicKey
	signingPriv []byte        // nil, or 32 bytes exactly as stored
	keys        []skippedKey  // oldest first
	signer      *signingCache // lazily built from signingPriv; not encoded
}

// signingCache holds the XEdDSA form of a state's private signing key, so
// that consecutive encryptions do not recompute it. It is immutable once
// built and shared between clones.
type signingCache struct {
	kp *curve.IdentityKeyPair
}

// skippedKey is the stored seed of a message key that was skipped over.
type skippedKey struct {
	iteration uint32
	seed      [32]byte
}

func (s *state) messageVersion() uint32 {
	if s.version == 0 {
		return MessageVersion
	}
	return s.version
}

func (s *state) clone() *state {
	c := *s
	c.signingPriv = slices.Clone(s.signingPriv)
	c.keys = slices.Clone(s.keys)
	return &c
}

// Clone returns a deep copy of r.
func (r *Record) Clone() *Record {
	c := &Record{states: make([]*state, len(r.states))}
	for i, s := range r.states {
		c.states[i] = s.clone()
	}
	return c
}

// Len returns the number of chains in r.
func (r *Record) Len() int { return len(r.states) }

// ChainIDs returns the chain ids of r, newest first.
func (r *Record) ChainIDs() []uint32 {
	ids := make([]uint32, len(r.states))
	for i, s := range r.states {
		ids[i] = s.chainID
	}
	return ids
}

// String describes r by its chain ids only. It and Format have value
// receivers so that printing a Record value never reaches the keys.
func (r Record) String() string {
	var b strings.Builder
	b.WriteString("senderkey.Record{chains:")
	for _, s := range r.states {
		b.WriteByte(' ')
		b.WriteString(strconv.FormatUint(uint64(s.chainID), 10))
	}
	b.WriteString("}")
	return b.String()
}

// GoString is String.
func (r Record) GoString() string { return r.String() }

// Format prints String for every verb, so no verb reveals key material.
func (r Record) Format(f fmt.State, _ rune) { fmt.Fprint(f, r.String()) }

// stateFor returns the state with the chain id, or nil.
func (r *Record) stateFor(chainID uint32) (int, *state) {
	for i, s := range r.states {
		if s.chainID == chainID {
			return i, s
		}
	}
	return -1, nil
}

// add inserts a chain as libsignal does: an existing state with the same
// chain id and signing key is kept (with its progress) and moved to the
// front; other states with that chain id are dropped; then the oldest states
// are dropped until the new one fits under MaxSenderKeyStates.
func (r *Record) add(n *state) {
	var keep *state
	states := r.states[:0]
	for _, s := range r.states {
		switch {
		case s.chainID != n.chainID:
			states = append(states, s)
		case keep == nil && s.signingPub == n.signingPub:
			keep = s
		}
	}
	clear(r.states[len(states):])
	if keep == nil {
		keep = n
	}
	if len(states) > MaxSenderKeyStates-1 {
		clear(states[MaxSenderKeyStates-1:])
		states = states[:MaxSenderKeyStates-1]
	}
	r.states = slices.Insert(states, 0, keep)
}

// MarshalBinary returns the encoding of r.
func (r *Record) MarshalBinary() ([]byte, error) { return r.AppendBinary(nil) }

// AppendBinary appends the encoding of r to dst: proto3, fields in number
// order, zero values omitted, exactly as libsignal writes it (the layout is
// internal/wire's SenderKeyRecord). It never fails.
func (r *Record) AppendBinary(dst []byte) ([]byte, error) {
	w := wire.SenderKeyRecord{States: make([]wire.SenderKeyState, len(r.states))}
	for i, s := range r.states {
		ws := &w.States[i]
		ws.MessageVersion = s.version
		ws.ChainID = s.chainID
		ws.ChainKey = &wire.SenderChainKey{Iteration: s.chain.iteration, Seed: s.chain.key[:]}
		ws.SigningKey = &wire.SenderSigningKey{Public: s.signingPub.Bytes(), Private: s.signingPriv}
		ws.MessageKeys = make([]wire.SenderMessageKey, len(s.keys))
		for j := range s.keys {
			ws.MessageKeys[j] = wire.SenderMessageKey{Iteration: s.keys[j].iteration, Seed: s.keys[j].seed[:]}
		}
	}
	return w.Append(dst), nil
}

// UnmarshalBinary replaces r with the record encoded in b (see ParseRecord).
func (r *Record) UnmarshalBinary(b []byte) error {
	p, err := ParseRecord(b)
	if err != nil {
		return err
	}
	*r = *p
	return nil
}

// ParseRecord decodes a record written by AppendBinary or by libsignal. It
// follows protobuf's rules (fields in any order, unknown fields skipped, the
// last scalar wins, repeated occurrences of a sub-message merge) and then
// requires every state to hold a chain key with a 32-byte seed and a signing
// key with a valid 33-byte public key and an empty or 32-byte private key,
// and every stored message key to have a 32-byte seed; libsignal writes
// nothing else. Errors wrap ErrInvalidRecord. The result does not alias b.
func ParseRecord(b []byte) (*Record, error) {
	if len(b) > MaxRecordSize {
		return nil, fmt.Errorf("%w: %d bytes, more than MaxRecordSize (%d)", ErrInvalidRecord, len(b), MaxRecordSize)
	}
	w, err := wire.ParseSenderKeyRecord(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRecord, err)
	}
	r := &Record{states: make([]*state, len(w.States))}
	for i := range w.States {
		s, err := stateFromWire(&w.States[i])
		if err != nil {
			return nil, fmt.Errorf("%w (state %d)", err, i)
		}
		r.states[i] = s
	}
	return r, nil
}

func stateFromWire(ws *wire.SenderKeyState) (*state, error) {
	switch {
	case ws.ChainKey == nil:
		return nil, fmt.Errorf("%w: missing sender_chain_key", ErrInvalidRecord)
	case len(ws.ChainKey.Seed) != ChainKeySize:
		return nil, fmt.Errorf("%w: chain key of %d bytes", ErrInvalidRecord, len(ws.ChainKey.Seed))
	case ws.SigningKey == nil:
		return nil, fmt.Errorf("%w: missing sender_signing_key", ErrInvalidRecord)
	case len(ws.SigningKey.Private) != 0 && len(ws.SigningKey.Private) != curve.PrivateKeySize:
		return nil, fmt.Errorf("%w: private signing key of %d bytes", ErrInvalidRecord, len(ws.SigningKey.Private))
	}
	pub, err := curve.ParsePublicKey(ws.SigningKey.Public)
	if err != nil {
		return nil, fmt.Errorf("%w: signing key: %w", ErrInvalidRecord, err)
	}
	s := &state{
		version:    ws.MessageVersion,
		chainID:    ws.ChainID,
		chain:      chainKey{iteration: ws.ChainKey.Iteration},
		signingPub: pub,
		keys:       make([]skippedKey, len(ws.MessageKeys)),
	}
	copy(s.chain.key[:], ws.ChainKey.Seed)
	if len(ws.SigningKey.Private) != 0 {
		s.signingPriv = slices.Clone(ws.SigningKey.Private)
	}
	for i, k := range ws.MessageKeys {
		if len(k.Seed) != 32 {
			return nil, fmt.Errorf("%w: message key seed of %d bytes", ErrInvalidRecord, len(k.Seed))
		}
		s.keys[i].iteration = k.Iteration
		copy(s.keys[i].seed[:], k.Seed)
	}
	return s, nil
}
