package ratchet

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/forwardsecret/signal/curve"
)

// Stored skipped keys are kept in one pointer-free array per receiving
// chain ([]skippedKey: index and seed), so that the garbage collector never
// scans the up to MaxSkippedKeysPerChain entries and copies are plain
// memory moves. The rare whole keys of records written by older libsignal
// versions live in a side table (recvChain.legacy), one entry per stored
// index that has them; the entry in skipped keeps the index (and a zero
// seed), so bounds, order and lookups work on skipped alone.

// legacyKey is the whole stored key of skipped entry n.
type legacyKey struct {
	n    uint32
	keys MessageKeys
}

func cmpLegacy(l legacyKey, n uint32) int { return cmp.Compare(l.n, n) }

// legacyKeys returns the whole keys stored for index n, or nil if the entry
// has a seed.
func (c *recvChain) legacyKeys(n uint32) *MessageKeys {
	if len(c.legacy) == 0 {
		return nil
	}
	i, ok := slices.BinarySearchFunc(c.legacy, n, cmpLegacy)
	if !ok {
		return nil
	}
	return &c.legacy[i].keys
}

// deleteLegacy removes the whole keys of index n, if any.
func (c *recvChain) deleteLegacy(n uint32) {
	if len(c.legacy) == 0 {
		return
	}
	if i, ok := slices.BinarySearchFunc(c.legacy, n, cmpLegacy); ok {
		c.legacy[i].keys = MessageKeys{}
		c.legacy = slices.Delete(c.legacy, i, i+1)
	}
}

// trimLegacy removes the whole keys of every index below n.
func (c *recvChain) trimLegacy(n uint32) {
	if len(c.legacy) == 0 {
		return
	}
	i, _ := slices.BinarySearchFunc(c.legacy, n, cmpLegacy)
	clear(c.legacy[:i])
	c.legacy = slices.Delete(c.legacy, 0, i)
}

// A View is a read-only look at a State's content for encoders: the fields
// of a Snapshot, except that each receiving chain's stored skipped keys are
// read in place through a SkippedView instead of being copied. A View is
// valid only until the State next changes; it must not be kept longer.
// Like a Snapshot it gives access to secrets; its String and Format print
// none.
type View struct {
	// RootKey is the current root key.
	RootKey [KeySize]byte
	// PreviousCounter is the value sent in the previous-counter field.
	PreviousCounter uint32
	// Sender is the sending chain; nil if the state has none.
	Sender *SenderChain
	// Receivers are the receiving chains, oldest first, as in
	// Snapshot.Receivers.
	Receivers []ReceiverView
}

// ReceiverView is one receiving chain of a View.
type ReceiverView struct {
	// RatchetKey is the peer's ratchet public key of this chain.
	RatchetKey curve.PublicKey
	// ChainKey is the chain's next key.
	ChainKey ChainKey
	// SkippedFloor is as in ReceiverChain.
	SkippedFloor uint32
	// Skipped reads the chain's stored skipped keys, lowest index first.
	Skipped SkippedView
}

// SkippedView reads one receiving chain's stored skipped keys in place,
// lowest index first (j = 0 is the oldest; libsignal's records list them
// newest first). The zero SkippedView is empty.
type SkippedView struct {
	keys   []skippedKey
	legacy []legacyKey
}

// View returns a View of the state's content (see View for how long it
// stays valid).
func (s *State) View() View {
	v := View{RootKey: s.root, PreviousCounter: s.prev}
	if s.hasSend {
		v.Sender = &SenderChain{RatchetKey: s.send, ChainKey: ChainKey{Index: s.sendN, Key: s.sendCK}}
	}
	if len(s.recv) > 0 {
		v.Receivers = make([]ReceiverView, len(s.recv))
		for i := range s.recv {
			c := &s.recv[i]
			v.Receivers[i] = ReceiverView{
				RatchetKey:   c.pub,
				ChainKey:     ChainKey{Index: c.n, Key: c.ck},
				SkippedFloor: c.floor,
				Skipped:      SkippedView{keys: c.skipped, legacy: c.legacy},
			}
		}
	}
	return v
}

// Len returns the number of stored skipped keys.
func (v SkippedView) Len() int { return len(v.keys) }

// Index returns the message index of stored key j.
func (v SkippedView) Index(j int) uint32 { return v.keys[j].n }

// Seed returns the seed of stored key j (zero if HasKeys(j)).
func (v SkippedView) Seed(j int) [KeySize]byte { return v.keys[j].seed }

// HasLegacy reports whether any stored key holds whole keys rather than a
// seed, so that encoders can skip the per-key lookup of Keys.
func (v SkippedView) HasLegacy() bool { return len(v.legacy) > 0 }

// Keys returns the whole keys stored for key j by an older libsignal
// record, and whether there are any; when there are none, key j is its
// seed.
func (v SkippedView) Keys(j int) (MessageKeys, bool) {
	if len(v.legacy) == 0 {
		return MessageKeys{}, false
	}
	c := recvChain{legacy: v.legacy}
	if k := c.legacyKeys(v.keys[j].n); k != nil {
		return *k, true
	}
	return MessageKeys{}, false
}

// String returns a summary that names no keys.
func (v View) String() string {
	return fmt.Sprintf("ratchet.View(REDACTED, sending chain %v, %d receiving chains)", v.Sender != nil, len(v.Receivers))
}

// Format prints String for every verb.
func (v View) Format(f fmt.State, _ rune) { fmt.Fprint(f, v.String()) }

// String returns a summary that names no keys.
func (v ReceiverView) String() string {
	return fmt.Sprintf("ratchet.ReceiverView(REDACTED, index %d, %d skipped keys)", v.ChainKey.Index, v.Skipped.Len())
}

// Format prints String for every verb.
func (v ReceiverView) Format(f fmt.State, _ rune) { fmt.Fprint(f, v.String()) }

// String returns a summary that names no keys.
func (v SkippedView) String() string {
	return fmt.Sprintf("ratchet.SkippedView(REDACTED, %d keys)", v.Len())
}

// Format prints String for every verb.
func (v SkippedView) Format(f fmt.State, _ rune) { fmt.Fprint(f, v.String()) }
