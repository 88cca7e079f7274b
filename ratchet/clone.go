package ratchet

import "slices"

// Clone returns a deep copy of s: the copy and s change independently. It
// copies the stored state directly, without the checks of FromSnapshot (s
// is valid already), so it costs a few memory copies:
// FromSnapshot(s.Snapshot()) gives the same state at many times the cost.
// The settings (SetMaxForwardJump, SetSuite) are copied too. The sending
// key pair's private key is shared, as FromSnapshot shares a Snapshot's:
// curve.PrivateKey values are never modified.
func (s *State) Clone() *State {
	c := &State{
		root:    s.root,
		hasSend: s.hasSend,
		send:    s.send,
		sendCK:  s.sendCK,
		sendN:   s.sendN,
		prev:    s.prev,
		maxJump: s.maxJump,
		k:       newKDF(),
	}
	c.SetSuite(s.suite)
	if len(s.recv) > 0 {
		c.recv = make([]recvChain, len(s.recv), MaxReceiverChains)
		for i := range s.recv {
			r := s.recv[i]
			r.skipped = slices.Clone(r.skipped)
			r.legacy = slices.Clone(r.legacy)
			c.recv[i] = r
		}
	}
	c.dropped = slices.Clone(s.dropped)
	return c
}
