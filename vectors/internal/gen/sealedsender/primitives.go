package main

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	mrand "math/rand/v2"
	"sync"

	"github.com/tink-crypto/tink-go/v2/aead/subtle"

	"github.com/forwardsecret/signal/vectors/internal/gen/internal/xed"
)

// Deterministic inputs, Curve25519 keys, XEdDSA, HKDF, AES-CTR with HMAC,
// and AES-256-GCM-SIV.

var x = hex.EncodeToString

// fixed returns n deterministic bytes for a label.
func fixed(label string, n int) []byte {
	out := make([]byte, 0, n)
	for i := 0; len(out) < n; i++ {
		h := sha256.Sum256(fmt.Appendf(nil, "sealed sender vector %s %d", label, i))
		out = append(out, h[:]...)
	}
	return out[:n]
}

// drawSeed is the ChaCha8 seed of one random draw (below 2^52, so that
// every JSON reader holds it exactly).
func drawSeed(label string) uint64 {
	h := sha256.Sum256([]byte("sealed sender draw seed " + label))
	return binary.LittleEndian.Uint64(h[:8]) & (1<<52 - 1)
}

// chacha8Stream returns the first n bytes of math/rand/v2's ChaCha8 (C2SP
// chacha8rand) keyed with LE64(seed) || 24 zero bytes: what crypto/rand
// yields in a Go test after testing/cryptotest.SetGlobalRandom(t, seed).
func chacha8Stream(seed uint64, n int) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:8], seed)
	b := make([]byte, n)
	mrand.NewChaCha8(key).Read(b)
	return b
}

// keyPair is a Curve25519 key pair: raw is the private key before
// clamping, pub the 33-byte 0x05 || u.
type keyPair struct {
	raw  []byte
	priv *ecdh.PrivateKey
	pub  []byte
}

func keyFromRaw(raw []byte) keyPair {
	priv, err := ecdh.X25519().NewPrivateKey(raw)
	if err != nil {
		log.Fatal(err)
	}
	return keyPair{raw: raw, priv: priv, pub: append([]byte{0x05}, priv.PublicKey().Bytes()...)}
}

func newKey(label string) keyPair { return keyFromRaw(fixed("key "+label, 32)) }

// dh is X25519(k, their u) for a 33-byte (0x05 || u) or 32-byte public key.
func dh(k keyPair, pub []byte) []byte {
	if len(pub) == 33 {
		pub = pub[1:]
	}
	p, err := ecdh.X25519().NewPublicKey(pub)
	if err != nil {
		log.Fatal(err)
	}
	s, err := k.priv.ECDH(p)
	if err != nil {
		log.Fatal(err)
	}
	return s
}

// dhCheck is dh for a receiver: it reports failure instead of exiting.
func dhCheck(k keyPair, pub []byte) ([]byte, bool) {
	if len(pub) == 33 {
		if pub[0] != 0x05 {
			return nil, false
		}
		pub = pub[1:]
	}
	p, err := ecdh.X25519().NewPublicKey(pub)
	if err != nil {
		return nil, false
	}
	s, err := k.priv.ECDH(p)
	return s, err == nil
}

// sign is libsignal's XEdDSA (the Edwards sign bit in the top bit of byte
// 63) with the 64-byte Z.
func sign(k keyPair, M, Z []byte) []byte { return xed.Sign(k.raw, M, Z, true).Signature }

// verify checks an XEdDSA signature (libsignal's convention) under a
// 33-byte public key.
func verify(pub, M, sig []byte) bool {
	if len(pub) != 33 || pub[0] != 0x05 {
		return false
	}
	return xed.Verify(pub[1:], M, sig, true)
}

func hkdfKey(ikm, salt []byte, info string, n int) []byte {
	k, err := hkdf.Key(sha256.New, ikm, salt, info, n)
	if err != nil {
		log.Fatal(err)
	}
	return k
}

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// ctr is AES-256-CTR with a counter block of 16 zero bytes, incremented
// big-endian over the whole block.
func ctr(key, in []byte) []byte {
	b, err := aes.NewCipher(key)
	if err != nil {
		log.Fatal(err)
	}
	out := make([]byte, len(in))
	cipher.NewCTR(b, make([]byte, 16)).XORKeyStream(out, in)
	return out
}

// ctrMAC is sealed sender v1's cipher: AES-256-CTR, then the first 10
// bytes of HMAC-SHA256 over the ciphertext.
func ctrMAC(cipherKey, macKey, pt []byte) []byte {
	ct := ctr(cipherKey, pt)
	return append(ct, hmacSHA256(macKey, ct)[:10]...)
}

// openCtrMAC reverses ctrMAC; ok is false when the MAC does not match.
func openCtrMAC(cipherKey, macKey, in []byte) ([]byte, bool) {
	if len(in) < 10 {
		return nil, false
	}
	ct, mac := in[:len(in)-10], in[len(in)-10:]
	if !hmac.Equal(hmacSHA256(macKey, ct)[:10], mac) {
		return nil, false
	}
	return ctr(cipherKey, ct), true
}

// fixedNonce is an io.Reader yielding one 12-byte nonce: tink's AES-GCM-SIV
// draws its nonce from crypto/rand, which reads rand.Reader when that is
// replaced.
type fixedNonce struct{ nonce []byte }

func (r *fixedNonce) Read(b []byte) (int, error) {
	if len(b) != len(r.nonce) {
		return 0, fmt.Errorf("fixedNonce: read of %d bytes, want %d", len(b), len(r.nonce))
	}
	n := copy(b, r.nonce)
	r.nonce = nil
	return n, nil
}

var randMu sync.Mutex

// gcmSIVSeal is AES-GCM-SIV (RFC 8452) with an explicit 12-byte nonce,
// from tink-go (aead/subtle): ciphertext || 16-byte tag.
func gcmSIVSeal(key, nonce, pt, aad []byte) []byte {
	a, err := subtle.NewAESGCMSIV(key)
	if err != nil {
		log.Fatal(err)
	}
	randMu.Lock()
	saved := rand.Reader
	rand.Reader = &fixedNonce{nonce: append([]byte(nil), nonce...)}
	out, err := a.Encrypt(pt, aad)
	rand.Reader = saved
	randMu.Unlock()
	if err != nil {
		log.Fatal(err)
	}
	if !bytes.Equal(out[:12], nonce) {
		log.Fatalf("gcmSIVSeal: nonce %x, want %x", out[:12], nonce)
	}
	if back, err := a.Decrypt(out, aad); err != nil || !bytes.Equal(back, pt) {
		log.Fatal("gcmSIVSeal: does not open")
	}
	return out[12:]
}

// gcmSIVOpen opens ciphertext || tag under an explicit nonce.
func gcmSIVOpen(key, nonce, in, aad []byte) ([]byte, bool) {
	a, err := subtle.NewAESGCMSIV(key)
	if err != nil {
		log.Fatal(err)
	}
	pt, err := a.Decrypt(append(append([]byte(nil), nonce...), in...), aad)
	return pt, err == nil
}

var _ io.Reader = (*fixedNonce)(nil)

// flip returns a copy of b with bit m of byte i flipped (i < 0 counts from
// the end).
func flip(b []byte, i int, m byte) []byte {
	c := append([]byte(nil), b...)
	if i < 0 {
		i += len(c)
	}
	c[i] ^= m
	return c
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func xor(a, b []byte) []byte {
	out := make([]byte, len(a))
	for i := range a {
		out[i] = a[i] ^ b[i]
	}
	return out
}
