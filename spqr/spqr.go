// Package spqr implements SPQR, Signal's sparse post-quantum ratchet (the
// "ML-KEM Braid" with its symmetric chain), which libsignal runs beside the
// Double Ratchet in every current session: the "triple ratchet".
//
// Each side holds a State. For every outgoing Signal message, Send returns
// the SPQR message to carry in SignalMessage field 5 and a 32-byte key that
// salts the message-key HKDF; for every incoming message, Recv takes field 5
// and returns the same key. Over many messages the two States run ML-KEM-768
// key exchanges a 32-byte chunk at a time and mix each new shared secret
// into the chain, starting a new epoch.
//
// # Transactions
//
// A State is an immutable value: Send and Recv return a new State and leave
// the receiver untouched, so a caller can try a message on a state and keep
// the result only once the whole Signal message has authenticated
// (clone-then-commit comes for free). The new State shares with the
// receiver everything the message does not change, so a step costs what it
// changes, whatever the size of the state (its ML-KEM keys and ciphertexts,
// up to thousands of skipped keys).
//
// # Storage and versions
//
// MarshalBinary produces exactly what libsignal stores in its session
// record (SessionStructure field 15, protobuf PqRatchetState), and
// ParseState reads it back, so sessions can move between this package and
// libsignal. A State keeps its content decoded between the two; a stored
// state re-encodes byte for byte (less any field this package does not
// know, except inside a Braid that no step has changed since the parse:
// that one re-encodes exactly as stored). ParseStateOwned parses bytes
// that the caller hands over without copying them. An empty state is
// version V0 (SPQR disabled). NewState starts
// in version negotiation, as libsignal does: with MinVersion V1 (libsignal's
// setting for every new session since v0.92) a peer that answers without
// SPQR is refused with ErrMinimumVersion.
//
// The per-message key is SPQR's "message key"; the specification is "The
// ML-KEM Braid Protocol", https://signal.org/docs/specifications/mlkembraid/.
package spqr

import (
	"bytes"
	"slices"
)

// Direction says which way this side's sending chain runs: the session's
// initiator (Alice) is A2B, the responder (Bob) B2A.
type Direction uint8

// Directions, numbered as in SPQR's protobuf enum.
const (
	A2B Direction = 0 // Alice, the PQXDH initiator
	B2A Direction = 1 // Bob, the PQXDH responder
)

// Version is an SPQR protocol version.
type Version uint8

// Versions, numbered as in SPQR's protobuf enum and the message's first byte.
const (
	V0 Version = 0 // SPQR disabled: empty messages, no keys
	V1 Version = 1 // ML-KEM-768 Braid
)

// MaxVersion is the newest version this package speaks.
const MaxVersion = V1

// AuthKeySize is the size of the PQXDH-derived SPQR auth key.
const AuthKeySize = 32

// KeySize is the size of a per-message key.
const KeySize = 32

// Params configures a new State.
type Params struct {
	// Direction: A2B for the session initiator (Alice), B2A for the responder.
	Direction Direction
	// Version to offer; V0 makes an empty (disabled) state.
	Version Version
	// MinVersion is the lowest version the peer may negotiate us down to.
	MinVersion Version
	// AuthKey is the 32-byte SPQR auth key from PQXDH (okm[64:96]).
	AuthKey []byte
	// Chain limits; zero values mean the defaults.
	Chain ChainParams
}

// State is one side's SPQR state. The zero value is an empty V0 state.
// States are immutable; String does not reveal secrets.
//
// A State holds its content decoded: ParseState decodes once (and checks
// everything) and MarshalBinary encodes, and Send and Recv in between work
// on the decoded form. Two parts stay as stored until a step changes them:
// the Braid's erasure encoder and decoder (checked, and decoded into the
// step's own copy when a message advances them), and the whole Braid's
// encoding, which MarshalBinary writes as it is while the Braid is
// unchanged (as it is after most messages). Send and Recv never change what
// the receiver holds: they return a new State that shares with the
// receiver every part the message leaves as it is (the Braid's keys,
// ciphertexts and erasure-coded values, the skipped keys of the chain) and
// owns new copies of the parts it changes, so a step costs what it
// changes, not the size of the state.
type State struct {
	st *state // nil (V0) for NewState's V0, ParseState of empty bytes and the zero State
}

// String implements fmt.Stringer without revealing the state.
func (s State) String() string {
	if s.st == nil || s.st.braid == nil {
		return "spqr.State{V0}"
	}
	return "spqr.State{V1, redacted}"
}

