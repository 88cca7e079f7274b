package ratchet

import (
	"crypto/rand"
	"fmt"
	"math"
	"slices"

	"github.com/forwardsecret/signal/curve"
)

// Bounds on what a state stores (libsignal's consts.rs values).
const (
	// MaxForwardJump is the largest number of messages a received counter
	// may lie ahead of its chain. Skipping further is refused before any
	// chain step is taken.
	MaxForwardJump = 25000
	// MaxSkippedKeysPerChain is the number of skipped message keys a
	// receiving chain stores; when more are skipped, the oldest are dropped.
	MaxSkippedKeysPerChain = 2000
	// MaxReceiverChains is the number of receiving chains a state keeps;
	// when a DH ratchet step adds one more, the oldest is dropped.
	MaxReceiverChains = 5
)

// Sizes of keys and tags.
const (
	// KeySize is the size of root keys, chain keys and message-key seeds.
	KeySize = 32
	// MessageKeysSize is the length of the message-key HKDF output: AES key
	// (32) || MAC key (32) || IV (16).
	MessageKeysSize = 80
	// MACSize is the length of a SignalMessage's truncated HMAC-SHA256 tag.
	MACSize = 8
)

// A MACKey is the 32-byte HMAC-SHA256 key that authenticates one message.
// It never prints: String and Format redact it.
type MACKey [32]byte

// String returns a redacted placeholder.
func (MACKey) String() string { return "ratchet.MACKey(REDACTED)" }

