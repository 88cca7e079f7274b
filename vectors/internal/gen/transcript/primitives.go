package main

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"math/big"
	"math/rand/v2"
)

// Standard-library primitives: deterministic keys and random draws, X25519,
// HKDF and HMAC, the Double Ratchet's KDFs, AES-256-CBC, and byte tweaks.

// fixed returns n deterministic bytes for a label.
func fixed(label string, n int) []byte {
	out := make([]byte, 0, n)
	for i := 0; len(out) < n; i++ {
		h := sha256.Sum256([]byte(fmt.Sprintf("transcript vector %s %d", label, i)))
		out = append(out, h[:]...)
	}
	return out[:n]
}

type keyPair struct {
	raw  []byte
	priv *ecdh.PrivateKey
	pub  []byte // 33 bytes
}

func newKey(label string) keyPair { return keyFromRaw(fixed(label, 32)) }

// drawSeed is the ChaCha8 seed of one group of random draws (below 2^52, so
// that every JSON reader holds it exactly).
func drawSeed(label string) uint64 {
	h := sha256.Sum256([]byte("transcript draw seed " + label))
	return binary.LittleEndian.Uint64(h[:8]) & (1<<52 - 1)
}

// chacha8Stream returns the first n bytes of math/rand/v2's ChaCha8 (C2SP
// chacha8rand) keyed with the 32-byte seed LE64(seed) || 24 zero bytes:
// exactly what crypto/rand yields in a Go test after
// testing/cryptotest.SetGlobalRandom(t, seed).
func chacha8Stream(seed uint64, n int) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:8], seed)
	b := make([]byte, n)
	rand.NewChaCha8(key).Read(b)
	return b
}

func keyFromRaw(raw []byte) keyPair {
	priv, err := ecdh.X25519().NewPrivateKey(raw)
	if err != nil {
		log.Fatal(err)
	}
	return keyPair{raw: raw, priv: priv, pub: append([]byte{0x05}, priv.PublicKey().Bytes()...)}
}

func (k keyPair) json() KeyJSON { return KeyJSON{Private: x(k.raw), Public: x(k.pub)} }

func (k keyPair) jsonSeed(seed *uint64) KeyJSON {
	j := k.json()
	j.DrawSeed = seed
	return j
}

func dh(a keyPair, pub []byte) []byte {
	p, err := ecdh.X25519().NewPublicKey(pub[1:])
	if err != nil {
		log.Fatal(err)
	}
	s, err := a.priv.ECDH(p)
	if err != nil {
		log.Fatal(err)
	}
	return s
}

func hkdfKey(secret, salt []byte, info string, n int) []byte {
	k, err := hkdf.Key(sha256.New, secret, salt, info, n)
	if err != nil {
		log.Fatal(err)
	}
	return k
}

func hmacSHA256(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// rootStep is the Double Ratchet's KDF_RK in Signal's suite.
func rootStep(root, dhOut []byte) (newRoot, chain []byte) {
	k := hkdfKey(dhOut, root, "WhisperRatchet", 64)
	return k[:32], k[32:]
}

// chainStep returns the message-key seed and the next chain key.
func chainStep(ck []byte) (seed, next []byte) {
	return hmacSHA256(ck, []byte{1}), hmacSHA256(ck, []byte{2})
}

type msgKeys struct{ cipher, mac, iv []byte }

// messageKeys derives the message keys from a chain's seed; salt is the
// SPQR message key (v4) or nil (v3: HKDF's default salt).
func messageKeys(seed, salt []byte) msgKeys {
	k := hkdfKey(seed, salt, "WhisperMessageKeys", 80)
	return msgKeys{k[:32], k[32:64], k[64:80]}
}

func cbcEncrypt(k msgKeys, pt []byte) []byte {
	b, _ := aes.NewCipher(k.cipher)
	n := 16 - len(pt)%16
	buf := append(append([]byte(nil), pt...), bytes.Repeat([]byte{byte(n)}, n)...)
	cipher.NewCBCEncrypter(b, k.iv).CryptBlocks(buf, buf)
	return buf
}

func cbcDecrypt(k msgKeys, ct []byte) ([]byte, error) {
	if len(ct) == 0 || len(ct)%16 != 0 {
		return nil, errors.New("bad ciphertext length")
	}
	b, _ := aes.NewCipher(k.cipher)
	buf := append([]byte(nil), ct...)
	cipher.NewCBCDecrypter(b, k.iv).CryptBlocks(buf, buf)
	n := int(buf[len(buf)-1])
	if n == 0 || n > 16 {
		return nil, errors.New("bad padding")
	}
	return buf[:len(buf)-n], nil
}

var p25519 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))

func toLE(v *big.Int) []byte {
	b := v.FillBytes(make([]byte, 32))
	for i, j := 0, 31; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return b
}

func flipByte(b []byte, i int, m byte) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= m
	return c
}
