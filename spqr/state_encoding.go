package spqr

import (
	"sync/atomic"

	"google.golang.org/protobuf/encoding/protowire"
)

// The stored form of a state (SPQR's PqRatchetState, libsignal's session
// record field 15) other than the Braid's (braid_encoding.go): the encoder,
// with the exact size of every message, and the parser.

// encodedLen is size, computed once.
func (st *state) encodedLen() int {
	if n := atomic.LoadInt32(&st.encLen); n > 0 {
		return int(n - 1)
	}
	n := st.size()
	atomic.StoreInt32(&st.encLen, int32(n+1))
	return n
}

// size returns the length of st's encoding.
func (st *state) size() int {
	n := 0
	if st.vn != nil {
		n += sizeMessage(1, st.vn.size())
	}
	if st.chain != nil {
		n += sizeMessage(2, st.chain.size())
	}
	if st.braid != nil {
		n += sizeMessage(3, st.braid.size())
	}
	return n
}

// appendProto appends the PqRatchetState encoding of st to b.
func (st *state) appendProto(b []byte) []byte {
	if st.vn != nil {
		b = st.vn.appendProto(appendLen(b, 1, st.vn.size()))
	}
	if st.chain != nil {
		b = st.chain.appendProto(appendLen(b, 2, st.chain.size()))
	}
	if st.braid != nil {
		b = st.braid.appendProto(appendLen(b, 3, st.braid.size()))
	}
	return b
}

func (n *negotiation) size() int {
	s := sizeBytesField(1, len(n.authKey)) + sizeVarintField(2, uint64(n.dir)) + sizeVarintField(3, uint64(n.minVersion))
	if n.hasParams {
		s += sizeMessage(4, paramsSize(n.params))
	}
	return s
}

func (n *negotiation) appendProto(b []byte) []byte {
	b = appendBytesField(b, 1, n.authKey)
	b = appendVarintField(b, 2, uint64(n.dir))
	b = appendVarintField(b, 3, uint64(n.minVersion))
	if n.hasParams {
		b = appendParams(appendLen(b, 4, paramsSize(n.params)), n.params)
	}
	return b
}

func paramsSize(p ChainParams) int {
	return sizeVarintField(1, uint64(p.MaxJump)) + sizeVarintField(2, uint64(p.MaxOutOfOrderKeys))
}

func appendParams(b []byte, p ChainParams) []byte {
	b = appendVarintField(b, 1, uint64(p.MaxJump))
	return appendVarintField(b, 2, uint64(p.MaxOutOfOrderKeys))
}

func parseParams(buf []byte) (ChainParams, error) {
	var p ChainParams
	r := fields{b: buf}
	var f pfield
	for r.next(&f) {
		var err error
		switch f.num {
		case 1:
			p.MaxJump, err = f.uint32()
		case 2:
			p.MaxOutOfOrderKeys, err = f.uint32()
		}
		if err != nil {
			return p, err
		}
	}
	return p, r.err()
}

func (c *chain) size() int {
	n := sizeVarintField(1, uint64(c.dir)) + sizeVarintField(2, c.currentEpoch)
	for i := range c.links {
		n += sizeMessage(3, c.links[i].size())
	}
	return n + sizeBytesField(4, len(c.nextRoot)) + sizeVarintField(5, c.sendEpoch) + sizeMessage(6, paramsSize(c.params))
}

func (c *chain) appendProto(b []byte) []byte {
	b = appendVarintField(b, 1, uint64(c.dir))
	b = appendVarintField(b, 2, c.currentEpoch)
	for i := range c.links {
		l := &c.links[i]
		b = l.appendProto(appendLen(b, 3, l.size()))
	}
	b = appendBytesField(b, 4, c.nextRoot)
	b = appendVarintField(b, 5, c.sendEpoch)
	return appendParams(appendLen(b, 6, paramsSize(c.params)), c.params)
}

func (e *chainEpoch) size() int {
	return sizeMessage(1, e.send.size()) + sizeMessage(2, e.recv.size())
}

func (e *chainEpoch) appendProto(b []byte) []byte {
	b = e.send.appendProto(appendLen(b, 1, e.send.size()))
	return e.recv.appendProto(appendLen(b, 2, e.recv.size()))
}

func (d *chainDir) size() int {
	return sizeVarintField(1, uint64(d.ctr)) + sizeBytesField(2, len(d.next)) + sizeBytesField(3, len(d.prev))
}

func (d *chainDir) appendProto(b []byte) []byte {
	b = appendVarintField(b, 1, uint64(d.ctr))
	b = appendBytesField(b, 2, d.next)
	return appendBytesField(b, 3, d.prev)
}

// maxStoredLinks bounds the epochs a stored chain may hold (SPQR keeps the
// sending epoch, one before it, and any newer ones: a handful).
const maxStoredLinks = 64