// Format prints String for every verb.
func (k MACKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// MessageKeys are the keys of one message, derived from its seed:
// HKDF-SHA256(salt, seed, "WhisperMessageKeys", 80). They never print.
type MessageKeys struct {
	Cipher [32]byte // AES-256 key
	MAC    MACKey   // HMAC-SHA256 key
	IV     [16]byte // AES-CBC IV
}

// String returns a redacted placeholder.
func (MessageKeys) String() string { return "ratchet.MessageKeys(REDACTED)" }

// Format prints String for every verb.
func (k MessageKeys) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// Header holds the fields a SignalMessage carries in the clear (protobuf
// fields 1, 2 and 3): the sender's current ratchet public key, the message's
// index in the sending chain, and the previous-counter field.
type Header struct {
	RatchetKey      curve.PublicKey
	Counter         uint32
	PreviousCounter uint32
}

// State is one Double Ratchet session state with Signal's KDF chain. It is
// not safe for concurrent use; the session layer serializes access per
// address. A State is mutated only by Encrypt and by a successful Decrypt.
//
// Make one with NewAlice, NewBob, FromSnapshot, or UnmarshalBinary (which
// also works on a zero State); the zero State is not otherwise usable.
type State struct {
	root [KeySize]byte

	hasSend bool
	send    curve.KeyPair
	sendCK  [KeySize]byte
	sendN   uint32 // index of the next sending key = counter of the next message
	prev    uint32 // previous_counter

	recv    []recvChain       // oldest first, at most MaxReceiverChains
	dropped []curve.PublicKey // ratchet keys of dropped chains, oldest first, at most MaxReceiverChains

	maxJump uint32
	suite   Suite

	k    *kdf
	pend []skippedKey // scratch: skipped keys of the message being decrypted
}

type recvChain struct {
	pub   curve.PublicKey
	ck    [KeySize]byte
	n     uint32 // index of the next key the chain yields
	floor uint32 // every dropped skipped key has an index below floor
	// skipped holds stored keys in ascending index order, each below n.
	skipped []skippedKey
	// legacy holds the whole keys of the skipped entries imported from an
	// older libsignal record, which stored cipher key, MAC key and IV
	// instead of the seed (those entries' seeds are unused); ascending
	// index order, usually empty. Keeping them aside leaves skipped free of
	// pointers (see skipped.go).
	legacy []legacyKey
}

type skippedKey struct {
	n    uint32
	seed [KeySize]byte
}

// generateKeyPair returns a new ratchet key pair. It loads 32 random bytes
// with curve.NewPrivateKey rather than calling curve.GenerateKeyPair, which
// (as of this writing) computes the public key twice: a DH ratchet step then
// costs three X25519 operations, not four.
func generateKeyPair() (curve.KeyPair, error) {
	var b [curve.PrivateKeySize]byte
	if _, err := rand.Read(b[:]); err != nil {
		return curve.KeyPair{}, err
	}
	k, err := curve.NewPrivateKey(b[:])
	clear(b[:])
	if err != nil {
		return curve.KeyPair{}, err
	}
	return curve.NewKeyPair(k), nil
}

func newState() *State { return &State{k: newKDF(), maxJump: MaxForwardJump} }

func checkKey(name string, b []byte) error {
	if len(b) != KeySize {
		return fmt.Errorf("%w: %s of %d bytes, want %d", ErrInvalidKey, name, len(b), KeySize)
	}
	return nil
}

func checkPair(kp curve.KeyPair) (curve.KeyPair, error) {
	if kp.Private == nil {
		return curve.KeyPair{}, fmt.Errorf("%w: ratchet key pair without private key", ErrInvalidKey)
	}
	if !kp.Public.IsZero() && kp.Public != kp.Private.PublicKey() {
		return curve.KeyPair{}, fmt.Errorf("%w: ratchet key pair's public key does not match its private key", ErrInvalidKey)
	}
	return curve.NewKeyPair(kp.Private), nil
}

// NewAlice returns the initiator's state after the handshake (X3DH or
// PQXDH): rootKey and chainKey are the handshake's first two 32-byte
// outputs, theirRatchetKey is Bob's signed prekey (his first ratchet key) and
// ourRatchetKey is Alice's first ratchet key pair, normally fresh from
// curve.GenerateKeyPair (tests inject fixed ones).
//
// Alice's sending chain comes from create_chain(rootKey, DH(ourRatchetKey,
// theirRatchetKey)); her receiving chain for theirRatchetKey starts at
// chainKey, index 0.
func NewAlice(rootKey, chainKey []byte, theirRatchetKey curve.PublicKey, ourRatchetKey curve.KeyPair) (*State, error) {
	if err := checkKey("root key", rootKey); err != nil {
		return nil, err
	}
	if err := checkKey("chain key", chainKey); err != nil {
		return nil, err
	}
	if theirRatchetKey.IsZero() {
		return nil, fmt.Errorf("%w: no remote ratchet key", ErrInvalidKey)
	}
	kp, err := checkPair(ourRatchetKey)
	if err != nil {
		return nil, err
	}
	s := newState()
	copy(s.root[:], rootKey)
	if err := kp.Private.ECDHTo(&s.k.dh, theirRatchetKey); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	s.k.rootStep(&s.root, s.k.dh[:], &s.sendCK)
	clear(s.k.dh[:])
	s.hasSend, s.send = true, kp
	c := recvChain{pub: theirRatchetKey}
	copy(c.ck[:], chainKey)
	s.recv = append(s.recv, c)
	return s, nil
}

// NewBob returns the responder's state after the handshake: rootKey and
// chainKey are the handshake's first two 32-byte outputs and ourRatchetKey
// is Bob's signed prekey pair, which is his first ratchet key. His sending
// chain starts at chainKey; he has no receiving chain until Alice's first
// message arrives.
func NewBob(rootKey, chainKey []byte, ourRatchetKey curve.KeyPair) (*State, error) {
	if err := checkKey("root key", rootKey); err != nil {
		return nil, err
	}
	if err := checkKey("chain key", chainKey); err != nil {
		return nil, err
	}
	kp, err := checkPair(ourRatchetKey)
	if err != nil {
		return nil, err
	}
	s := newState()
	copy(s.root[:], rootKey)
	copy(s.sendCK[:], chainKey)
	s.hasSend, s.send = true, kp
	return s, nil
}

// SetMaxForwardJump changes the forward-jump bound of this state (default
// MaxForwardJump). libsignal lifts it for a session with oneself (both
// identity keys equal), where a device's own other devices may be far
// ahead; the session layer decides. The setting is not part of the encoded
// state.
func (s *State) SetMaxForwardJump(n uint32) { s.maxJump = n }

// SendingCounter returns the counter the next encrypted message will carry.
func (s *State) SendingCounter() uint32 { return s.sendN }

// RatchetKey returns the current sending ratchet public key (the zero key if
// the state has no sending chain).
func (s *State) RatchetKey() curve.PublicKey { return s.send.Public }

// Encrypt encrypts plaintext with the next key of the sending chain and
// appends the body, AES-256-CBC with PKCS#7 padding, to dst. It returns the
// message's header fields, the extended slice and the message's MAC key. The
// session layer then serializes the message and computes its tag, for
// example with SignalMAC (which does not allocate).
//
// salt is the message-key HKDF salt: nil in v3 sessions (RFC 5869's default
// of 32 zero bytes), the SPQR message key of this message in v4.
//
// Encrypt advances the sending chain at once (nothing about it can fail
// later), so the session should decide about trust before calling it. To
// reuse plaintext's storage for the body, pass plaintext[:0] as dst;
// otherwise dst must not overlap plaintext.
func (s *State) Encrypt(dst, plaintext, salt []byte) (Header, []byte, MACKey, error) {
	if !s.hasSend {
		return Header{}, nil, MACKey{}, ErrNoSendingChain
	}
	if s.sendN == math.MaxUint32 {
		return Header{}, nil, MACKey{}, ErrCounterOverflow
	}
	k := s.k
	h := Header{RatchetKey: s.send.Public, Counter: s.sendN, PreviousCounter: s.prev}
	k.ChainStep(&s.sendCK, &k.seed)
	s.sendN++
	k.messageKeys(&k.mk, &k.seed, salt)
	out := cbcEncrypt(dst, &k.mk.Cipher, &k.mk.IV, plaintext)
	mac := k.mk.MAC
	k.wipe()
	return h, out, mac, nil
}

// Decrypt authenticates and decrypts one message with header fields h and
// body (the AES-CBC ciphertext), appending the plaintext to dst.
//
// It derives the message's keys, performing a DH ratchet step first if
// h.RatchetKey is new, and calls verify with the MAC key before anything is
// decrypted or committed. verify must check the message's tag over the
// received bytes (for Signal: SignalMAC over the identities and the
// serialized message) and return a non-nil error if it is wrong; Decrypt
// then returns that error unchanged. The *MACKey is valid only during the
// call; verify may call s.SignalMAC and s.VerifySignalMAC but nothing else
// on s.
//
// salt is the message-key HKDF salt, as for Encrypt: nil in v3, the SPQR key
// of this message in v4.
//
// The state changes only if verify accepts and the body decrypts: a failed
// Decrypt leaves s exactly as it was. Errors: *LimitError (matching
// ErrForwardJumpTooLarge, ErrSkippedKeyDropped or ErrReceiverChainDropped),
// ErrDuplicateMessage, ErrInvalidCiphertext, ErrCounterOverflow,
// ErrInvalidKey, ErrNoSendingChain, or verify's error.
//
// To reuse body's storage, pass body[:0] as dst; otherwise dst must not
// overlap body.
func (s *State) Decrypt(dst []byte, h Header, body, salt []byte, verify func(macKey *MACKey) error) ([]byte, error) {
	if verify == nil {
		panic("ratchet: Decrypt called with a nil verify function")
	}
	if len(body) == 0 || len(body)%16 != 0 {
		return nil, ErrInvalidCiphertext
	}
	k := s.k
	defer k.wipe()

	ci := s.findRecv(h.RatchetKey)
	var (
		n      uint32 // first index of the chain the message is on
		newKey curve.KeyPair
	)
	if ci < 0 {
		if slices.Contains(s.dropped, h.RatchetKey) {
			return nil, &LimitError{Err: ErrReceiverChainDropped, Limit: "MaxReceiverChains", Max: MaxReceiverChains}
		}
		if err := s.checkJump(0, h.Counter); err != nil {
			return nil, err
		}
		if !s.hasSend {
			return nil, ErrNoSendingChain
		}
		// DH ratchet step, computed into scratch: receiving chain from
		// DH(our current key, theirs), then a new sending chain from
		// DH(new key, theirs).
		k.root = s.root
		if err := s.send.Private.ECDHTo(&k.dh, h.RatchetKey); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
		}
		k.rootStep(&k.root, k.dh[:], &k.rck)
		var err error
		if newKey, err = generateKeyPair(); err != nil {
			return nil, err
		}
		if err := newKey.Private.ECDHTo(&k.dh, h.RatchetKey); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
		}
		k.rootStep(&k.root, k.dh[:], &k.sck)
	} else {
		c := &s.recv[ci]
		n = c.n
		if h.Counter < n {
			return s.decryptSkipped(dst, c, h.Counter, body, salt, verify)
		}
		if err := s.checkJump(n, h.Counter); err != nil {
			return nil, err
		}
		k.rck = c.ck
	}

	// Walk the chain from n to the message's counter, keeping the seeds
	// that will survive the per-chain bound.
	jump := h.Counter - n
	keep := min(jump, MaxSkippedKeysPerChain)
	s.pend = s.pend[:0]
	for i := n; i < h.Counter; i++ {
		if h.Counter-i > keep {
			k.ChainStep(&k.rck, nil)
			continue
		}
		k.ChainStep(&k.rck, &k.seed)
		s.pend = append(s.pend, skippedKey{n: i, seed: k.seed})
	}
	k.ChainStep(&k.rck, &k.seed)
	k.messageKeys(&k.mk, &k.seed, salt)

	if err := verify(&k.mk.MAC); err != nil {
		s.wipePending()
		return nil, err
	}
	out, err := cbcDecrypt(dst, &k.mk.Cipher, &k.mk.IV, body)
	if err != nil {
		s.wipePending()
		return nil, err
	}

	// Commit.
	var c *recvChain
	if ci < 0 {
		s.root = k.root
		s.prev = s.sendN
		if s.prev > 0 && !s.suite.CountPreviousChain {
			s.prev-- // libsignal: index of the old sending chain minus one, never below 0
		}
		s.send, s.sendCK, s.sendN = newKey, k.sck, 0
		if len(s.recv) == MaxReceiverChains {
			s.dropChain()
		}
		s.recv = append(s.recv, recvChain{pub: h.RatchetKey})
		c = &s.recv[len(s.recv)-1]
	} else {
		c = &s.recv[ci]
	}
	c.ck = k.rck
	c.n = h.Counter + 1
	if jump > keep {
		c.floor = h.Counter - keep
	}
	if len(s.pend) > 0 {
		c.addSkipped(s.pend)
		s.wipePending()
	}
	return out, nil
}

