package he

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/sha256kdf"
	"github.com/forwardsecret/signal/ratchet"
)

// The construction (Double Ratchet specification, section 4).
//
// Choices (the specification leaves them to the application):
//
//   - KDF_RK_HE(rk, dh) = HKDF-SHA256(salt = rk, ikm = dh, info = heInfoRoot,
//     96) -> root key | chain key | next header key.
//   - KDF_CK is Signal's: message seed HMAC-SHA256(ck, 0x01), next chain key
//     HMAC-SHA256(ck, 0x02).
//   - ENCRYPT(mk, plaintext, AD || encrypted header) is AES-256-GCM with key
//     and nonce from HKDF-SHA256(salt = none, ikm = mk, info = heInfoMessage,
//     44) -> key (32) | nonce (12). Each message key is used once, so a
//     derived nonce is safe.
//   - HENCRYPT(hk, header) is AES-256-GCM under the header key with a random
//     96-bit nonce and the application's associated data; a header key
//     serves a whole sending chain, so the nonce must be random. Equal
//     headers thus encrypt differently. The header is the ratchet public
//     key's u-coordinate (32) || previous-chain length PN (4) || counter N
//     (4), big-endian.
//
// A message is nonce (12) || sealed header (40 + 16) || sealed body
// (len(plaintext) + 16): Overhead bytes plus the plaintext.
//
// Unlike the default suite, this one follows the specification's
// bookkeeping: PN is the number of messages of the previous sending chain,
// and on a DH step the receiver stores the keys it skipped on the old chain
// up to PN. Old chains keep only their stored keys, under their header
// keys; at most ratchet.MaxReceiverChains chains' worth (with the current
// one) and ratchet.MaxSkippedKeysPerChain keys per chain,
// ratchet.MaxForwardJump per jump.
var (
	heInfoRoot    = []byte("forwardsecret DoubleRatchet HE root")
	heInfoMessage = []byte("forwardsecret DoubleRatchet HE message")
)

// Sizes of the header-encryption suite's message layout.
const (
	heNonceSize  = 12
	heHeaderSize = 32 + 4 + 4
	heTagSize    = 16
	// HeaderSize is the size of an encrypted header.
	HeaderSize = heNonceSize + heHeaderSize + heTagSize
	// Overhead is the size of a message minus the size of its plaintext.
	Overhead = HeaderSize + heTagSize
)

// keySize is the size of the shared secret, of the root, chain, header and
// message keys, and of the constructors' key arguments.
const keySize = ratchet.KeySize

// State is a Double Ratchet state with header encryption. It is not safe
// for concurrent use. A failed Open leaves it unchanged.
type State struct {
	root   [keySize]byte
	dhs    curve.KeyPair
	dhr    curve.PublicKey // zero until the first DH step (Bob)
	cks    [keySize]byte
	hasCKs bool
	ns, pn uint32
	ckr    [keySize]byte
	hasCKr bool
	nr     uint32
	hks    [keySize]byte
	hasHKs bool
	nhks   [keySize]byte
	hkr    [keySize]byte
	hasHKr bool
	nhkr   [keySize]byte
	// skipped holds stored message keys by header key, oldest chain first,
	// at most ratchet.MaxReceiverChains chains.
	skipped []heChain
	k       *kdf
}

type heChain struct {
	hk   [keySize]byte
	keys []skippedKey // seed = the message key; ascending index
}

// skippedKey is the stored message key of a skipped message.
type skippedKey struct {
	n    uint32
	seed [keySize]byte
}

// kdf is the state's key-derivation scratch: the allocation-free HMAC and
// HKDF it shares with package ratchet plus the buffers of one message.
// Every buffer lives inside the (heap-allocated) kdf, because slices written
// to a hash.Hash escape.
type kdf struct {
	sha256kdf.KDF
	dh   [32]byte
	seed [32]byte
}

func newKDF() *kdf {
	k := new(kdf)
	k.Init()
	return k
}

