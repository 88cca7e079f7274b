package pqr

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// The symmetric chain: per epoch a sending and a receiving key chain
// (PROTOCOL.md, "Chain").

// Chain limits: SPQR's defaults, libsignal's MAX_FORWARD_JUMPS and
// MAX_MESSAGE_KEYS.
const (
	MaxJump     = 25000
	MaxOOOKeys  = 2000
	trimSize    = MaxOOOKeys*11/10 + 1 // stored keys that trigger a trim
	keepEpochs  = 1                    // epochs kept before the send epoch
	chainLabel0 = "Signal PQ Ratchet V1 Chain  Start"
	chainLabelN = "Signal PQ Ratchet V1 Chain Next"
	chainLabelE = "Signal PQ Ratchet V1 Chain Add Epoch"
)

func hkdf32(salt, ikm []byte, info string, n int) []byte {
	if salt == nil {
		salt = make([]byte, 32)
	}
	k, err := hkdf.Key(sha256.New, ikm, salt, info, n)
	if err != nil {
		panic(err) // lengths are constants
	}
	return k
}

type dirChain struct {
	ctr  uint32
	next []byte // nil once the chain may no longer send
	prev map[uint32][]byte
}

func newDirChain(k []byte) *dirChain {
	return &dirChain{next: append([]byte(nil), k...), prev: map[uint32][]byte{}}
}

func (c *dirChain) clone() *dirChain {
	n := &dirChain{ctr: c.ctr, next: append([]byte(nil), c.next...), prev: make(map[uint32][]byte, len(c.prev))}
	if c.next == nil {
		n.next = nil
	}
	for k, v := range c.prev {
		n.prev[k] = v
	}
	return n
}

// step advances the chain: key ctr+1 and the next chain key.
func (c *dirChain) step() (uint32, []byte) {
	c.ctr++
	var info [4]byte
	binary.BigEndian.PutUint32(info[:], c.ctr)
	out := hkdf32(nil, c.next, string(info[:])+chainLabelN, 64)
	c.next = out[:32]
	return c.ctr, out[32:]
}

// KeyError is a per-message key failure.
type KeyError struct {
	Kind       string // "jump", "trimmed", "already_requested"
	Index, Ctr uint32
}

// Error names the kind, the index and the counter.
func (e *KeyError) Error() string {
	return fmt.Sprintf("pqr: key %s: index %d, counter %d", e.Kind, e.Index, e.Ctr)
}

func (c *dirChain) key(at uint32) ([]byte, error) {
	switch {
	case at > c.ctr:
		if at-c.ctr > MaxJump {
			return nil, &KeyError{"jump", at, c.ctr}
		}
	case at < c.ctr:
		if uint64(at)+MaxOOOKeys < uint64(c.ctr) {
			return nil, &KeyError{"trimmed", at, c.ctr}
		}
		k, ok := c.prev[at]
		if !ok {
			return nil, &KeyError{"already_requested", at, c.ctr}
		}
		delete(c.prev, at)
		return k, nil
	default:
		return nil, &KeyError{"already_requested", at, c.ctr}
	}
	if uint64(at) > uint64(c.ctr)+MaxOOOKeys {
		clear(c.prev)
	}
	for at > c.ctr+1 {
		i, k := c.step()
		if uint64(i)+MaxOOOKeys >= uint64(at) {
			c.prev[i] = k
		}
	}
	if len(c.prev) >= trimSize {
		horizon := c.ctr - MaxOOOKeys
		for i := range c.prev {
			if i < horizon {
				delete(c.prev, i)
			}
		}
	}
	_, k := c.step()
	return k, nil
}

type link struct{ send, recv *dirChain }

// chain holds the links of the epochs still needed.
type chain struct {
	alice     bool // direction A2B
	current   uint64
	sendEpoch uint64
	links     []link // links[len-1] is epoch current
	nextRoot  []byte
}

func (ch *chain) linkFrom(out []byte) link {
	a2b, b2a := newDirChain(out[32:64]), newDirChain(out[64:96])
	if ch.alice {
		return link{send: a2b, recv: b2a}
	}
	return link{send: b2a, recv: a2b}
}

func newChain(authKey []byte, alice bool) *chain {
	out := hkdf32(nil, authKey, chainLabel0, 96)
	ch := &chain{alice: alice, nextRoot: out[:32]}
	ch.links = []link{ch.linkFrom(out)}
	return ch
}

func (ch *chain) clone() *chain {
	n := *ch
	n.links = make([]link, len(ch.links))
	for i, l := range ch.links {
		n.links[i] = link{l.send.clone(), l.recv.clone()}
	}
	return &n
}

func (ch *chain) addEpoch(epoch uint64, secret []byte) error {
	if epoch != ch.current+1 {
		return fmt.Errorf("pqr: epoch secret %d on chain epoch %d", epoch, ch.current)
	}
	out := hkdf32(ch.nextRoot, secret, chainLabelE, 96)
	ch.current, ch.nextRoot = epoch, out[:32]
	ch.links = append(ch.links, ch.linkFrom(out))
	return nil
}

// ErrEpochOutOfRange: a key of an epoch the chain does not hold.
var ErrEpochOutOfRange = fmt.Errorf("pqr: epoch out of range")

func (ch *chain) index(epoch uint64) (int, error) {
	if epoch > ch.current {
		return 0, ErrEpochOutOfRange
	}
	back := ch.current - epoch
	if back >= uint64(len(ch.links)) {
		return 0, ErrEpochOutOfRange
	}
	return len(ch.links) - 1 - int(back), nil
}

func (ch *chain) sendKey(epoch uint64) (uint32, []byte, error) {
	if epoch < ch.sendEpoch {
		return 0, nil, fmt.Errorf("pqr: send epoch decreased")
	}
	i, err := ch.index(epoch)
	if err != nil {
		return 0, nil, err
	}
	if epoch != ch.sendEpoch {
		ch.sendEpoch = epoch
		for i > keepEpochs {
			ch.links = ch.links[1:]
			i--
		}
		for j := 0; j < i; j++ {
			ch.links[j].send.next = nil
		}
	}
	if ch.links[i].send.next == nil {
		return 0, nil, fmt.Errorf("pqr: sending chain erased")
	}
	idx, k := ch.links[i].send.step()
	return idx, k, nil
}

func (ch *chain) recvKey(epoch uint64, index uint32) ([]byte, error) {
	i, err := ch.index(epoch)
	if err != nil {
		return nil, err
	}
	return ch.links[i].recv.key(index)
}
