package spqr

import (
	"encoding/binary"
	"slices"
)

// Chain limits (SPQR's ChainParams defaults, the same as libsignal's
// MAX_FORWARD_JUMPS and MAX_MESSAGE_KEYS).
const (
	// DefaultMaxJump bounds how far ahead of the receiving counter a message
	// index may be.
	DefaultMaxJump = 25000
	// DefaultMaxOutOfOrderKeys is how many skipped keys per epoch and
	// direction are kept for late messages.
	DefaultMaxOutOfOrderKeys = 2000
	// epochsKeptBeforeSend is how many epochs older than the sending epoch
	// keep their receiving keys.
	epochsKeptBeforeSend = 1
	// keyHistoryEntry is the size of a stored skipped key: be32 index || key.
	keyHistoryEntry = 4 + 32
	// preallocKeys bounds the room a step reserves for new skipped keys.
	preallocKeys = DefaultMaxOutOfOrderKeys
)

// ChainParams tunes the chain. Zero values mean the defaults; they are
// stored as zero, as SPQR does.
type ChainParams struct {
	MaxJump           uint32
	MaxOutOfOrderKeys uint32
}

func (p ChainParams) maxJump() uint32 {
	if p.MaxJump == 0 {
		return DefaultMaxJump
	}
	return p.MaxJump
}

func (p ChainParams) maxOOO() uint32 {
	if p.MaxOutOfOrderKeys == 0 {
		return DefaultMaxOutOfOrderKeys
	}
	return p.MaxOutOfOrderKeys
}

// stored returns the params as SPQR stores them (defaults as zero).
func (p ChainParams) stored() ChainParams {
	if p.MaxJump == DefaultMaxJump {
		p.MaxJump = 0
	}
	if p.MaxOutOfOrderKeys == DefaultMaxOutOfOrderKeys {
		p.MaxOutOfOrderKeys = 0
	}
	return p
}

// trimSize is the history length (in keys) that triggers trimming.
func (p ChainParams) trimSize() int { return int(p.maxOOO())*11/10 + 1 }

// chainDir is one direction of one epoch: a counter, the next chain key and
// the skipped keys (a flat list of be32 index || 32-byte key).
//
// The byte slices are shared between the States of a conversation (see
// newStep): a step replaces them and never writes into them.
type chainDir struct {
	ctr  uint32
	next []byte // 32 bytes, or empty once the epoch can no longer send
	prev []byte
}

type chainEpoch struct{ send, recv chainDir }

// chain derives the per-message keys of both directions for every epoch.
type chain struct {
	dir          Direction
	currentEpoch uint64
	sendEpoch    uint64
	links        []chainEpoch // epochs currentEpoch-len(links)+1 … currentEpoch
	nextRoot     []byte
	params       ChainParams // as stored
}

// halves picks this side's send and receive keys from a 96-byte KDF output
// root || A2B || B2A.
func halves(out []byte, dir Direction) chainEpoch {
	a2b, b2a := out[32:64], out[64:96]
	if dir == A2B {
		return chainEpoch{send: chainDir{next: a2b}, recv: chainDir{next: b2a}}
	}
	return chainEpoch{send: chainDir{next: b2a}, recv: chainDir{next: a2b}}
}

// newChain starts the chain from the PQXDH SPQR auth key:
// HKDF(salt 0^32, authKey, "…Chain  Start", 96) = next root | A2B | B2A.
func newChain(authKey []byte, dir Direction, params ChainParams) *chain {
	out := kdf(nil, authKey, labelChainStart, 96)
	return &chain{
		dir:      dir,
		links:    []chainEpoch{halves(out, dir)},
		nextRoot: out[:32],
		params:   params.stored(),
	}
}

// addEpoch mixes the secret of epoch currentEpoch+1 into the chain:
// HKDF(salt = next root, secret, "…Chain Add Epoch", 96).
func (c *chain) addEpoch(epoch uint64, secret []byte) error {
	if epoch != c.currentEpoch+1 {
		return epochError(epoch)
	}
	out := kdf(c.nextRoot, secret, labelChainAddEpoch, 96)
	c.currentEpoch = epoch
	c.nextRoot = out[:32]
	c.links = append(c.links, halves(out, c.dir))
	return nil
}

func (c *chain) epochIndex(epoch uint64) (int, error) {
	if epoch > c.currentEpoch {
		return 0, epochError(epoch)
	}
	back := c.currentEpoch - epoch
	if back >= uint64(len(c.links)) {
		return 0, epochError(epoch)
	}
	return len(c.links) - 1 - int(back), nil
}

// stepKey advances a chain key: HKDF(salt 0^32, next, be32(ctr) ||
// "…Chain Next", 64) = next | key, after incrementing ctr.
func (d *chainDir) stepKey() (uint32, []byte, error) {
	if len(d.next) != 32 || d.ctr == ^uint32(0) {
		return 0, nil, ErrChainNotAvailable
	}
	d.ctr++
	var ctr [4]byte
	binary.BigEndian.PutUint32(ctr[:], d.ctr)
	out := kdfWith(nil, d.next, ctr[:], labelChainNext, 64)
	d.next = out[:32]
	return d.ctr, out[32:], nil
}

