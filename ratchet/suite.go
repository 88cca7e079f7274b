package ratchet

import (
	"fmt"

	"github.com/forwardsecret/signal/curve"
)

// A Suite names the labels and conventions of a protocol that runs this
// package's Double Ratchet with other strings than Signal's: the same KDF
// chain (HKDF-SHA256 root step, HMAC-SHA256 chain step with constants 0x01
// and 0x02, an 80-byte HKDF message-key expansion into AES-256 key, MAC key
// and IV) under another protocol's info strings, such as XEP-0384's OMEMO 2
// ("OMEMO Root Chain", "OMEMO Message Key Material").
//
// The zero Suite is Signal's: a State made by NewAlice, NewBob,
// FromSnapshot or UnmarshalBinary uses it, byte for byte as before Suites
// existed. A Suite is not part of the encoded state: after
// UnmarshalBinary or FromSnapshot, call SetSuite again.
type Suite struct {
	// RootInfo is the HKDF info of the root step; "" means
	// "WhisperRatchet".
	RootInfo string
	// MessageKeysInfo is the HKDF info of the message-key expansion; ""
	// means "WhisperMessageKeys".
	MessageKeysInfo string
	// CountPreviousChain selects the Double Ratchet specification's
	// previous-counter field: the number of messages of the previous
	// sending chain. The default (false) is libsignal's: that number minus
	// one, never below 0. The receiver of this package does not read the
	// field either way; a receiver that follows the specification (such as
	// python-doubleratchet) uses it to derive the skipped keys of the old
	// chain, and with libsignal's value it misses the old chain's last key.
	CountPreviousChain bool
}

// kdfLabels returns the suite's two info strings as byte slices, Signal's
// own (shared, never modified) for the defaults.
func (su *Suite) kdfLabels() (root, mk []byte) {
	root, mk = infoRatchet, infoMessageKeys
	if su.RootInfo != "" {
		root = []byte(su.RootInfo)
	}
	if su.MessageKeysInfo != "" {
		mk = []byte(su.MessageKeysInfo)
	}
	return root, mk
}

// SetSuite makes s use su from now on. States start with the zero Suite
// (Signal's); a protocol with its own labels sets its Suite on every state
// it makes with FromSnapshot or UnmarshalBinary (Suite.NewAlice and
// Suite.NewBob set it themselves), before or after UnmarshalBinary. Like
// SetMaxForwardJump, the setting is not part of the encoded state; Clone
// copies it.
func (s *State) SetSuite(su Suite) {
	s.suite = su
	if s.k != nil { // a zero State gets its kdf from UnmarshalBinary
		s.k.rootInfo, s.k.mkInfo = su.kdfLabels()
	}
}

// Suite returns the state's Suite.
func (s *State) Suite() Suite { return s.suite }

// NewAlice is the package-level NewAlice under the suite: Alice's first
// root step already uses su.RootInfo. chainKey may be nil: Alice then has
// no receiving chain until Bob's first message arrives, as the Double
// Ratchet specification starts her (X3DH yields one shared secret SK, the
// root key, and no chain key).
func (su Suite) NewAlice(rootKey, chainKey []byte, theirRatchetKey curve.PublicKey, ourRatchetKey curve.KeyPair) (*State, error) {
	if err := checkKey("root key", rootKey); err != nil {
		return nil, err
	}
	if chainKey != nil {
		if err := checkKey("chain key", chainKey); err != nil {
			return nil, err
		}
	}
	if theirRatchetKey.IsZero() {
		return nil, fmt.Errorf("%w: no remote ratchet key", ErrInvalidKey)
	}
	kp, err := checkPair(ourRatchetKey)
	if err != nil {
		return nil, err
	}
	s := newState()
	s.SetSuite(su)
	copy(s.root[:], rootKey)
	if err := kp.Private.ECDHTo(&s.k.dh, theirRatchetKey); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	s.k.rootStep(&s.root, s.k.dh[:], &s.sendCK)
	clear(s.k.dh[:])
	s.hasSend, s.send = true, kp
	if chainKey != nil {
		c := recvChain{pub: theirRatchetKey}
		copy(c.ck[:], chainKey)
		s.recv = append(s.recv, c)
	}
	return s, nil
}

// NewBob is the package-level NewBob under the suite. In the Double Ratchet
// specification Bob has no sending chain before Alice's first message;
// a protocol that starts him that way (OMEMO 2) passes a chain key that no
// one else knows (fresh random bytes) and decrypts Alice's first message,
// whose new ratchet key replaces the sending chain, before it stores or
// uses the state.
func (su Suite) NewBob(rootKey, chainKey []byte, ourRatchetKey curve.KeyPair) (*State, error) {
	s, err := NewBob(rootKey, chainKey, ourRatchetKey)
	if err != nil {
		return nil, err
	}
	s.SetSuite(su)
	return s, nil
}
