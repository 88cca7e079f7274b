package senderkey

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/forwardsecret/signal/curve"
	"google.golang.org/protobuf/encoding/protowire"
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

// Field numbers of storage.proto's sender-key messages.
const (
	recStates = 1 // SenderKeyRecordStructure.sender_key_states

	stChainID        = 1 // SenderKeyStateStructure
	stChainKey       = 2
	stSigningKey     = 3
	stMessageKeys    = 4
	stMessageVersion = 5

	ckIteration = 1 // SenderChainKey and SenderMessageKey
	ckSeed      = 2

	skPublic  = 1 // SenderSigningKey
	skPrivate = 2
)

// MarshalBinary returns the encoding of r.
func (r *Record) MarshalBinary() ([]byte, error) { return r.AppendBinary(nil) }

// AppendBinary appends the encoding of r to dst: proto3, fields in number
// order, zero values omitted, exactly as libsignal writes it. It never
// fails.
func (r *Record) AppendBinary(dst []byte) ([]byte, error) {
	n := 0
	for _, s := range r.states {
		n += sizeMsg(recStates, s.size())
	}
	dst = slices.Grow(dst, n)
	for _, s := range r.states {
		dst = appendLen(dst, recStates, s.size())
		dst = s.appendTo(dst)
	}
	return dst, nil
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

func sizeMsg(num protowire.Number, n int) int { return protowire.SizeTag(num) + protowire.SizeBytes(n) }

func sizeVarint3(num protowire.Number, v uint32) int {
	if v == 0 {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeVarint(uint64(v))
}

func sizeBytes3(num protowire.Number, n int) int {
	if n == 0 {
		return 0
	}
	return sizeMsg(num, n)
}

func appendLen(b []byte, num protowire.Number, n int) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(n))
}

func appendVarint3(b []byte, num protowire.Number, v uint32) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

func appendBytes3(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// iterSeedSize is the size of SenderChainKey and SenderMessageKey.
func iterSeedSize(iteration uint32) int {
	return sizeVarint3(ckIteration, iteration) + sizeMsg(ckSeed, 32)
}

func appendIterSeed(b []byte, num protowire.Number, iteration uint32, seed *[32]byte) []byte {
	b = appendLen(b, num, iterSeedSize(iteration))
	b = appendVarint3(b, ckIteration, iteration)
	return appendBytes3(b, ckSeed, seed[:])
}

func (s *state) signingSize() int {
	return sizeMsg(skPublic, curve.PublicKeySize) + sizeBytes3(skPrivate, len(s.signingPriv))
}

func (s *state) size() int {
	n := sizeVarint3(stChainID, s.chainID) +
		sizeMsg(stChainKey, iterSeedSize(s.chain.iteration)) +
		sizeMsg(stSigningKey, s.signingSize()) +
		sizeVarint3(stMessageVersion, s.version)
	for i := range s.keys {
		n += sizeMsg(stMessageKeys, iterSeedSize(s.keys[i].iteration))
	}
	return n
}

func (s *state) appendTo(b []byte) []byte {
	b = appendVarint3(b, stChainID, s.chainID)
	b = appendIterSeed(b, stChainKey, s.chain.iteration, &s.chain.key)
	b = appendLen(b, stSigningKey, s.signingSize())
	b = protowire.AppendTag(b, skPublic, protowire.BytesType)
	b = protowire.AppendVarint(b, curve.PublicKeySize)
	b = s.signingPub.AppendBytes(b)
	b = appendBytes3(b, skPrivate, s.signingPriv)
	for i := range s.keys {
		b = appendIterSeed(b, stMessageKeys, s.keys[i].iteration, &s.keys[i].seed)
	}
	return appendVarint3(b, stMessageVersion, s.version)
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
	r := new(Record)
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num != recStates {
			return nil
		}
		if typ != protowire.BytesType {
			return wireTypeErr("sender_key_states", typ)
		}
		s, err := parseState(v)
		if err != nil {
			return fmt.Errorf("%w (state %d)", err, len(r.states))
		}
		r.states = append(r.states, s)
		return nil
	})
	if err != nil {
		if !errors.Is(err, ErrInvalidRecord) {
			err = fmt.Errorf("%w: %w", ErrInvalidRecord, err)
		}
		return nil, err
	}
	return r, nil
}

// rawState is a decoded SenderKeyStateStructure before validation.
type rawState struct {
	version, chainID uint32
	hasChain         bool
	chainIter        uint32
	chainSeed        []byte
	hasSigning       bool
	public, private  []byte
	keys             []rawIterSeed
}

type rawIterSeed struct {
	iteration uint32
	seed      []byte
}

