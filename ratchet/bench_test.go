package ratchet

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"testing"

	"github.com/forwardsecret/signal/internal/cputime"
)

// The benchmarks come in pairs: the package's path for one message
// (Encrypt, the message MAC, Decrypt with the MAC checked in verify) and the
// "primitive floor": the same cryptographic operations written as plain
// standard-library calls (crypto/hmac for the chain steps and the MAC,
// crypto/hkdf, crypto/aes + crypto/cipher CBC, crypto/ecdh for the DH
// steps), with no state handling at all. Compare each pair with benchstat.

func benchOneWay(b *testing.B, size int) {
	alice, bob := newPair(b)
	pt := make([]byte, size)
	ser := make([]byte, 0, size+64)
	encDec(b, alice.s, bob.s, alice.id, bob.id, pt, ser) // Bob's DH step
	b.SetBytes(int64(size))
	b.ReportAllocs()
	stop := cputime.MeasureProcess(b)
	for b.Loop() {
		encDec(b, alice.s, bob.s, alice.id, bob.id, pt, ser)
	}
	stop()
}

func BenchmarkEncryptDecrypt100(b *testing.B)   { benchOneWay(b, 100) }
func BenchmarkEncryptDecrypt16KiB(b *testing.B) { benchOneWay(b, 16<<10) }

// BenchmarkPingPong alternates the direction of every message, so every
// Decrypt performs a DH ratchet step (two X25519 agreements, one key
// generation, two root-key HKDFs).
func BenchmarkPingPong100(b *testing.B) {
	alice, bob := newPair(b)
	pt := make([]byte, 100)
	ser := make([]byte, 0, 256)
	p := [2]*party{alice, bob}
	b.SetBytes(100)
	b.ReportAllocs()
	i := 0
	stop := cputime.MeasureProcess(b)
	for b.Loop() {
		from, to := p[i&1], p[1-i&1]
		encDec(b, from.s, to.s, from.id, to.id, pt, ser)
		i++
	}
	stop()
}

// floorParty is the primitive floor's state: just keys.
type floorParty struct {
	root, send, recv []byte
	priv             *ecdh.PrivateKey
	theirs           *ecdh.PublicKey
	id, peer         []byte // 33-byte identities
}

func floorChainStep(ck []byte) (seed, next []byte) {
	m := hmac.New(sha256.New, ck)
	m.Write([]byte{1})
	seed = m.Sum(nil)
	m.Reset()
	m.Write([]byte{2})
	return seed, m.Sum(nil)
}

func floorMAC(key, sender, receiver, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(sender)
	m.Write(receiver)
	m.Write(msg)
	return m.Sum(nil)[:8]
}

func floorEncrypt(p *floorParty, pt, ser []byte) (body, tag []byte) {
	seed, next := floorChainStep(p.send)
	p.send = next
	keys, _ := hkdf.Key(sha256.New, seed, nil, "WhisperMessageKeys", 80)
	blk, _ := aes.NewCipher(keys[:32])
	n := len(pt) - len(pt)%16 + 16
	body = make([]byte, n)
	copy(body, pt)
	for i := len(pt); i < n; i++ {
		body[i] = byte(n - len(pt))
	}
	cipher.NewCBCEncrypter(blk, keys[64:80]).CryptBlocks(body, body)
	ser = append(ser[:0], body...)
	return body, floorMAC(keys[32:64], p.id, p.peer, ser)
}

func floorDecrypt(b *testing.B, p *floorParty, body, tag, ser []byte) []byte {
	seed, next := floorChainStep(p.recv)
	p.recv = next
	keys, _ := hkdf.Key(sha256.New, seed, nil, "WhisperMessageKeys", 80)
	ser = append(ser[:0], body...)
	if !hmac.Equal(floorMAC(keys[32:64], p.peer, p.id, ser), tag) {
		b.Fatal("floor: bad MAC")
	}
	blk, _ := aes.NewCipher(keys[:32])
	out := make([]byte, len(body))
	cipher.NewCBCDecrypter(blk, keys[64:80]).CryptBlocks(out, body)
	return out[:len(out)-int(out[len(out)-1])]
}

// floorRatchet is the receiver's DH step: two agreements with the peer's
// new key, one key generation, two create_chain HKDFs.
func floorRatchet(p *floorParty, theirs *ecdh.PublicKey) {
	dh, _ := p.priv.ECDH(theirs)
	okm, _ := hkdf.Key(sha256.New, dh, p.root, "WhisperRatchet", 64)
	p.recv = okm[32:]
	p.priv, _ = ecdh.X25519().GenerateKey(nil)
	dh, _ = p.priv.ECDH(theirs)
	okm, _ = hkdf.Key(sha256.New, dh, okm[:32], "WhisperRatchet", 64)
	p.root, p.send = okm[:32], okm[32:]
	p.theirs = theirs
}

// newFloorPair initializes the floor's Alice and Bob as NewAlice and NewBob
// do, so that their chains agree.
func newFloorPair() (a, b *floorParty) {
	root, chain := make([]byte, 32), make([]byte, 32)
	ida, idb := make([]byte, 33), make([]byte, 33)
	ida[0], idb[0], ida[1], idb[1] = 5, 5, 1, 2
	spk, _ := ecdh.X25519().GenerateKey(nil)
	b = &floorParty{root: root, send: chain, priv: spk, id: idb, peer: ida}
	a = &floorParty{recv: chain, id: ida, peer: idb, theirs: spk.PublicKey()}
	a.priv, _ = ecdh.X25519().GenerateKey(nil)
	dh, _ := a.priv.ECDH(spk.PublicKey())
	okm, _ := hkdf.Key(sha256.New, dh, root, "WhisperRatchet", 64)
	a.root, a.send = okm[:32], okm[32:]
	return a, b
}

func benchFloorOneWay(b *testing.B, size int) {
	alice, bob := newFloorPair()
	pt := make([]byte, size)
	ser := make([]byte, 0, size+64)
	body, tag := floorEncrypt(alice, pt, ser)
	floorRatchet(bob, alice.priv.PublicKey())
	floorDecrypt(b, bob, body, tag, ser)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	stop := cputime.MeasureProcess(b)
	for b.Loop() {
		body, tag := floorEncrypt(alice, pt, ser)
		floorDecrypt(b, bob, body, tag, ser)
	}
	stop()
}

func BenchmarkFloorEncryptDecrypt100(b *testing.B)   { benchFloorOneWay(b, 100) }
func BenchmarkFloorEncryptDecrypt16KiB(b *testing.B) { benchFloorOneWay(b, 16<<10) }

func BenchmarkFloorPingPong100(b *testing.B) {
	alice, bob := newFloorPair()
	p := [2]*floorParty{alice, bob}
	pt := make([]byte, 100)
	ser := make([]byte, 0, 256)
	b.SetBytes(100)
	b.ReportAllocs()
	i := 0
	stop := cputime.MeasureProcess(b)
	for b.Loop() {
		from, to := p[i&1], p[1-i&1]
		body, tag := floorEncrypt(from, pt, ser)
		if pub := from.priv.PublicKey(); to.theirs == nil || !pub.Equal(to.theirs) {
			floorRatchet(to, pub)
		}
		floorDecrypt(b, to, body, tag, ser)
		i++
	}
	stop()
}