// GoString implements fmt.GoStringer (%#v) without revealing the state.
func (s State) GoString() string { return s.String() }

// NewState returns the initial state of a session, as libsignal creates it
// after PQXDH.
func NewState(p Params) (*State, error) {
	if p.Version > MaxVersion || p.MinVersion > p.Version || p.Direction > B2A {
		return nil, ErrInvalidParams
	}
	if p.Version == V0 {
		return &State{}, nil
	}
	if len(p.AuthKey) != AuthKeySize {
		return nil, ErrInvalidParams
	}
	st := &state{
		vn: &negotiation{
			authKey:    append([]byte{}, p.AuthKey...),
			dir:        p.Direction,
			minVersion: p.MinVersion,
			params:     p.Chain.stored(),
			hasParams:  true,
		},
		braid: initBraid(p.AuthKey, p.Direction),
	}
	return &State{st: st}, nil
}

// NewInitialState is NewState with libsignal's settings for a new session:
// version V1, minimum version V1, default chain limits. isAlice selects the
// direction (true for the PQXDH initiator).
func NewInitialState(authKey []byte, isAlice bool) (*State, error) {
	dir := B2A
	if isAlice {
		dir = A2B
	}
	return NewState(Params{Direction: dir, Version: V1, MinVersion: V1, AuthKey: authKey})
}

// ParseState parses a stored state (libsignal's session record field 15).
// An empty input is a V0 state. The State does not keep b: it holds one copy
// of it. Errors wrap ErrStateDecode.
func ParseState(b []byte) (*State, error) {
	if len(b) == 0 {
		return new(State), nil
	}
	return parseState(bytes.Clone(b))
}

// ParseStateOwned is ParseState for bytes that the caller hands over: the
// State keeps b, and its byte fields alias it instead of a copy. Neither
// the caller nor anyone else may modify b afterwards (the State never
// does). It suits bytes that nothing else writes to, such as a buffer a
// database driver has just allocated, or an in-memory store's encoding that
// the store replaces rather than changes.
func ParseStateOwned(b []byte) (*State, error) {
	return parseState(b)
}

// MarshalBinary returns the stored form (empty for V0).
func (s *State) MarshalBinary() ([]byte, error) {
	return s.AppendBinary(nil)
}

// AppendBinary appends the stored form of MarshalBinary to b.
func (s *State) AppendBinary(b []byte) ([]byte, error) {
	if s.st == nil {
		return b, nil
	}
	n := s.st.encodedLen()
	b = slices.Grow(b, n)
	start := len(b)
	b = s.st.appendProto(b)
	if len(b)-start != n {
		panic("spqr: internal error: encoded size mismatch") // the size methods mirror the encoders; tests check every state kind
	}
	return b, nil
}

// EncodedLen returns the length of the stored form.
func (s *State) EncodedLen() int {
	if s.st == nil {
		return 0
	}
	return s.st.encodedLen()
}

// Version returns the state's current version and whether version
// negotiation is still open (it closes on the first received message).
func (s *State) Version() (v Version, negotiating bool) {
	if s.st == nil || s.st.braid == nil {
		return V0, false
	}
	return V1, s.st.vn != nil
}

// Epoch returns the Braid's current epoch (1 at the start; 0 for V0). Each
// completed ML-KEM exchange advances it by one.
func (s *State) Epoch() uint64 {
	if s.st == nil || s.st.braid == nil {
		return 0
	}
	return s.st.braid.epoch
}

