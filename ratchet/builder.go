package ratchet

import (
	"cmp"
	"slices"

	"github.com/forwardsecret/signal/curve"
)

// A Builder assembles a State from stored content, for record decoders.
// Unlike FromSnapshot, which copies a Snapshot's keys, it takes the skipped
// keys one at a time into storage that the new State keeps, sized once from
// the count given to AddReceiver, so decoding a record copies each key
// once. Build checks exactly the invariants FromSnapshot checks
// (FromSnapshot is a Builder fed from the Snapshot).
//
// Use: NewBuilder; SetSender at most once; for each receiving chain,
// oldest first, AddReceiver followed by that chain's skipped keys
// (AddSkippedSeed, AddSkippedKeys) in any order; AddDropped for each
// dropped ratchet key, oldest first; then Build. Keys given newest first
// (libsignal's record order) are stored as they come; oldest first costs
// one reversal, any other order a sort. The first error sticks: every
// later call returns it and Build returns it too. A Builder is for one
// State; do not use it after Build.
type Builder struct {
	s   *State
	err error
	cur *recvChain // receiving chain taking skipped keys; nil if none
	// free is the number of unfilled entries at the front of
	// cur.skipped: keys are written from the back, so that keys that
	// come newest first end up in ascending order.
	free int
}

// errBuilt is the error of a Builder after Build (made once: Build runs
// for every record decoded).
var errBuilt = invalid("Builder used after Build")

// NewBuilder starts a State with the given root key and previous counter.
func NewBuilder(rootKey [KeySize]byte, previousCounter uint32) *Builder {
	s := newState()
	s.root, s.prev = rootKey, previousCounter
	return &Builder{s: s}
}

// SetSender sets the sending chain: our ratchet key pair (whose halves
// must match; the public half may be zero, then it is taken from the
// private key) and the sending chain key.
func (b *Builder) SetSender(kp curve.KeyPair, ck ChainKey) error {
	if b.err != nil {
		return b.err
	}
	kp, err := checkPair(kp)
	if err != nil {
		b.err = invalid("sending chain: %v", err)
		return b.err
	}
	s := b.s
	s.hasSend, s.send = true, kp
	s.sendCK, s.sendN = ck.Key, ck.Index
	return nil
}

// AddReceiver adds a receiving chain (newer than those added before) with
// the peer's ratchet key, the chain key and the skipped floor (see
// ReceiverChain.SkippedFloor); skipped is the number of skipped keys that
// will follow, at most MaxSkippedKeysPerChain.
func (b *Builder) AddReceiver(ratchetKey curve.PublicKey, ck ChainKey, skippedFloor uint32, skipped int) error {
	if err := b.finishChain(); err != nil {
		return err
	}
	s := b.s
	i := len(s.recv)
	switch {
	case i == MaxReceiverChains:
		b.err = invalid("more than MaxReceiverChains (%d) receiving chains", MaxReceiverChains)
	case ratchetKey.IsZero():
		b.err = invalid("receiving chain %d without ratchet key", i)
	case s.findRecv(ratchetKey) >= 0:
		b.err = invalid("receiving chain %d repeats a ratchet key", i)
	case skipped > MaxSkippedKeysPerChain:
		b.err = invalid("receiving chain %d stores %d skipped keys, more than MaxSkippedKeysPerChain (%d)", i, skipped, MaxSkippedKeysPerChain)
	case skippedFloor > ck.Index:
		b.err = invalid("receiving chain %d: skipped floor %d above chain index %d", i, skippedFloor, ck.Index)
	}
	if b.err != nil {
		return b.err
	}
	c := recvChain{pub: ratchetKey, ck: ck.Key, n: ck.Index, floor: skippedFloor}
	if skipped > 0 {
		c.skipped = make([]skippedKey, skipped)
	}
	b.free = skipped
	if s.recv == nil {
		s.recv = make([]recvChain, 0, MaxReceiverChains)
	}
	s.recv = append(s.recv, c)
	b.cur = &s.recv[i]
	return nil
}

// AddSkippedSeed adds the stored seed of skipped message index to the
// receiving chain added last.
func (b *Builder) AddSkippedSeed(index uint32, seed *[KeySize]byte) error {
	c := b.cur
	if b.free == 0 || b.err != nil || c == nil {
		if err := b.makeRoom(index); err != nil {
			return err
		}
		c = b.cur
	}
	b.free--
	c.skipped[b.free] = skippedKey{n: index, seed: *seed}
	return nil
}

