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
// (clone-then-commit comes for free).
//
// # Storage and versions
//
// MarshalBinary produces exactly what libsignal stores in its session
// record (SessionStructure field 15, protobuf PqRatchetState), and
// ParseState reads it back, so sessions can move between this package and
// libsignal. An empty state is version V0 (SPQR disabled). NewState starts
// in version negotiation, as libsignal does: with MinVersion V1 (libsignal's
// setting for every new session since v0.92) a peer that answers without
// SPQR is refused with ErrMinimumVersion.
//
// The per-message key is SPQR's "message key"; the specification is "The
// ML-KEM Braid Protocol", https://signal.org/docs/specifications/mlkembraid/.
package spqr

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
type State struct {
	raw []byte // the stored PqRatchetState encoding; empty for V0
}

// String implements fmt.Stringer without revealing the state.
func (s State) String() string {
	if len(s.raw) == 0 {
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
	return &State{raw: st.marshal(0)}, nil
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
// An empty input is a V0 state. Errors wrap ErrStateDecode.
func ParseState(b []byte) (*State, error) {
	if _, err := parseState(b); err != nil {
		return nil, err
	}
	return &State{raw: append([]byte(nil), b...)}, nil
}

// MarshalBinary returns the stored form (empty for V0).
func (s *State) MarshalBinary() ([]byte, error) {
	return append([]byte(nil), s.raw...), nil
}

// Version returns the state's current version and whether version
// negotiation is still open (it closes on the first received message).
func (s *State) Version() (v Version, negotiating bool) {
	st, err := parseState(s.raw)
	if err != nil || st.braid == nil {
		return V0, false
	}
	return V1, st.vn != nil
}

// Epoch returns the Braid's current epoch (1 at the start; 0 for V0). Each
// completed ML-KEM exchange advances it by one.
func (s *State) Epoch() uint64 {
	st, err := parseState(s.raw)
	if err != nil || st.braid == nil {
		return 0
	}
	return st.braid.epoch
}

// Send computes the next outgoing message. It returns the state to keep if
// the message is sent, the SPQR message for SignalMessage field 5 (empty in
// V0), and the 32-byte message key that salts the message-key HKDF (nil when
// there is none: V0, or V1 negotiating with minimum V0 before a chain
// exists). The receiver is not modified.
func (s *State) Send() (next *State, msg, key []byte, err error) {
	st, err := parseState(s.raw)
	if err != nil {
		return nil, nil, nil, err
	}
	if st.braid == nil {
		return &State{}, nil, nil, nil
	}
	m, es, err := st.braid.send()
	if err != nil {
		return nil, nil, nil, err
	}
	c := st.chain
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
	st.chain = c
	msg, _ = m.MarshalBinary()
	return &State{raw: st.marshal(len(s.raw))}, msg, key, nil
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
	st, err := parseState(s.raw)
	if err != nil {
		return nil, nil, 0, err
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
	m, err := ParseMessage(msg)
	if err != nil {
		return nil, nil, 0, err
	}
	es, err := st.braid.recv(m)
	if err != nil {
		return nil, nil, 0, err
	}
	c := st.chain
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
	st.chain, st.vn = c, nil // receiving ends negotiation
	return &State{raw: st.marshal(len(s.raw))}, key, steps, nil
}

// state is the decoded PqRatchetState.
type state struct {
	vn    *negotiation // field 1, while negotiating
	chain *chain       // field 2
	braid *braid       // field 3 (V1State); nil = V0
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

func (st *state) marshal(sizeHint int) []byte {
	b := make([]byte, 0, sizeHint+256)
	if st.vn != nil {
		b = appendMessage(b, 1, func(v []byte) []byte {
			v = appendBytesField(v, 1, st.vn.authKey)
			v = appendVarintField(v, 2, uint64(st.vn.dir))
			v = appendVarintField(v, 3, uint64(st.vn.minVersion))
			if st.vn.hasParams {
				v = appendMessage(v, 4, func(p []byte) []byte { return appendParams(p, st.vn.params) })
			}
			return v
		})
	}
	if st.chain != nil {
		b = appendMessage(b, 2, st.chain.appendProto)
	}
	if st.braid != nil {
		b = appendMessage(b, 3, st.braid.appendProto)
	}
	return b
}

func appendParams(b []byte, p ChainParams) []byte {
	b = appendVarintField(b, 1, uint64(p.MaxJump))
	return appendVarintField(b, 2, uint64(p.MaxOutOfOrderKeys))
}

func parseParams(buf []byte) (ChainParams, error) {
	var p ChainParams
	err := walk(buf, func(f pfield) error {
		var err error
		switch f.num {
		case 1:
			p.MaxJump, err = f.uint32()
		case 2:
			p.MaxOutOfOrderKeys, err = f.uint32()
		}
		return err
	})
	return p, err
}

func (c *chain) appendProto(b []byte) []byte {
	b = appendVarintField(b, 1, uint64(c.dir))
	b = appendVarintField(b, 2, c.currentEpoch)
	for _, l := range c.links {
		b = appendMessage(b, 3, func(e []byte) []byte {
			e = appendMessage(e, 1, l.send.appendProto)
			return appendMessage(e, 2, l.recv.appendProto)
		})
	}
	b = appendBytesField(b, 4, c.nextRoot)
	b = appendVarintField(b, 5, c.sendEpoch)
	return appendMessage(b, 6, func(p []byte) []byte { return appendParams(p, c.params) })
}

func (d *chainDir) appendProto(b []byte) []byte {
	b = appendVarintField(b, 1, uint64(d.ctr))
	b = appendBytesField(b, 2, d.next)
	return appendBytesField(b, 3, d.prev)
}

// maxStoredLinks bounds the epochs a stored chain may hold (SPQR keeps the
// sending epoch, one before it, and any newer ones: a handful).
const maxStoredLinks = 64

func parseChain(buf []byte) (*chain, error) {
	c := new(chain)
	var haveParams bool
	err := walk(buf, func(f pfield) error {
		var err error
		var v uint64
		var mb []byte
		switch f.num {
		case 1:
			if v, err = f.uint(); v > 1 {
				return ErrStateDecode
			}
			c.dir = Direction(v)
		case 2:
			c.currentEpoch, err = f.uint()
		case 3:
			if mb, err = f.sub(); err != nil {
				return err
			}
			if len(c.links) >= maxStoredLinks {
				return ErrStateDecode
			}
			var l chainEpoch
			var haveSend, haveRecv bool
			err = walk(mb, func(g pfield) error {
				var err error
				var db []byte
				switch g.num {
				case 1, 2:
					if db, err = g.sub(); err != nil {
						return err
					}
					d := &l.send
					if g.num == 2 {
						d, haveRecv = &l.recv, true
					} else {
						haveSend = true
					}
					*d, err = parseChainDir(db)
				}
				return err
			})
			if err == nil && (!haveSend || !haveRecv) {
				err = ErrStateDecode
			}
			c.links = append(c.links, l)
		case 4:
			c.nextRoot, err = f.bytes()
		case 5:
			c.sendEpoch, err = f.uint()
		case 6:
			if mb, err = f.sub(); err != nil {
				return err
			}
			haveParams = true
			c.params, err = parseParams(mb)
		}
		return err
	})
	if err != nil || !haveParams || len(c.links) == 0 || len(c.nextRoot) != 32 || c.sendEpoch > c.currentEpoch {
		return nil, ErrStateDecode
	}
	return c, nil
}

func parseChainDir(buf []byte) (chainDir, error) {
	var d chainDir
	err := walk(buf, func(f pfield) error {
		var err error
		switch f.num {
		case 1:
			d.ctr, err = f.uint32()
		case 2:
			d.next, err = f.bytes()
		case 3:
			d.prev, err = f.bytes()
		}
		return err
	})
	if err != nil || (len(d.next) != 0 && len(d.next) != 32) || len(d.prev)%keyHistoryEntry != 0 {
		return d, ErrStateDecode
	}
	return d, nil
}

// parseState decodes a stored PqRatchetState.
func parseState(b []byte) (*state, error) {
	st := new(state)
	if len(b) == 0 {
		return st, nil
	}
	err := walk(b, func(f pfield) error {
		mb, err := f.sub()
		if err != nil {
			if f.num >= 1 && f.num <= 3 {
				return err
			}
			return nil
		}
		switch f.num {
		case 1:
			n := new(negotiation)
			err = walk(mb, func(g pfield) error {
				var err error
				var v uint64
				switch g.num {
				case 1:
					n.authKey, err = g.bytes()
				case 2:
					if v, err = g.uint(); v > 1 {
						return ErrStateDecode
					}
					n.dir = Direction(v)
				case 3:
					if v, err = g.uint(); v > uint64(MaxVersion) {
						return ErrStateDecode
					}
					n.minVersion = Version(v)
				case 4:
					var pb []byte
					if pb, err = g.sub(); err == nil {
						n.hasParams = true
						n.params, err = parseParams(pb)
					}
				}
				return err
			})
			st.vn = n
		case 2:
			st.chain, err = parseChain(mb)
		case 3:
			st.braid, err = parseBraid(mb)
		}
		return err
	})
	if err != nil {
		return nil, ErrStateDecode
	}
	return st, nil
}