// decryptSkipped handles a counter below the chain's index: its key must be
// among the stored ones.
func (s *State) decryptSkipped(dst []byte, c *recvChain, counter uint32, body, salt []byte, verify func(*MACKey) error) ([]byte, error) {
	j, found := c.find(counter)
	if !found {
		if counter < c.floor {
			return nil, &LimitError{Err: ErrSkippedKeyDropped, Limit: "MaxSkippedKeysPerChain", Max: MaxSkippedKeysPerChain, Got: uint64(counter)}
		}
		return nil, ErrDuplicateMessage
	}
	k := s.k
	sk := &c.skipped[j]
	if lk := c.legacyKeys(sk.n); lk != nil {
		if len(salt) != 0 {
			// A stored whole key predates SPQR; a salted message cannot
			// have been made with it.
			return nil, ErrInvalidMAC
		}
		k.mk = *lk
	} else {
		k.mk = MessageKeys{}
		k.messageKeys(&k.mk, &sk.seed, salt)
	}
	if err := verify(&k.mk.MAC); err != nil {
		return nil, err
	}
	out, err := cbcDecrypt(dst, &k.mk.Cipher, &k.mk.IV, body)
	if err != nil {
		return nil, err
	}
	c.deleteLegacy(sk.n)
	clear(sk.seed[:])
	c.skipped = slices.Delete(c.skipped, j, j+1)
	return out, nil
}