// AddSkippedKeys adds the stored whole keys of skipped message index (as
// older libsignal versions wrote them) to the receiving chain added last.
func (b *Builder) AddSkippedKeys(index uint32, keys *MessageKeys) error {
	if b.free == 0 || b.err != nil || b.cur == nil {
		if err := b.makeRoom(index); err != nil {
			return err
		}
	}
	c := b.cur
	b.free--
	c.skipped[b.free] = skippedKey{n: index}
	c.legacy = append(c.legacy, legacyKey{n: index, keys: *keys})
	return nil
}

// makeRoom makes room for one more skipped key (of index n) on the chain
// added last, when AddReceiver was told fewer keys than come, or records
// why there is none.
func (b *Builder) makeRoom(n uint32) error {
	c := b.cur
	switch {
	case b.err != nil:
		return b.err
	case c == nil:
		b.err = invalid("skipped key %d without a receiving chain", n)
		return b.err
	case b.free > 0:
		return nil
	case len(c.skipped) >= MaxSkippedKeysPerChain:
		b.err = invalid("receiving chain %d stores more than MaxSkippedKeysPerChain (%d) skipped keys", len(b.s.recv)-1, MaxSkippedKeysPerChain)
		return b.err
	}
	// Grow, keeping the filled entries at the back.
	have := len(c.skipped)
	m := min(max(2*have, 16), MaxSkippedKeysPerChain)
	grown := make([]skippedKey, m)
	copy(grown[m-have:], c.skipped)
	clear(c.skipped)
	c.skipped, b.free = grown, m-have
	return nil
}

// finishChain puts the skipped keys of the chain added last in ascending
// order and checks them.
func (b *Builder) finishChain() error {
	if b.err != nil {
		return b.err
	}
	c := b.cur
	b.cur = nil
	if c == nil {
		return nil
	}
	// Drop the unfilled front (none when AddReceiver's count was right).
	sk := c.skipped[b.free:]
	if b.free > len(sk) { // do not keep mostly unused storage
		old := c.skipped
		sk = slices.Clone(sk)
		clear(old)
	}
	c.skipped, b.free = sk, 0
	if len(sk) == 0 {
		c.skipped = nil
		return nil
	}
	i := len(b.s.recv) - 1
	asc, desc := true, true
	for j := 1; j < len(sk) && (asc || desc); j++ {
		p, n := sk[j-1].n, sk[j].n
		asc = asc && p < n
		desc = desc && p > n
	}
	switch {
	case asc:
	case desc:
		slices.Reverse(sk)
	default:
		slices.SortFunc(sk, func(a, b skippedKey) int { return cmp.Compare(a.n, b.n) })
		for j := 1; j < len(sk); j++ {
			if sk[j].n == sk[j-1].n {
				b.err = invalid("receiving chain %d: skipped index %d repeated", i, sk[j].n)
				return b.err
			}
		}
	}
	// Ascending and without repeats: the extremes bound every index.
	if last := sk[len(sk)-1].n; last >= c.n {
		b.err = invalid("receiving chain %d: skipped index %d not below chain index %d", i, last, c.n)
		return b.err
	}
	if first := sk[0].n; first < c.floor {
		b.err = invalid("receiving chain %d: skipped index %d below floor %d", i, first, c.floor)
		return b.err
	}
	if c.floor == 0 && len(sk) == MaxSkippedKeysPerChain {
		c.floor = sk[0].n
	}
	if !slices.IsSortedFunc(c.legacy, func(a, b legacyKey) int { return cmp.Compare(a.n, b.n) }) {
		slices.SortFunc(c.legacy, func(a, b legacyKey) int { return cmp.Compare(a.n, b.n) }) // (usually just reversed)
	}
	return nil
}

// AddDropped adds the ratchet key of a receiving chain dropped under
// MaxReceiverChains (see Snapshot.DroppedRatchetKeys); call it after the
// last AddReceiver.
func (b *Builder) AddDropped(ratchetKey curve.PublicKey) error {
	if err := b.finishChain(); err != nil {
		return err
	}
	s := b.s
	i := len(s.dropped)
	switch {
	case i == MaxReceiverChains:
		b.err = invalid("more than MaxReceiverChains (%d) dropped ratchet keys", MaxReceiverChains)
	case ratchetKey.IsZero() || s.findRecv(ratchetKey) >= 0:
		b.err = invalid("dropped ratchet key %d is zero or belongs to a live chain", i)
	default:
		s.dropped = append(s.dropped, ratchetKey)
	}
	return b.err
}

// Build returns the State, or the first error (wrapping ErrInvalidState).
func (b *Builder) Build() (*State, error) {
	if err := b.finishChain(); err != nil {
		return nil, err
	}
	s := b.s
	b.s, b.err = nil, errBuilt
	return s, nil
}
