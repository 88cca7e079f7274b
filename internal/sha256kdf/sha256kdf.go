// Package sha256kdf is the allocation-free HMAC-SHA256 (RFC 2104) and
// HKDF-SHA256 (RFC 5869) and the Double Ratchet chain step (KDF_CK) that
// package ratchet, its header-encryption suite (package ratchet/he) and
// package spqr share.
//
// HMAC and HKDF are written out here rather than taken from crypto/hmac and
// crypto/hkdf because those allocate on every key change (six and about two
// dozen allocations); the tests check both against the standard library.
package sha256kdf

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"fmt"
	"hash"
	"io"
)

var (
	// chainSeeds are KDF_CK's constants: message-key seed, next chain key.
	chainSeeds = []byte{0x01, 0x02}
	zeroSalt   = make([]byte, sha256.Size)
	// zeroSaltIst and zeroSaltOst are the marshaled HMAC states of the
	// all-zero salt (HKDF's default), precomputed once: an extract under it
	// costs two compressions instead of four.
	zeroSaltIst, zeroSaltOst = zeroSaltStates()
)

func zeroSaltStates() (ist, ost []byte) {
	var k KDF
	k.Init()
	k.setKey(zeroSalt)
	return bytes.Clone(k.ist), bytes.Clone(k.ost)
}

// KDF holds a reusable SHA-256 and scratch buffers, so that HMAC and HKDF
// computations allocate nothing. Every buffer lives inside the KDF, because
// slices written to a hash.Hash escape: embed it in a heap-allocated value
// and call Init before use. A KDF is not safe for concurrent use.
type KDF struct {
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

	// Steps counts chain-key steps; tests use it to show that refused
	// jumps cost nothing.
	Steps uint64
}

// hashState is what crypto/sha256's digest implements to save and restore
// its state without allocating.
type hashState interface {
	encoding.BinaryAppender
	encoding.BinaryUnmarshaler
}

// Init prepares k for use.
func (k *KDF) Init() {
	h := sha256.New()
	hs, ok := h.(hashState)
	if !ok {
		panic("sha256kdf: crypto/sha256 digest cannot save its state") // checked by tests
	}
	k.h, k.hs = h, hs
}

// setKey precomputes the HMAC states of key (at most one block), so that
// several HMACs under the same key cost two compressions each instead of
// four. Use keyedStart and keyedEnd with it.
func (k *KDF) setKey(key []byte) {
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
		panic("sha256kdf: saving a SHA-256 state failed: " + err.Error()) // unreachable
	}
}

// keyedStart begins an HMAC under the key of the last setKey.
func (k *KDF) keyedStart() {
	if err := k.hs.UnmarshalBinary(k.ist); err != nil {
		panic("sha256kdf: restoring a SHA-256 state failed: " + err.Error()) // unreachable
	}
}

// keyedEnd finishes the HMAC begun with keyedStart and writes the tag to
// out (which may alias the key).
func (k *KDF) keyedEnd(out []byte) {
	inner := k.h.Sum(k.inner[:0])
	if err := k.hs.UnmarshalBinary(k.ost); err != nil {
		panic("sha256kdf: restoring a SHA-256 state failed: " + err.Error()) // unreachable
	}
	k.h.Write(inner)
	k.h.Sum(out[:0])
}

// clearKey wipes the saved HMAC states.
func (k *KDF) clearKey() {
	clear(k.istB[:])
	clear(k.ostB[:])
}

// HMACStart keys the hash for HMAC-SHA256 with key (at most one block) and
// absorbs the inner pad. Follow with Write calls and HMACEnd.
func (k *KDF) HMACStart(key []byte) {
	k.setPad(key, 0x36)
	k.h.Reset()
	k.h.Write(k.pad[:])
}

// Write adds p to the HMAC begun with HMACStart.
func (k *KDF) Write(p []byte) { k.h.Write(p) }

// HMACEnd finishes the HMAC started with HMACStart(key) and writes the
// 32-byte tag to out (which may alias key). out must not escape less than
// the KDF does: pass a buffer of the value that holds it.
func (k *KDF) HMACEnd(key []byte, out []byte) {
	inner := k.h.Sum(k.inner[:0])
	k.setPad(key, 0x5c)
	k.h.Reset()
	k.h.Write(k.pad[:])
	k.h.Write(inner)
	k.h.Sum(out[:0])
}

func (k *KDF) setPad(key []byte, b byte) {
	n := copy(k.pad[:], key)
	for i := range n {
		k.pad[i] ^= b
	}
	for i := n; i < len(k.pad); i++ {
		k.pad[i] = b
	}
}

// HKDF runs HKDF-SHA256 (RFC 5869) with salt (nil or empty: 32 zero bytes,
// whose HMAC states are precomputed), ikm and info, writing len(out) <= 96
// bytes to out.
func (k *KDF) HKDF(out, salt, ikm, info []byte) {
	switch {
	case len(salt) == 0:
		k.ist, k.ost = zeroSaltIst, zeroSaltOst // read only: setKey below appends to its own buffers
		k.keyedStart()
		k.h.Write(ikm)
		k.keyedEnd(k.prk[:])
	case len(salt) > sha256.BlockSize:
		// HMAC hashes long keys first; no caller here uses one, but the
		// salt hook is public, so honour RFC 2104.
		k.h.Reset()
		k.h.Write(salt)
		salt = k.h.Sum(k.prk[:0])
		fallthrough
	default:
		k.HMACStart(salt)
		k.h.Write(ikm)
		k.HMACEnd(salt, k.prk[:])
	}

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

// ChainStep replaces ck by the next chain key HMAC(ck, 0x02); if seed is not
// nil it first writes the message-key seed HMAC(ck, 0x01) there. It counts
// the step in Steps.
func (k *KDF) ChainStep(ck *[32]byte, seed *[32]byte) {
	k.Steps++
	if seed == nil {
		k.HMACStart(ck[:])
		k.h.Write(chainSeeds[1:2])
		k.HMACEnd(ck[:], ck[:])
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

// Format prints a placeholder for every verb: the scratch holds keys.
func (KDF) Format(f fmt.State, _ rune) { io.WriteString(f, "sha256kdf.KDF(REDACTED)") }