// NewAlice returns the initiator's state: sk is the shared secret of the
// key agreement, bobRatchetKey Bob's ratchet public key, sharedHKA and
// sharedNHKB the two shared header keys the specification's initialization
// takes (Alice's first sending header key and Bob's first next header key),
// and ourRatchetKey Alice's first ratchet key pair.
func NewAlice(sk []byte, bobRatchetKey curve.PublicKey, sharedHKA, sharedNHKB []byte, ourRatchetKey curve.KeyPair) (*State, error) {
	for _, c := range []struct {
		n string
		b []byte
	}{{"shared secret", sk}, {"header key A", sharedHKA}, {"next header key B", sharedNHKB}} {
		if err := checkKey(c.n, c.b); err != nil {
			return nil, err
		}
	}
	if bobRatchetKey.IsZero() {
		return nil, fmt.Errorf("%w: no remote ratchet key", ratchet.ErrInvalidKey)
	}
	kp, err := checkPair(ourRatchetKey)
	if err != nil {
		return nil, err
	}
	s := &State{k: newKDF(), dhs: kp, dhr: bobRatchetKey}
	copy(s.root[:], sk)
	if err := kp.Private.ECDHTo(&s.k.dh, bobRatchetKey); err != nil {
		return nil, fmt.Errorf("%w: %w", ratchet.ErrInvalidKey, err)
	}
	s.k.rootStep(&s.root, &s.cks, &s.nhks)
	s.hasCKs = true
	copy(s.hks[:], sharedHKA)
	s.hasHKs = true
	copy(s.nhkr[:], sharedNHKB)
	return s, nil
}

// NewBob returns the responder's state: sk, sharedHKA and sharedNHKB as
// for NewAlice, ourRatchetKey Bob's ratchet key pair (whose public half
// Alice used). Bob can send only after Alice's first message arrives.
func NewBob(sk []byte, ourRatchetKey curve.KeyPair, sharedHKA, sharedNHKB []byte) (*State, error) {
	for _, c := range []struct {
		n string
		b []byte
	}{{"shared secret", sk}, {"header key A", sharedHKA}, {"next header key B", sharedNHKB}} {
		if err := checkKey(c.n, c.b); err != nil {
			return nil, err
		}
	}
	kp, err := checkPair(ourRatchetKey)
	if err != nil {
		return nil, err
	}
	s := &State{k: newKDF(), dhs: kp}
	copy(s.root[:], sk)
	copy(s.nhks[:], sharedNHKB)
	copy(s.nhkr[:], sharedHKA)
	return s, nil
}

// rootStep is KDF_RK_HE over k.dh.
func (k *kdf) rootStep(root, ck, nhk *[keySize]byte) {
	var buf [96]byte
	k.HKDF(buf[:], root[:], k.dh[:], heInfoRoot)
	copy(root[:], buf[0:32])
	copy(ck[:], buf[32:64])
	copy(nhk[:], buf[64:96])
	clear(buf[:])
	clear(k.dh[:])
}

func newGCM(key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic("he: AES-256 rejected a 32-byte key") // unreachable
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		panic("he: GCM setup failed") // unreachable
	}
	return g
}

// bodyAEAD derives the body cipher and nonce from a message key.
func (k *kdf) bodyAEAD(mk *[keySize]byte) (cipher.AEAD, []byte) {
	var buf [44]byte
	copy(k.seed[:], mk[:])
	k.HKDF(buf[:], nil, k.seed[:], heInfoMessage)
	g := newGCM(buf[:32])
	nonce := slices.Clone(buf[32:44])
	clear(buf[:])
	clear(k.seed[:])
	return g, nonce
}

// Seal encrypts plaintext with associated data ad and appends the message
// (encrypted header and body) to dst, which must not overlap plaintext. It
// returns ratchet.ErrNoSendingChain before the first message has arrived at
// a responder.
func (s *State) Seal(dst, plaintext, ad []byte) ([]byte, error) {
	if !s.hasCKs || !s.hasHKs {
		return nil, ratchet.ErrNoSendingChain
	}
	if s.ns == math.MaxUint32 {
		return nil, ratchet.ErrCounterOverflow
	}
	k := s.k
	var hdr [heHeaderSize]byte
	u := s.dhs.Public.U()
	copy(hdr[:32], u[:])
	binary.BigEndian.PutUint32(hdr[32:], s.pn)
	binary.BigEndian.PutUint32(hdr[36:], s.ns)

	ret, out := sliceForAppend(dst, Overhead+len(plaintext))
	nonce := out[:heNonceSize]
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	newGCM(s.hks[:]).Seal(out[heNonceSize:heNonceSize], nonce, hdr[:], ad)
	encHeader := out[:HeaderSize]

	var mk [keySize]byte
	k.ChainStep(&s.cks, &k.seed)
	copy(mk[:], k.seed[:])
	s.ns++
	g, bodyNonce := k.bodyAEAD(&mk)
	clear(mk[:])
	g.Seal(out[HeaderSize:HeaderSize], bodyNonce, plaintext, heAD(ad, encHeader))
	return ret, nil
}

func heAD(ad, encHeader []byte) []byte {
	return append(slices.Clip(ad), encHeader...)
}

