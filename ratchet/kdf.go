package ratchet

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"hash"
)

// Labels of Signal's key schedule (PROTOCOL.md, "Double Ratchet"). They are
// byte slices, never modified, so that writing them to the hash does not
// allocate.
var (
	infoRatchet     = []byte("WhisperRatchet")
	infoMessageKeys = []byte("WhisperMessageKeys")
	chainSeeds      = []byte{0x01, 0x02} // message-key seed, next chain key
	zeroSalt        = make([]byte, sha256.Size)
)

// kdf holds a reusable SHA-256 and scratch buffers, so that the per-message
// HMAC and HKDF computations allocate nothing. Every buffer lives inside the
// (heap-allocated) kdf, because slices written to a hash.Hash escape.
//
// HMAC and HKDF are written out here rather than taken from crypto/hmac and
// crypto/hkdf because those allocate on every key change (six and about two
// dozen allocations); the tests check both against the standard library.
type kdf struct {
	h     hash.Hash
	hs    hashState // h's state (un)marshaling, for keyed HMACs
	ist   []byte    // marshaled inner-pad state of the key set by setKey
	ost   []byte    // marshaled outer-pad state
	istB  [128]byte
	ostB  [128]byte
	pad   [sha256.BlockSize]byte
	inner [sha256.Size]byte
	prk   [sha256.Size]byte
	okm   [3 * sha256.Size]byte
	ctr   [1]byte
	dh    [32]byte
	ids   [66]byte // two 33-byte identity keys for the message MAC

	seed [32]byte // message-key seed
	rck  [32]byte // candidate receiving chain key
	sck  [32]byte // candidate sending chain key
	root [32]byte // candidate root key
	mac  [32]byte // key copy for SignalMAC

	// mk holds the message keys of the message being processed; Decrypt
	// hands out &mk.MAC to its verify callback.
	mk MessageKeys

	// steps counts chain-key steps; tests use it to show that refused
	// jumps cost nothing.
	steps uint64
}

// hashState is what crypto/sha256's digest implements to save and restore
// its state without allocating.
type hashState interface {
	encoding.BinaryAppender
	encoding.BinaryUnmarshaler
}

func newKDF() *kdf {
	h := sha256.New()
	hs, ok := h.(hashState)
	if !ok {
		panic("ratchet: crypto/sha256 digest cannot save its state") // checked by tests
	}
	return &kdf{h: h, hs: hs}
}

// setKey precomputes the HMAC states of key (at most one block), so that
// several HMACs under the same key cost two compressions each instead of
// four. Use keyedStart and keyedEnd with it.
func (k *kdf) setKey(key []byte) {
	var err error
	k.setPad(key, 0x36)
	k.h.Reset()
	k.h.Write(k.pad[:])
	k.ist, err = k.hs.AppendBinary(k.istB[:0])
	k.setPad(key, 0x5c)
	k.h.Reset()
	k.h.Write(k.pad[:])
	if err == nil {
		k.ost, err = k.hs.AppendBinary(k.ostB[:0])
	}
	if err != nil {
		panic("ratchet: saving a SHA-256 state failed: " + err.Error()) // unreachable
	}
}

// keyedStart begins an HMAC under the key of the last setKey.
func (k *kdf) keyedStart() {
	if err := k.hs.UnmarshalBinary(k.ist); err != nil {
		panic("ratchet: restoring a SHA-256 state failed: " + err.Error()) // unreachable
	}
}

// keyedEnd finishes the HMAC begun with keyedStart and writes the tag to
// out (which may alias the key).
func (k *kdf) keyedEnd(out []byte) {
	inner := k.h.Sum(k.inner[:0])
	if err := k.hs.UnmarshalBinary(k.ost); err != nil {
		panic("ratchet: restoring a SHA-256 state failed: " + err.Error()) // unreachable
	}
	k.h.Write(inner)
	k.h.Sum(out[:0])
}

// clearKey wipes the saved HMAC states.
func (k *kdf) clearKey() {
	clear(k.istB[:])
	clear(k.ostB[:])
}

