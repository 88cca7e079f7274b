// Package pqr is the vector generators' own SPQR v1 (Signal's sparse
// post-quantum ratchet: the ML-KEM Braid with its symmetric chain), written
// from the ML-KEM Braid specification (signal.org/docs/specifications/mlkembraid)
// and the facts in PROTOCOL.md (labels, layouts, constants, state
// transitions as signalapp/SparsePostQuantumRatchet v1 runs them), with the
// standard library only: crypto/mlkem (+ mlkemtest for derandomized
// encapsulation), crypto/hkdf, crypto/hmac, crypto/sha3. It imports none of
// the packages the vectors check (spqr, internal/mlkem768, internal/erasure)
// and is independent of them.
//
// It is a simulator for the transcript generator, not a library: states
// are mutable (Clone before trying a message), randomness is given by the
// caller, and ML-KEM encapsulation from a header alone relies on the keys
// having been generated in this process (see encapsulate1).
//
// Both states start as libsignal starts them since v0.92: version V1,
// minimum version V1, still negotiating.
package pqr

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Version byte of an SPQR v1 message.
const Version1 = 1

// Errors of the top level.
var (
	// ErrMinimumVersion: the peer sent no SPQR (an empty field) while we
	// still negotiate with minimum version V1.
	ErrMinimumVersion = errors.New("pqr: minimum version")
	// ErrVersionMismatch: the peer sent no SPQR after negotiation ended.
	ErrVersionMismatch = errors.New("pqr: version mismatch after negotiation")
	// ErrDecode: the message does not parse.
	ErrDecode = errors.New("pqr: message decode failed")
)

// State is one party's SPQR state.
type State struct {
	alice       bool
	negotiating bool
	authKey     []byte
	chain       *chain // nil until first used
	b           *braid
}

// New returns the initial state of Alice (the PQXDH initiator, A2B) or Bob
// for the 32-byte SPQR auth key of the handshake.
func New(authKey []byte, alice bool) *State {
	b := &braid{epoch: 1, auth: newAuth(authKey)}
	if alice {
		b.phase = KeysUnsampled
	} else {
		b.phase = NoHeaderReceived
		b.hdrDec = newDecoder(HeaderSize + MACSize)
	}
	return &State{alice: alice, negotiating: true, authKey: append([]byte(nil), authKey...), b: b}
}

// Clone returns an independent copy.
func (s *State) Clone() *State {
	c := *s
	if s.chain != nil {
		c.chain = s.chain.clone()
	}
	c.b = s.b.clone()
	return &c
}

// Epoch is the Braid's current epoch; Phase its state.
func (s *State) Epoch() uint64 { return s.b.epoch }

// Phase is the Braid's current state.
func (s *State) Phase() Phase { return s.b.phase }

// ChainEpoch is the newest epoch mixed into the chain.
func (s *State) ChainEpoch() uint64 {
	if s.chain == nil {
		return 0
	}
	return s.chain.current
}

func (s *State) getChain() *chain {
	if s.chain == nil {
		s.chain = newChain(s.authKey, s.alice)
	}
	return s.chain
}

// Message is a parsed SPQR v1 message.
type Message struct {
	Epoch uint64
	Index uint32
	Type  Type
	Chunk Chunk // for Hdr, Ek, EkCt1Ack, Ct1, Ct2
}

// Marshal encodes m: 0x01 || varint epoch || varint index || type ||
// [varint chunk index || 32-byte chunk].
func (m Message) Marshal() []byte {
	b := []byte{Version1}
	b = binary.AppendUvarint(b, m.Epoch)
	b = binary.AppendUvarint(b, uint64(m.Index))
	b = append(b, byte(m.Type))
	if m.Type.hasChunk() {
		b = binary.AppendUvarint(b, uint64(m.Chunk.Index))
		b = append(b, m.Chunk.Data[:]...)
	}
	return b
}