// openHeader tries to decrypt an encrypted header under hk.
func openHeader(hk *[keySize]byte, encHeader, ad []byte) (pub curve.PublicKey, pn, n uint32, ok bool) {
	var hdr [heHeaderSize]byte
	if _, err := newGCM(hk[:]).Open(hdr[:0], encHeader[:heNonceSize], encHeader[heNonceSize:], ad); err != nil {
		return curve.PublicKey{}, 0, 0, false
	}
	pub, _ = curve.NewPublicKey(hdr[:32])
	return pub, binary.BigEndian.Uint32(hdr[32:]), binary.BigEndian.Uint32(hdr[36:]), true
}

// Open authenticates and decrypts a message made by the peer's Seal with
// the same associated data ad, and appends the plaintext to dst, which must
// not overlap message. On any failure the state is unchanged. A message no
// key opens yields ratchet.ErrInvalidMAC, a message shorter than Overhead
// ratchet.ErrInvalidCiphertext; the bounds give *ratchet.LimitError values
// as in ratchet.State.Decrypt, and a replayed message
// ratchet.ErrDuplicateMessage.
func (s *State) Open(dst, message, ad []byte) ([]byte, error) {
	if len(message) < Overhead {
		return nil, ratchet.ErrInvalidCiphertext
	}
	encHeader, body := message[:HeaderSize], message[HeaderSize:]
	bodyAD := heAD(ad, encHeader)
	k := s.k

	// Stored keys of skipped messages, chain by chain.
	for ci := range s.skipped {
		c := &s.skipped[ci]
		_, _, n, ok := openHeader(&c.hk, encHeader, ad)
		if !ok {
			continue
		}
		j := slices.IndexFunc(c.keys, func(sk skippedKey) bool { return sk.n == n })
		if j < 0 {
			if s.hasHKr && c.hk == s.hkr && n >= s.nr {
				break // a message ahead on the current chain
			}
			return nil, ratchet.ErrDuplicateMessage
		}
		g, nonce := k.bodyAEAD(&c.keys[j].seed)
		out, err := g.Open(dst, nonce, body, bodyAD)
		if err != nil {
			return nil, ratchet.ErrInvalidMAC
		}
		clear(c.keys[j].seed[:])
		c.keys = slices.Delete(c.keys, j, j+1)
		return out, nil
	}

	// The current receiving chain, or a DH step on the next header key.
	var (
		pub    curve.PublicKey
		pn, n  uint32
		step   bool
		ok     bool
		newKey curve.KeyPair
	)
	if s.hasHKr {
		pub, pn, n, ok = openHeader(&s.hkr, encHeader, ad)
	}
	if !ok {
		if pub, pn, n, ok = openHeader(&s.nhkr, encHeader, ad); !ok {
			return nil, ratchet.ErrInvalidMAC
		}
		step = true
	}

	var (
		oldPend, newPend []skippedKey
		ckr              [keySize]byte
		nr               uint32
		root, cks, nhks  [keySize]byte
		nhkr             [keySize]byte
	)
	if step {
		// Keys left on the current chain, up to PN, then the DH step.
		if s.hasCKr {
			if pn < s.nr {
				return nil, ratchet.ErrInvalidMAC // cannot come from an honest peer
			}
			if pn-s.nr > ratchet.MaxForwardJump {
				return nil, &ratchet.LimitError{Err: ratchet.ErrForwardJumpTooLarge, Limit: "MaxForwardJump", Max: ratchet.MaxForwardJump, Got: uint64(pn - s.nr)}
			}
			ck := s.ckr
			oldPend = k.heSkip(&ck, s.nr, pn)
		}
		if n > ratchet.MaxForwardJump {
			return nil, &ratchet.LimitError{Err: ratchet.ErrForwardJumpTooLarge, Limit: "MaxForwardJump", Max: ratchet.MaxForwardJump, Got: uint64(n)}
		}
		root = s.root
		if err := s.dhs.Private.ECDHTo(&k.dh, pub); err != nil {
			return nil, fmt.Errorf("%w: %w", ratchet.ErrInvalidKey, err)
		}
		k.rootStep(&root, &ckr, &nhkr)
		var err error
		if newKey, err = generateKeyPair(); err != nil {
			return nil, err
		}
		if err := newKey.Private.ECDHTo(&k.dh, pub); err != nil {
			return nil, fmt.Errorf("%w: %w", ratchet.ErrInvalidKey, err)
		}
		k.rootStep(&root, &cks, &nhks)
		nr = 0
	} else {
		if n < s.nr {
			return nil, ratchet.ErrDuplicateMessage // its key would be among the stored ones
		}
		if n-s.nr > ratchet.MaxForwardJump {
			return nil, &ratchet.LimitError{Err: ratchet.ErrForwardJumpTooLarge, Limit: "MaxForwardJump", Max: ratchet.MaxForwardJump, Got: uint64(n - s.nr)}
		}
		if n == math.MaxUint32 {
			return nil, ratchet.ErrCounterOverflow
		}
		ckr, nr = s.ckr, s.nr
	}
	newPend = k.heSkip(&ckr, nr, n)
	k.ChainStep(&ckr, &k.seed)
	var mk [keySize]byte
	copy(mk[:], k.seed[:])
	clear(k.seed[:])
	g, nonce := k.bodyAEAD(&mk)
	clear(mk[:])
	out, err := g.Open(dst, nonce, body, bodyAD)
	if err != nil {
		return nil, ratchet.ErrInvalidMAC
	}

	// Commit.
	if step {
		if s.hasHKr {
			s.storeSkipped(s.hkr, oldPend)
		}
		s.pn, s.ns = s.ns, 0
		s.hks, s.hasHKs = s.nhks, true
		s.hkr, s.hasHKr = s.nhkr, true
		s.dhr = pub
		s.root, s.nhkr = root, nhkr
		s.dhs, s.cks, s.nhks, s.hasCKs = newKey, cks, nhks, true
		s.hasCKr = true
	}
	s.ckr, s.nr = ckr, n+1
	s.storeSkipped(s.hkr, newPend)
	return out, nil
}