// hmacStart keys the hash for HMAC-SHA256 with key (at most one block) and
// absorbs the inner pad. Follow with h.Write calls and hmacEnd.
func (k *kdf) hmacStart(key []byte) {
	k.setPad(key, 0x36)
	k.h.Reset()
	k.h.Write(k.pad[:])
}

// hmacEnd finishes the HMAC started with hmacStart(key) and writes the
// 32-byte tag to out (which may alias key).
func (k *kdf) hmacEnd(key []byte, out []byte) {
	inner := k.h.Sum(k.inner[:0])
	k.setPad(key, 0x5c)
	k.h.Reset()
	k.h.Write(k.pad[:])
	k.h.Write(inner)
	k.h.Sum(out[:0])
}

func (k *kdf) setPad(key []byte, b byte) {
	n := copy(k.pad[:], key)
	for i := range n {
		k.pad[i] ^= b
	}
	for i := n; i < len(k.pad); i++ {
		k.pad[i] = b
	}
}

// hkdf runs HKDF-SHA256 (RFC 5869) with salt (nil or empty: 32 zero bytes),
// ikm and info, writing len(out) <= 96 bytes to out.
func (k *kdf) hkdf(out, salt, ikm, info []byte) {
	if len(salt) == 0 {
		salt = zeroSalt
	}
	if len(salt) > sha256.BlockSize {
		// HMAC hashes long keys first; no caller here uses one, but the
		// salt hook is public, so honour RFC 2104.
		k.h.Reset()
		k.h.Write(salt)
		salt = k.h.Sum(k.prk[:0])
	}
	k.hmacStart(salt)
	k.h.Write(ikm)
	k.hmacEnd(salt, k.prk[:])

	var prev []byte
	k.setKey(k.prk[:])
	for i, off := byte(1), 0; off < len(out); i++ {
		k.keyedStart()
		k.h.Write(prev)
		k.h.Write(info)
		k.ctr[0] = i
		k.h.Write(k.ctr[:])
		t := k.okm[off : off+sha256.Size]
		k.keyedEnd(t)
		prev = t
		off += sha256.Size
	}
	copy(out, k.okm[:len(out)])
	clear(k.okm[:])
	clear(k.prk[:])
	k.clearKey()
}

// chainStep replaces ck by the next chain key HMAC(ck, 0x02); if seed is not
// nil it first writes the message-key seed HMAC(ck, 0x01) there.
func (k *kdf) chainStep(ck *[32]byte, seed *[32]byte) {
	k.steps++
	if seed == nil {
		k.hmacStart(ck[:])
		k.h.Write(chainSeeds[1:2])
		k.hmacEnd(ck[:], ck[:])
		return
	}
	k.setKey(ck[:])
	k.keyedStart()
	k.h.Write(chainSeeds[0:1])
	k.keyedEnd(seed[:])
	k.keyedStart()
	k.h.Write(chainSeeds[1:2])
	k.keyedEnd(ck[:])
	k.clearKey()
}

// messageKeys derives the AES key, MAC key and IV of one message from its
// seed: HKDF-SHA256(salt, seed, "WhisperMessageKeys", 80).
func (k *kdf) messageKeys(mk *MessageKeys, seed *[32]byte, salt []byte) {
	var buf [MessageKeysSize]byte
	k.hkdf(buf[:], salt, seed[:], infoMessageKeys)
	copy(mk.Cipher[:], buf[0:32])
	copy(mk.MAC[:], buf[32:64])
	copy(mk.IV[:], buf[64:80])
	clear(buf[:])
}

// rootStep runs create_chain: HKDF-SHA256(salt = root, ikm = dh,
// "WhisperRatchet", 64) -> new root key, new chain key. root is updated in
// place.
func (k *kdf) rootStep(root *[32]byte, dh []byte, chain *[32]byte) {
	var buf [64]byte
	k.hkdf(buf[:], root[:], dh, infoRatchet)
	copy(root[:], buf[:32])
	copy(chain[:], buf[32:])
	clear(buf[:])
}

// be32 appends v big-endian.
func be32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