// sendKey returns the next sending index and key in epoch. Moving to a newer
// epoch drops all but one older epoch and forgets the older sending keys.
func (c *chain) sendKey(epoch uint64) (uint32, []byte, error) {
	if epoch < c.sendEpoch {
		return 0, nil, ErrSendEpochDecreased
	}
	i, err := c.epochIndex(epoch)
	if err != nil {
		return 0, nil, err
	}
	if c.sendEpoch != epoch {
		c.sendEpoch = epoch
		for i > epochsKeptBeforeSend {
			c.links = c.links[1:]
			i--
		}
		for j := range i {
			c.links[j].send.next = nil
		}
	}
	return c.links[i].send.stepKey()
}

// recvKey returns the key for message index in epoch.
func (c *chain) recvKey(epoch uint64, index uint32) ([]byte, error) {
	k, _, err := c.recvKeyWithin(epoch, index, ^uint32(0))
	return k, err
}

// recvKeyWithin is recvKey taking at most maxSteps chain steps; it returns
// the number of steps taken.
func (c *chain) recvKeyWithin(epoch uint64, index, maxSteps uint32) ([]byte, uint32, error) {
	i, err := c.epochIndex(epoch)
	if err != nil {
		return nil, 0, err
	}
	return c.links[i].recv.key(epoch, index, c.params, maxSteps)
}

func (d *chainDir) key(epoch uint64, at uint32, p ChainParams, maxSteps uint32) ([]byte, uint32, error) {
	maxOOO := uint64(p.maxOOO())
	switch {
	case at > d.ctr:
		if limit := min(p.maxJump(), maxSteps); at-d.ctr > limit {
			return nil, 0, &KeyError{Err: ErrKeyJump, Epoch: epoch, Index: at, Current: d.ctr, Limit: limit}
		}
	case at < d.ctr:
		k, err := d.takeOld(epoch, at, p)
		return k, 0, err
	default:
		return nil, 0, &KeyError{Err: ErrKeyAlreadyRequested, Epoch: epoch, Index: at}
	}
	steps := at - d.ctr
	if uint64(at) > uint64(d.ctr)+maxOOO {
		// Every key we hold is about to become too old.
		d.prev = nil
	}
	owned := false
	if at > d.ctr+1 {
		// The skipped keys go to a new list: d.prev may be shared. Room
		// for those that will be kept (a stored state's limits are not
		// trusted for the size: appends grow it past that).
		keep := min(uint64(steps-1), maxOOO, preallocKeys)
		prev := make([]byte, len(d.prev), uint64(len(d.prev))+keep*keyHistoryEntry)
		copy(prev, d.prev)
		d.prev, owned = prev, true
	}
	for at > d.ctr+1 {
		idx, k, err := d.stepKey()
		if err != nil {
			return nil, 0, err
		}
		if uint64(idx)+maxOOO >= uint64(at) {
			d.prev = append(binary.BigEndian.AppendUint32(d.prev, idx), k...)
		}
	}
	d.trim(p, owned)
	_, k, err := d.stepKey()
	return k, steps, err
}

// takeOld returns and forgets a skipped key. The list without it is a new
// one: d.prev may be shared.
func (d *chainDir) takeOld(epoch uint64, at uint32, p ChainParams) ([]byte, error) {
	if uint64(at)+uint64(p.maxOOO()) < uint64(d.ctr) {
		return nil, &KeyError{Err: ErrKeyTrimmed, Epoch: epoch, Index: at, Limit: p.maxOOO()}
	}
	for i := 0; i+keyHistoryEntry <= len(d.prev); i += keyHistoryEntry {
		if binary.BigEndian.Uint32(d.prev[i:]) == at {
			k := append([]byte{}, d.prev[i+4:i+keyHistoryEntry]...)
			d.prev = slices.Clone(d.prev)
			d.removeAt(i)
			return k, nil
		}
	}
	return nil, &KeyError{Err: ErrKeyAlreadyRequested, Epoch: epoch, Index: at}
}

// removeAt drops the entry at byte offset i of d.prev, which must not be
// shared, by moving the last entry into its place (SPQR's order, so stored
// histories stay byte-identical).
func (d *chainDir) removeAt(i int) {
	last := len(d.prev) - keyHistoryEntry
	if i < last {
		copy(d.prev[i:], d.prev[last:])
	}
	d.prev = d.prev[:last]
}

// trim drops keys older than ctr - maxOOO once the history has grown past
// trimSize keys. owned says whether d.prev is this step's own list; if not,
// trim copies it before removing anything.
func (d *chainDir) trim(p ChainParams, owned bool) {
	if len(d.prev) < p.trimSize()*keyHistoryEntry {
		return
	}
	if d.ctr < p.maxOOO() {
		return
	}
	horizon := d.ctr - p.maxOOO()
	for i := 0; i+keyHistoryEntry <= len(d.prev); {
		if binary.BigEndian.Uint32(d.prev[i:]) < horizon {
			if !owned {
				d.prev, owned = slices.Clone(d.prev), true
			}
			d.removeAt(i)
		} else {
			i += keyHistoryEntry
		}
	}
}