// heSkip advances ck from index from to index to, returning the message
// keys of the last ratchet.MaxSkippedKeysPerChain of those indices.
func (k *kdf) heSkip(ck *[keySize]byte, from, to uint32) []skippedKey {
	if to <= from {
		return nil
	}
	keep := min(to-from, ratchet.MaxSkippedKeysPerChain)
	var out []skippedKey
	for i := from; i < to; i++ {
		if to-i > keep {
			k.ChainStep(ck, nil)
			continue
		}
		k.ChainStep(ck, &k.seed)
		out = append(out, skippedKey{n: i, seed: k.seed})
	}
	clear(k.seed[:])
	return out
}

// storeSkipped files keys under hk, creating the chain entry if needed and
// enforcing the bounds.
func (s *State) storeSkipped(hk [keySize]byte, keys []skippedKey) {
	if len(keys) == 0 {
		return
	}
	ci := slices.IndexFunc(s.skipped, func(c heChain) bool { return c.hk == hk })
	if ci < 0 {
		if len(s.skipped) == ratchet.MaxReceiverChains {
			s.skipped = slices.Delete(s.skipped, 0, 1)
		}
		s.skipped = append(s.skipped, heChain{hk: hk})
		ci = len(s.skipped) - 1
	}
	c := &s.skipped[ci]
	c.keys = append(c.keys, keys...)
	if over := len(c.keys) - ratchet.MaxSkippedKeysPerChain; over > 0 {
		c.keys = slices.Delete(c.keys, 0, over)
	}
}

// checkKey, checkPair, generateKeyPair and sliceForAppend are package
// ratchet's helpers of the same names (small enough to copy, as Go's crypto
// packages copy sliceForAppend).

func checkKey(name string, b []byte) error {
	if len(b) != keySize {
		return fmt.Errorf("%w: %s of %d bytes, want %d", ratchet.ErrInvalidKey, name, len(b), keySize)
	}
	return nil
}

func checkPair(kp curve.KeyPair) (curve.KeyPair, error) {
	if kp.Private == nil {
		return curve.KeyPair{}, fmt.Errorf("%w: ratchet key pair without private key", ratchet.ErrInvalidKey)
	}
	if !kp.Public.IsZero() && kp.Public != kp.Private.PublicKey() {
		return curve.KeyPair{}, fmt.Errorf("%w: ratchet key pair's public key does not match its private key", ratchet.ErrInvalidKey)
	}
	return curve.NewKeyPair(kp.Private), nil
}

// generateKeyPair returns a new ratchet key pair. It loads 32 random bytes
// with curve.NewPrivateKey rather than calling curve.GenerateKeyPair, which
// (as of this writing) computes the public key twice.
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

// sliceForAppend extends in by n bytes, returning the whole slice and the new
// tail. It reallocates only when in lacks the capacity.
func sliceForAppend(in []byte, n int) (whole, tail []byte) {
	total := len(in) + n
	if cap(in) >= total {
		whole = in[:total]
	} else {
		whole = make([]byte, total)
		copy(whole, in)
	}
	return whole, whole[len(in):]
}