func parseState(b []byte) (*state, error) {
	var rs rawState
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch num {
		case stChainID:
			return varint32(&rs.chainID, "chain_id", typ, v)
		case stMessageVersion:
			return varint32(&rs.version, "message_version", typ, v)
		case stChainKey:
			if typ != protowire.BytesType {
				return wireTypeErr("sender_chain_key", typ)
			}
			rs.hasChain = true
			return parseIterSeed(&rs.chainIter, &rs.chainSeed, v)
		case stSigningKey:
			if typ != protowire.BytesType {
				return wireTypeErr("sender_signing_key", typ)
			}
			rs.hasSigning = true
			return fields(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
				switch num {
				case skPublic:
					return bytes3(&rs.public, "public", typ, v)
				case skPrivate:
					return bytes3(&rs.private, "private", typ, v)
				}
				return nil
			})
		case stMessageKeys:
			if typ != protowire.BytesType {
				return wireTypeErr("sender_message_keys", typ)
			}
			var k rawIterSeed
			if err := parseIterSeed(&k.iteration, &k.seed, v); err != nil {
				return err
			}
			rs.keys = append(rs.keys, k)
		}
		return nil
	})
	if err != nil {
		if !errors.Is(err, ErrInvalidRecord) {
			err = fmt.Errorf("%w: %w", ErrInvalidRecord, err)
		}
		return nil, err
	}

	switch {
	case !rs.hasChain:
		return nil, fmt.Errorf("%w: missing sender_chain_key", ErrInvalidRecord)
	case len(rs.chainSeed) != ChainKeySize:
		return nil, fmt.Errorf("%w: chain key of %d bytes", ErrInvalidRecord, len(rs.chainSeed))
	case !rs.hasSigning:
		return nil, fmt.Errorf("%w: missing sender_signing_key", ErrInvalidRecord)
	case len(rs.private) != 0 && len(rs.private) != curve.PrivateKeySize:
		return nil, fmt.Errorf("%w: private signing key of %d bytes", ErrInvalidRecord, len(rs.private))
	}
	pub, err := curve.ParsePublicKey(rs.public)
	if err != nil {
		return nil, fmt.Errorf("%w: signing key: %w", ErrInvalidRecord, err)
	}
	s := &state{
		version:    rs.version,
		chainID:    rs.chainID,
		chain:      chainKey{iteration: rs.chainIter},
		signingPub: pub,
		keys:       make([]skippedKey, len(rs.keys)),
	}
	copy(s.chain.key[:], rs.chainSeed)
	if len(rs.private) != 0 {
		s.signingPriv = slices.Clone(rs.private)
	}
	for i, k := range rs.keys {
		if len(k.seed) != 32 {
			return nil, fmt.Errorf("%w: message key seed of %d bytes", ErrInvalidRecord, len(k.seed))
		}
		s.keys[i].iteration = k.iteration
		copy(s.keys[i].seed[:], k.seed)
	}
	return s, nil
}

// parseIterSeed merges a SenderChainKey or SenderMessageKey into the values.
func parseIterSeed(iteration *uint32, seed *[]byte, b []byte) error {
	return fields(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch num {
		case ckIteration:
			return varint32(iteration, "iteration", typ, v)
		case ckSeed:
			return bytes3(seed, "seed", typ, v)
		}
		return nil
	})
}

// fields calls fn for each field of the message in b with the field's raw
// value: for varints the varint bytes, for length-delimited fields the
// contents, for other types the value bytes.
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protoErr(n)
		}
		b = b[n:]
		var v []byte
		if typ == protowire.BytesType {
			v, n = protowire.ConsumeBytes(b)
		} else {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n >= 0 {
				v = b[:n]
			}
		}
		if n < 0 {
			return protoErr(n)
		}
		b = b[n:]
		if err := fn(num, typ, v); err != nil {
			return err
		}
	}
	return nil
}

func varint32(dst *uint32, field string, typ protowire.Type, v []byte) error {
	if typ != protowire.VarintType {
		return wireTypeErr(field, typ)
	}
	x, _ := protowire.ConsumeVarint(v) // v was already validated by fields
	*dst = uint32(x)                   // protobuf keeps the low 32 bits
	return nil
}

func bytes3(dst *[]byte, field string, typ protowire.Type, v []byte) error {
	if typ != protowire.BytesType {
		return wireTypeErr(field, typ)
	}
	*dst = v
	return nil
}

func wireTypeErr(field string, typ protowire.Type) error {
	return fmt.Errorf("%w: %s has wire type %d", ErrInvalidRecord, field, typ)
}

// protoErr describes a protowire failure; callers wrap it with their
// package sentinel.
func protoErr(n int) error {
	err := protowire.ParseError(n)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated: %w", err)
	}
	return fmt.Errorf("malformed: %w", err)
}
