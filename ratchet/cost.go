package ratchet

import (
	"math"
	"slices"
)

// Cost is what Decrypt of a message would do before its MAC check, read
// from the state without any cryptography. A session layer that tries one
// message against several states uses it to spend one work budget across
// them all, and to tell a replay from a forgery without deriving keys.
type Cost struct {
	// ChainSteps is the number of chain-key steps Decrypt would take (the
	// skipped ones and the message's own); 0 when the key is a stored
	// skipped key or the message is refused before any step.
	ChainSteps uint32
	// Work is ChainSteps plus the message-key seeds Decrypt would derive
	// (the message's own and each skipped key it keeps, at most
	// MaxSkippedKeysPerChain): the number of HMAC-SHA256 computations
	// before the MAC check, each about as costly as the others.
	Work uint32
	// NewChain reports that the ratchet key is new to the state: Decrypt
	// would first run a DH ratchet step (two X25519 and a key generation).
	NewChain bool
	// Duplicate reports that Decrypt would refuse the message with an
	// error matching ErrDuplicateMessage: its key was used already, or
	// dropped (ErrSkippedKeyDropped), without any cryptography.
	Duplicate bool
}

// Cost returns what Decrypt of a message with header h would cost. It
// changes nothing and does no cryptography.
func (s *State) Cost(h Header) Cost {
	ci := s.findRecv(h.RatchetKey)
	if ci < 0 {
		if slices.Contains(s.dropped, h.RatchetKey) || !s.hasSend || h.Counter == math.MaxUint32 || h.Counter > s.maxJump {
			return Cost{}
		}
		return Cost{ChainSteps: h.Counter + 1, Work: work(h.Counter), NewChain: true}
	}
	c := &s.recv[ci]
	if h.Counter < c.n {
		_, found := c.find(h.Counter)
		return Cost{Duplicate: !found}
	}
	if h.Counter == math.MaxUint32 || h.Counter-c.n > s.maxJump {
		return Cost{}
	}
	return Cost{ChainSteps: h.Counter - c.n + 1, Work: work(h.Counter - c.n)}
}

// work is the HMAC count of a jump over jump skipped messages: jump+1 chain
// steps, and a seed for the message and for each skipped key kept.
func work(jump uint32) uint32 {
	return jump + 1 + min(jump, MaxSkippedKeysPerChain) + 1
}