// parseChain parses a stored chain into c, with links appended to links
// (room the caller allocated with c).
func parseChain(buf []byte, c *chain, links []chainEpoch) error {
	*c = chain{links: links}
	var haveParams bool
	r := fields{b: buf}
	var f pfield
	for r.next(&f) {
		var err error
		var v uint64
		switch f.num {
		case 1:
			if v, err = f.uint(); v > 1 {
				return ErrStateDecode
			}
			c.dir = Direction(v)
		case 2:
			c.currentEpoch, err = f.uint()
		case 3:
			if f.typ != protowire.BytesType || len(c.links) >= maxStoredLinks {
				return ErrStateDecode
			}
			var l chainEpoch
			if err = parseChainEpoch(f.b, &l); err != nil {
				return err
			}
			c.links = append(c.links, l)
		case 4:
			c.nextRoot, err = f.bytes()
		case 5:
			c.sendEpoch, err = f.uint()
		case 6:
			if f.typ != protowire.BytesType {
				return ErrStateDecode
			}
			haveParams = true
			c.params, err = parseParams(f.b)
		}
		if err != nil {
			return ErrStateDecode
		}
	}
	if r.bad || !haveParams || len(c.links) == 0 || len(c.nextRoot) != 32 || c.sendEpoch > c.currentEpoch {
		return ErrStateDecode
	}
	return nil
}

// parseChainEpoch parses one stored epoch of a chain into l.
func parseChainEpoch(buf []byte, l *chainEpoch) error {
	var haveSend, haveRecv bool
	r := fields{b: buf}
	var f pfield
	for r.next(&f) {
		if f.num != 1 && f.num != 2 {
			continue
		}
		if f.typ != protowire.BytesType {
			return ErrStateDecode
		}
		d := &l.send
		if f.num == 2 {
			d, haveRecv = &l.recv, true
		} else {
			haveSend = true
		}
		if err := parseChainDir(f.b, d); err != nil {
			return err
		}
	}
	if r.bad || !haveSend || !haveRecv {
		return ErrStateDecode
	}
	return nil
}

// parseChainDir parses a stored chain direction into d.
func parseChainDir(buf []byte, d *chainDir) error {
	*d = chainDir{}
	r := fields{b: buf}
	var f pfield
	for r.next(&f) {
		var err error
		switch f.num {
		case 1:
			d.ctr, err = f.uint32()
		case 2:
			d.next, err = f.bytes()
		case 3:
			d.prev, err = f.bytes()
		}
		if err != nil {
			return err
		}
	}
	if r.bad || (len(d.next) != 0 && len(d.next) != 32) || len(d.prev)%keyHistoryEntry != 0 {
		return ErrStateDecode
	}
	return nil
}

// parsedState is what ParseState allocates, in one piece: the State and
// the parts it points to, with room for the usual number of chain epochs
// (the version negotiation, present only until the first message arrives,
// gets its own).
type parsedState struct {
	s     State
	st    state
	chain chain
	braid braid
	bst   storedBraid
	links [2]chainEpoch
}

// parseState decodes a stored PqRatchetState into a new State, whose byte
// fields alias b: the caller hands b over.
func parseState(b []byte) (*State, error) {
	if len(b) == 0 {
		return new(State), nil
	}
	p := new(parsedState)
	p.s.st = &p.st
	st := &p.st
	r := fields{b: b}
	var f pfield
	for r.next(&f) {
		if f.num < 1 || f.num > 3 {
			continue
		}
		if f.typ != protowire.BytesType {
			return nil, ErrStateDecode
		}
		var err error
		switch f.num {
		case 1:
			if st.vn == nil { // only while negotiating: not in the usual block
				st.vn = new(negotiation)
			}
			err = parseNegotiation(f.b, st.vn)
		case 2:
			err = parseChain(f.b, &p.chain, p.links[:0])
			st.chain = &p.chain
		case 3:
			err = parseBraid(f.b, &p.braid, &p.bst)
			st.braid = &p.braid
		}
		if err != nil {
			return nil, ErrStateDecode
		}
	}
	if r.bad {
		return nil, ErrStateDecode
	}
	return &p.s, nil
}

// parseNegotiation parses a stored VersionNegotiation into n.
func parseNegotiation(buf []byte, n *negotiation) error {
	*n = negotiation{}
	r := fields{b: buf}
	var f pfield
	for r.next(&f) {
		var err error
		var v uint64
		switch f.num {
		case 1:
			n.authKey, err = f.bytes()
		case 2:
			if v, err = f.uint(); v > 1 {
				return ErrStateDecode
			}
			n.dir = Direction(v)
		case 3:
			if v, err = f.uint(); v > uint64(MaxVersion) {
				return ErrStateDecode
			}
			n.minVersion = Version(v)
		case 4:
			if f.typ != protowire.BytesType {
				return ErrStateDecode
			}
			n.hasParams = true
			n.params, err = parseParams(f.b)
		}
		if err != nil {
			return err
		}
	}
	return r.err()
}
