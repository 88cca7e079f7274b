package main

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"log"
	"math/big"
	"math/rand/v2"
)

// Standard-library primitives for OMEMO 2 (XEP-0384 0.8): Ed25519 identity
// keys used for X25519 through the birational map, HKDF-SHA-256, HMAC-SHA-256,
// AES-256-CBC with PKCS#7, and the fixed randomness of the vectors.

// fixed returns n deterministic bytes for a label.
func fixed(label string, n int) []byte {
	out := make([]byte, 0, n)
	for i := 0; len(out) < n; i++ {
		h := sha256.Sum256(fmt.Appendf(nil, "omemo2 vector %s %d", label, i))
		out = append(out, h[:]...)
	}
	return out[:n]
}

// drawSeed is the ChaCha8 seed of one operation's random draws (below 2^52,
// so that every JSON reader holds it exactly).
func drawSeed(label string) uint64 {
	h := sha256.Sum256([]byte("omemo2 draw seed " + label))
	return binary.LittleEndian.Uint64(h[:8]) & (1<<52 - 1)
}

// chacha8Stream returns the first n bytes of math/rand/v2's ChaCha8 keyed
// with LE64(seed) || 24 zero bytes: what crypto/rand yields in a Go test
// after testing/cryptotest.SetGlobalRandom(t, seed).
func chacha8Stream(seed uint64, n int) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:8], seed)
	b := make([]byte, n)
	rand.NewChaCha8(key).Read(b)
	return b
}

// x25519Key is an X25519 key pair; pub is the raw 32-byte u-coordinate
// (OMEMO 2 has no 0x05 prefix).
type x25519Key struct {
	raw  []byte
	priv *ecdh.PrivateKey
	pub  []byte
}

func x25519FromRaw(raw []byte) x25519Key {
	priv, err := ecdh.X25519().NewPrivateKey(raw)
	if err != nil {
		log.Fatal(err)
	}
	return x25519Key{raw: bytes.Clone(raw), priv: priv, pub: priv.PublicKey().Bytes()}
}

func dh(k x25519Key, pub []byte) []byte {
	p, err := ecdh.X25519().NewPublicKey(pub)
	if err != nil {
		log.Fatal(err)
	}
	out, err := k.priv.ECDH(p)
	if err != nil {
		log.Fatal(err)
	}
	return out
}

// identity is an OMEMO 2 identity key: an Ed25519 key made from a 32-byte
// seed (RFC 8032), whose clamped scalar SHA-512(seed)[0:32] is also its
// X25519 private key; the X25519 public key is the birational image of the
// Ed25519 point, u = (1 + y) / (1 - y) mod p.
type identity struct {
	seed   []byte
	ed     ed25519.PrivateKey
	edPub  []byte // 32 bytes, the wire form
	scalar []byte // clamped SHA-512(seed)[0:32]
	x      x25519Key
}

func newIdentity(label string) identity {
	seed := fixed("identity "+label, 32)
	ed := ed25519.NewKeyFromSeed(seed)
	h := sha512.Sum512(seed)
	s := h[:32]
	s[0] &= 248
	s[31] &= 127
	s[31] |= 64
	id := identity{seed: seed, ed: ed, edPub: bytes.Clone(ed[32:]), scalar: bytes.Clone(s), x: x25519FromRaw(s)}
	if !bytes.Equal(id.x.pub, edToMontgomery(id.edPub)) {
		log.Fatal("identity: X25519 public key is not the image of the Ed25519 key")
	}
	return id
}

var fieldP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))

// edToMontgomery maps an encoded Ed25519 point to its X25519 u-coordinate:
// u = (1 + y) / (1 - y) mod p, y from the low 255 bits (little endian).
func edToMontgomery(edPub []byte) []byte {
	le := bytes.Clone(edPub)
	le[31] &= 0x7f
	y := new(big.Int).SetBytes(reverse(le))
	one := big.NewInt(1)
	num := new(big.Int).Add(one, y)
	den := new(big.Int).Sub(one, y)
	den.Mod(den, fieldP)
	den.ModInverse(den, fieldP)
	u := num.Mul(num, den)
	u.Mod(u, fieldP)
	out := make([]byte, 32)
	u.FillBytes(out)
	return reverse(out)
}

func reverse(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[len(b)-1-i] = b[i]
	}
	return out
}

func hkdfSHA256(ikm, salt []byte, info string, n int) []byte {
	if salt == nil {
		salt = make([]byte, 32)
	}
	out, err := hkdf.Key(sha256.New, ikm, salt, info, n)
	if err != nil {
		log.Fatal(err)
	}
	return out
}

func hmacSHA256(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}

func pkcs7(b []byte) []byte {
	n := aes.BlockSize - len(b)%aes.BlockSize
	return append(bytes.Clone(b), bytes.Repeat([]byte{byte(n)}, n)...)
}

// cbcRaw encrypts already padded input.
func cbcRaw(key, iv, padded []byte) []byte {
	c, err := aes.NewCipher(key)
	if err != nil {
		log.Fatal(err)
	}
	out := make([]byte, len(padded))
	cipher.NewCBCEncrypter(c, iv).CryptBlocks(out, padded)
	return out
}

func cbcEncrypt(key, iv, plaintext []byte) []byte { return cbcRaw(key, iv, pkcs7(plaintext)) }

// flip returns a copy of b with bit 0 of byte i inverted (i < 0 counts from the end).
func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	if i < 0 {
		i += len(out)
	}
	out[i] ^= 0x01
	return out
}

func cbcDecrypt(key, iv, ct []byte) ([]byte, error) {
	c, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(c, iv).CryptBlocks(out, ct)
	n := int(out[len(out)-1])
	if n == 0 || n > aes.BlockSize || n > len(out) || !bytes.Equal(out[len(out)-n:], bytes.Repeat([]byte{byte(n)}, n)) {
		return nil, fmt.Errorf("bad padding")
	}
	return out[:len(out)-n], nil
}