// Send computes the next outgoing message. It returns the state to keep if
// the message is sent, the SPQR message for SignalMessage field 5 (empty in
// V0), and the 32-byte message key that salts the message-key HKDF (nil when
// there is none: V0, or V1 negotiating with minimum V0 before a chain
// exists). The receiver is not modified.
func (s *State) Send() (next *State, msg, key []byte, err error) {
	st := s.st
	if st == nil || st.braid == nil {
		return &State{}, nil, nil, nil
	}
	b, m, es, err := st.braid.send()
	if err != nil {
		return nil, nil, nil, err
	}
	n := newStep(st.chain)
	c := n.st.chain
	if c == nil {
		if st.vn == nil {
			return nil, nil, nil, ErrChainNotAvailable
		}
		if st.vn.minVersion > V0 {
			if c, err = st.vn.newChain(); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	if c != nil {
		if es != nil {
			if err := c.addEpoch(es.epoch, es.secret); err != nil {
				return nil, nil, nil, err
			}
		}
		if m.Index, key, err = c.sendKey(m.Epoch - 1); err != nil {
			return nil, nil, nil, err
		}
	}
	msg, _ = m.MarshalBinary()
	n.st.vn, n.st.chain, n.st.braid = st.vn, c, b
	return &n.s, msg, key, nil
}

// step is what Send and Recv allocate for the new State, in one piece: the
// State, its state, and a copy of the chain that the step may change.
type step struct {
	s     State
	st    state
	chain chain
	links [2]chainEpoch
}

// newStep returns a step whose state has a copy of c (none if c is nil):
// its own links, sharing the keys (see chainDir).
func newStep(c *chain) *step {
	n := new(step)
	n.s.st = &n.st
	if c != nil {
		n.chain = *c
		n.chain.links = append(n.links[:0], c.links...)
		n.st.chain = &n.chain
	}
	return n
}

// Recv processes the SPQR message from an incoming SignalMessage (field 5;
// empty when absent) and returns the state to keep once the whole message
// has authenticated, and the 32-byte message key (nil when the message
// carries none). The receiver is not modified.
//
// Version negotiation follows libsignal: a message of a higher or unknown
// version is ignored; one of a lower version downgrades a state that is
// still negotiating, unless that is below its minimum (ErrMinimumVersion),
// and fails otherwise (ErrVersionMismatch).
func (s *State) Recv(msg []byte) (next *State, key []byte, err error) {
	next, key, _, err = s.RecvWithin(msg, ^uint32(0))
	return next, key, err
}

// RecvWithin is Recv with a bound on its work: it refuses, with a *KeyError
// matching ErrKeyJump, a message whose key lies more than maxSteps chain
// steps ahead (whatever the chain's own MaxJump allows), before taking any
// step, and it returns the number of chain steps it took. A session that
// tries one message against several states spends one budget across them
// with it.
func (s *State) RecvWithin(msg []byte, maxSteps uint32) (next *State, key []byte, steps uint32, err error) {
	st := s.st
	if st == nil {
		st = &state{}
	}
	mv := V0
	if len(msg) > 0 {
		if msg[0] > byte(MaxVersion) {
			return s, nil, 0, nil // from the future: keep our version
		}
		mv = Version(msg[0])
	}
	if sv := st.version(); mv < sv {
		if st.vn == nil {
			return nil, nil, 0, ErrVersionMismatch
		}
		if mv < st.vn.minVersion {
			return nil, nil, 0, ErrMinimumVersion
		}
		// Downgrade (only V1 -> V0 exists): SPQR is off from here on.
		return &State{}, nil, 0, nil
	}
	if st.braid == nil {
		return &State{}, nil, 0, nil
	}
	var m Message
	if err := parseMessage(msg, &m); err != nil {
		return nil, nil, 0, err
	}
	b, es, err := st.braid.recv(&m)
	if err != nil {
		return nil, nil, 0, err
	}
	n := newStep(st.chain)
	c := n.st.chain
	if c == nil {
		if st.vn == nil {
			return nil, nil, 0, ErrChainNotAvailable
		}
		if c, err = st.vn.newChain(); err != nil {
			return nil, nil, 0, err
		}
	}
	if es != nil {
		if err := c.addEpoch(es.epoch, es.secret); err != nil {
			return nil, nil, 0, err
		}
	}
	if !(m.Epoch == 1 && m.Index == 0) {
		if key, steps, err = c.recvKeyWithin(m.Epoch-1, m.Index, maxSteps); err != nil {
			return nil, nil, 0, err
		}
	}
	// Receiving ends negotiation.
	n.st.chain, n.st.braid = c, b
	return &n.s, key, steps, nil
}

// state is the decoded PqRatchetState. A state and everything it points to
// are never changed once a State holds them (States share them): a step
// builds a new state from copies of the parts it changes.
type state struct {
	vn    *negotiation // field 1, while negotiating
	chain *chain       // field 2
	braid *braid       // field 3 (V1State); nil = V0
	// encLen caches the encoded length + 1 (0: not computed yet), read and
	// written atomically: a record encoder asks for it more than once. (A
	// plain int32, not an atomic.Int32: the fmt methods copy a state.)
	encLen int32
}

// negotiation is PqRatchetState.VersionNegotiation.
type negotiation struct {
	authKey    []byte
	dir        Direction
	minVersion Version
	params     ChainParams // stored form
	hasParams  bool
}

func (n *negotiation) newChain() (*chain, error) {
	if !n.hasParams {
		return nil, ErrChainNotAvailable
	}
	return newChain(n.authKey, n.dir, n.params), nil
}

func (st *state) version() Version {
	if st.braid == nil {
		return V0
	}
	return V1
}
