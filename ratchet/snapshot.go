package ratchet

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/forwardsecret/signal/curve"
)

// A Snapshot is the content of a State as plain fields, in the shape of
// libsignal's SessionStructure (storage.proto: root_key, previous_counter,
// sender_chain, receiver_chains), so that the session layer can map it to
// and from libsignal's record layout. It holds secrets: its String and
// Format print no keys, but the fields themselves are the caller's to
// protect.
type Snapshot struct {
	// RootKey is the current root key.
	RootKey [KeySize]byte
	// PreviousCounter is the value sent in the previous-counter field.
	PreviousCounter uint32
	// Sender is the sending chain; nil if the state has none.
	Sender *SenderChain
	// Receivers are the receiving chains, oldest first. This is
	// libsignal's order: it appends a new chain and trims from the front.
	// At most MaxReceiverChains.
	Receivers []ReceiverChain
	// DroppedRatchetKeys are the ratchet keys of receiving chains dropped
	// under MaxReceiverChains, oldest first (at most MaxReceiverChains), so
	// that a message on one is refused with that bound named. libsignal's
	// record has no such field; leaving it empty only makes such messages
	// fail as unauthenticated instead.
	DroppedRatchetKeys []curve.PublicKey
}

// ChainKey is a chain key and the index of the next message key it yields
// (storage.proto Chain.ChainKey).
type ChainKey struct {
	Index uint32
	Key   [KeySize]byte
}

// SenderChain is the sending chain (storage.proto sender_chain): our current
// ratchet key pair and the sending chain key.
type SenderChain struct {
	RatchetKey curve.KeyPair
	ChainKey   ChainKey
}

// ReceiverChain is one receiving chain (storage.proto receiver_chains).
type ReceiverChain struct {
	// RatchetKey is the peer's ratchet public key of this chain.
	RatchetKey curve.PublicKey
	// ChainKey is the chain's next key.
	ChainKey ChainKey
	// Skipped holds the stored keys of skipped messages, lowest index
	// first, at most MaxSkippedKeysPerChain, each below ChainKey.Index.
	// libsignal writes them newest first: reverse when mapping. FromSnapshot
	// accepts any order.
	Skipped []SkippedKey
	// SkippedFloor is 1 + the highest index whose skipped key was dropped
	// under MaxSkippedKeysPerChain (0 if none), so that a message below it
	// is refused with that bound named. libsignal's record has no such
	// field: when it is 0 and the chain stores a full MaxSkippedKeysPerChain
	// keys, FromSnapshot takes the lowest stored index.
	SkippedFloor uint32
}

// SkippedKey is the stored key of a skipped message (storage.proto
// Chain.MessageKey). New states store the seed, from which the message keys
// are derived with the message's salt when it arrives; records written by
// older libsignal versions hold the keys themselves.
type SkippedKey struct {
	Index uint32
	Seed  [KeySize]byte
	// Keys, if not nil, are whole stored keys (cipher key, MAC key, IV) and
	// Seed is unused.
	Keys *MessageKeys
}

// String returns a summary that names no keys.
func (sn Snapshot) String() string {
	return fmt.Sprintf("ratchet.Snapshot(REDACTED, sending chain %v, %d receiving chains)", sn.Sender != nil, len(sn.Receivers))
}

// Format prints String for every verb.
func (sn Snapshot) Format(f fmt.State, _ rune) { fmt.Fprint(f, sn.String()) }

// String returns a redacted placeholder with the index.
func (c ChainKey) String() string {
	return fmt.Sprintf("ratchet.ChainKey(REDACTED, index %d)", c.Index)
}

// Format prints String for every verb.
func (c ChainKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// String returns a redacted placeholder with the index.
func (k SkippedKey) String() string {
	return fmt.Sprintf("ratchet.SkippedKey(REDACTED, index %d)", k.Index)
}

// Format prints String for every verb.
func (k SkippedKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// Snapshot returns a deep copy of the state's content.
func (s *State) Snapshot() *Snapshot {
	sn := &Snapshot{RootKey: s.root, PreviousCounter: s.prev}
	if s.hasSend {
		sn.Sender = &SenderChain{RatchetKey: s.send, ChainKey: ChainKey{Index: s.sendN, Key: s.sendCK}}
	}
	for i := range s.recv {
		c := &s.recv[i]
		rc := ReceiverChain{RatchetKey: c.pub, ChainKey: ChainKey{Index: c.n, Key: c.ck}, SkippedFloor: c.floor}
		if len(c.skipped) > 0 {
			rc.Skipped = make([]SkippedKey, len(c.skipped))
			for j, sk := range c.skipped {
				rc.Skipped[j] = SkippedKey{Index: sk.n, Seed: sk.seed}
			}
			for _, lk := range c.legacy {
				j, _ := slices.BinarySearchFunc(c.skipped, lk.n, func(sk skippedKey, n uint32) int { return cmp.Compare(sk.n, n) })
				keys := lk.keys
				rc.Skipped[j].Keys = &keys
			}
		}
		sn.Receivers = append(sn.Receivers, rc)
	}
	sn.DroppedRatchetKeys = slices.Clone(s.dropped)
	return sn
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidState}, args...)...)
}

// FromSnapshot returns the state with the content of sn, which it copies.
// It returns an error wrapping ErrInvalidState if sn breaks an invariant:
// more chains or skipped keys than the bounds allow, a zero or repeated
// ratchet key, a sending key pair whose halves differ, a skipped index
// repeated or not below its chain's index.
func FromSnapshot(sn *Snapshot) (*State, error) {
	b := NewBuilder(sn.RootKey, sn.PreviousCounter)
	if sc := sn.Sender; sc != nil {
		if err := b.SetSender(sc.RatchetKey, sc.ChainKey); err != nil {
			return nil, err
		}
	}
	if len(sn.Receivers) > MaxReceiverChains {
		return nil, invalid("%d receiving chains, more than MaxReceiverChains (%d)", len(sn.Receivers), MaxReceiverChains)
	}
	for i := range sn.Receivers {
		rc := &sn.Receivers[i]
		if err := b.AddReceiver(rc.RatchetKey, rc.ChainKey, rc.SkippedFloor, len(rc.Skipped)); err != nil {
			return nil, err
		}
		// Newest first: the Builder stores that order as it comes.
		for j := len(rc.Skipped) - 1; j >= 0; j-- {
			sk := &rc.Skipped[j]
			if sk.Keys != nil {
				b.AddSkippedKeys(sk.Index, sk.Keys)
			} else {
				b.AddSkippedSeed(sk.Index, &sk.Seed)
			}
		}
	}
	if len(sn.DroppedRatchetKeys) > MaxReceiverChains {
		return nil, invalid("%d dropped ratchet keys, more than MaxReceiverChains (%d)", len(sn.DroppedRatchetKeys), MaxReceiverChains)
	}
	for _, pub := range sn.DroppedRatchetKeys {
		if err := b.AddDropped(pub); err != nil {
			return nil, err
		}
	}
	return b.Build()
}