func uvarint(b []byte, at *int) (uint64, error) {
	var v uint64
	for i := 0; i < 10; i++ {
		if *at >= len(b) {
			return 0, ErrDecode
		}
		c := b[*at]
		*at++
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return v, nil
}

// Parse decodes a v1 message; trailing bytes are ignored.
func Parse(b []byte) (Message, error) {
	if len(b) == 0 || b[0] != Version1 {
		return Message{}, ErrDecode
	}
	at := 1
	var m Message
	var err error
	if m.Epoch, err = uvarint(b, &at); err != nil || m.Epoch == 0 {
		return Message{}, ErrDecode
	}
	idx, err := uvarint(b, &at)
	if err != nil || idx > 1<<32-1 || at >= len(b) {
		return Message{}, ErrDecode
	}
	m.Index = uint32(idx)
	m.Type = Type(b[at])
	at++
	if m.Type > TypeCt2 {
		return Message{}, ErrDecode
	}
	if m.Type.hasChunk() {
		ci, err := uvarint(b, &at)
		if err != nil || ci > 65535 || at+ChunkSize > len(b) {
			return Message{}, ErrDecode
		}
		m.Chunk.Index = uint16(ci)
		copy(m.Chunk.Data[:], b[at:at+ChunkSize])
	}
	return m, nil
}

// SendInfo describes a send.
type SendInfo struct {
	Message Message
	Drawn   []byte       // randomness read (keygen seed d||z, or encapsulation m), if any
	Secret  *EpochSecret // an epoch secret this send created, if any
	Phase   Phase        // the phase after the send
}

// Send returns the next SPQR message and its 32-byte message key (the
// message-key HKDF salt). draw supplies randomness when the Braid needs it.
func (s *State) Send(draw func(n int) ([]byte, error)) ([]byte, []byte, SendInfo, error) {
	var info SendInfo
	recorded := func(n int) ([]byte, error) {
		b, err := draw(n)
		info.Drawn = append(info.Drawn, b...)
		return b, err
	}
	t, c, es, err := s.b.send(recorded)
	if err != nil {
		return nil, nil, info, err
	}
	ch := s.getChain()
	if es != nil {
		if err := ch.addEpoch(es.Epoch, es.Secret); err != nil {
			return nil, nil, info, err
		}
	}
	idx, key, err := ch.sendKey(s.b.epoch - 1)
	if err != nil {
		return nil, nil, info, err
	}
	info.Message = Message{Epoch: s.b.epoch, Index: idx, Type: t, Chunk: c}
	info.Secret, info.Phase = es, s.b.phase
	return info.Message.Marshal(), key, info, nil
}

// RecvInfo describes a receive.
type RecvInfo struct {
	Message Message
	Secret  *EpochSecret // an epoch secret this message completed, if any
	Phase   Phase
}

// Recv processes the SPQR field of a received message and returns its
// message key. On error s may be partly changed: try messages on a Clone.
// A message of an unknown version (first byte above 1) yields no key and
// no error, as in SPQR.
func (s *State) Recv(msg []byte) ([]byte, RecvInfo, error) {
	var info RecvInfo
	if len(msg) == 0 {
		if s.negotiating {
			return nil, info, ErrMinimumVersion
		}
		return nil, info, ErrVersionMismatch
	}
	if msg[0] > Version1 {
		return nil, info, nil
	}
	m, err := Parse(msg)
	if err != nil {
		return nil, info, err
	}
	info.Message = m
	es, err := s.b.recv(m.Epoch, m.Type, m.Chunk)
	if err != nil {
		return nil, info, err
	}
	ch := s.getChain()
	if es != nil {
		if err := ch.addEpoch(es.Epoch, es.Secret); err != nil {
			return nil, info, err
		}
	}
	var key []byte
	if !(m.Epoch == 1 && m.Index == 0) {
		if key, err = ch.recvKey(m.Epoch-1, m.Index); err != nil {
			return nil, info, err
		}
	}
	s.negotiating = false
	info.Secret, info.Phase = es, s.b.phase
	return key, info, nil
}

// String describes the state without secrets.
func (s *State) String() string {
	return fmt.Sprintf("pqr.State{epoch %d, %v, chain epoch %d}", s.b.epoch, s.b.phase, s.ChainEpoch())
}