// find returns the position of the skipped key with index counter, and
// whether it is stored.
func (c *recvChain) find(counter uint32) (int, bool) {
	return slices.BinarySearchFunc(c.skipped, counter, func(sk skippedKey, n uint32) int {
		switch {
		case sk.n < n:
			return -1
		case sk.n > n:
			return 1
		}
		return 0
	})
}

func (s *State) checkJump(n, counter uint32) error {
	if counter == math.MaxUint32 {
		return ErrCounterOverflow
	}
	if counter-n > s.maxJump {
		return &LimitError{Err: ErrForwardJumpTooLarge, Limit: "MaxForwardJump", Max: uint64(s.maxJump), Got: uint64(counter - n)}
	}
	return nil
}

func (s *State) findRecv(pub curve.PublicKey) int {
	for i := range s.recv {
		if s.recv[i].pub == pub {
			return i
		}
	}
	return -1
}

// dropChain removes the oldest receiving chain and remembers its ratchet key.
func (s *State) dropChain() {
	old := &s.recv[0]
	for i := range old.skipped {
		clear(old.skipped[i].seed[:])
	}
	clear(old.legacy)
	clear(old.ck[:])
	if len(s.dropped) == MaxReceiverChains {
		s.dropped = slices.Delete(s.dropped, 0, 1)
	}
	s.dropped = append(s.dropped, old.pub)
	s.recv = slices.Delete(s.recv, 0, 1)
}

// addSkipped appends keys (ascending, above every stored index) and drops
// the oldest beyond MaxSkippedKeysPerChain.
func (c *recvChain) addSkipped(keys []skippedKey) {
	c.skipped = append(c.skipped, keys...)
	if over := len(c.skipped) - MaxSkippedKeysPerChain; over > 0 {
		c.floor = max(c.floor, c.skipped[over-1].n+1)
		for i := range over {
			clear(c.skipped[i].seed[:])
		}
		c.trimLegacy(c.skipped[over].n)
		c.skipped = slices.Delete(c.skipped, 0, over)
	}
}

func (s *State) wipePending() {
	for i := range s.pend {
		clear(s.pend[i].seed[:])
	}
	s.pend = s.pend[:0]
	if cap(s.pend) > 64 {
		s.pend = nil // do not hold a long jump's scratch for the state's life
	}
}

// wipe clears the per-message scratch (best effort: Go may have copied it).
func (k *kdf) wipe() {
	k.mk = MessageKeys{}
	clear(k.seed[:])
	clear(k.rck[:])
	clear(k.sck[:])
	clear(k.root[:])
	clear(k.dh[:])
}

// String returns a summary that names no secret: the sending ratchet public
// key, the sending counter and the number of receiving chains.
func (s State) String() string {
	return fmt.Sprintf("ratchet.State(REDACTED, ratchet key %v, counter %d, %d receiving chains)", s.send.Public, s.sendN, len(s.recv))
}

// Format prints String for every verb, so no fmt verb reveals a key.
func (s State) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }
