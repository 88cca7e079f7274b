package bench

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/mlkem"
	"crypto/sha256"
	"crypto/sha3"
	"encoding/binary"
	"testing"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
	"github.com/forwardsecret/signal/curve"
)

// The primitive floor: the cryptographic operations of each scenario as
// plain standard-library calls (crypto/ecdh X25519, crypto/ed25519 for the
// XEdDSA verification after the Montgomery-to-Edwards map, crypto/hkdf,
// crypto/hmac chain steps and MAC, crypto/aes CBC, crypto/mlkem plus
// SHA3/SHAKE for round-3 Kyber1024 in v4, and edwards25519 for the
// responder's base-key subgroup check), with the least state handling that
// still works: no protobuf, no stores, no validation of local state.
//
// v4 also runs SPQR's symmetric part: the chain start from the PQXDH
// authentication key, one SPQR chain step (HKDF) per message on each side,
// and the SPQR key as the salt of the message keys. It does not run the
// ML-KEM braid (ML-KEM-768 key generation, encapsulation and decapsulation
// at epoch changes, erasure-coded chunks in every message), so floor-v4
// understates a triple ratchet's work, mostly in ping-pong where epochs
// advance.
//
// In "serialized" mode every party's state is written to a flat byte layout
// and read back after each operation, as the session layer's stores do with
// records; the ratchet private key is kept as raw bytes after a read and
// turned into an *ecdh.PrivateKey only when a DH step needs it.

func init() {
	for _, v := range []byte{3, 4} {
		register(&impl{
			name:   map[byte]string{3: "floor-v3", 4: "floor-v4"}[v],
			stores: []string{"objects", "serialized"},
			setup:  func(b *testing.B, st string) func() { return floorSetup(b, v, st == "serialized") },
			pair:   func(b *testing.B, st string) pair { return floorNewPair(b, v, st == "serialized") },
			fanout: func(b *testing.B, st string, n int) func([]byte, bool) {
				return floorFanout(b, v, st == "serialized", n)
			},
		})
	}
}

type fskipped struct {
	index uint32
	seed  [32]byte
	pqKey [32]byte // v4: the SPQR key of that message
}

// fparty is one side of a floor session.
type fparty struct {
	version              byte
	root, sendCK, recvCK [32]byte
	sendN, recvN, prevN  uint32
	priv                 *ecdh.PrivateKey // nil after a read until a DH step
	privRaw, pub         [32]byte         // our ratchet key
	theirs               [32]byte
	hasTheirs            bool
	id, peer             [33]byte
	skipped              []fskipped
	// v4: the SPQR chains (sending, receiving) and the index of their
	// last key (keys start at 1).
	pqSend, pqRecv   [32]byte
	pqSendN, pqRecvN uint32
}

type fmsg struct {
	pub     [32]byte
	counter uint32
	ser     []byte // version || 0x05 || pub || counter || previous counter || body
	tag     []byte
	body    []byte
}

func (p *fparty) key() *ecdh.PrivateKey {
	if p.priv == nil {
		k, err := ecdh.X25519().NewPrivateKey(p.privRaw[:])
		if err != nil {
			panic(err)
		}
		p.priv = k
	}
	return p.priv
}

func (p *fparty) setKey(k *ecdh.PrivateKey) {
	p.priv = k
	copy(p.privRaw[:], k.Bytes())
	copy(p.pub[:], k.PublicKey().Bytes())
}

func chainStep(ck *[32]byte) (seed [32]byte) {
	m := hmac.New(sha256.New, ck[:])
	m.Write([]byte{1})
	m.Sum(seed[:0])
	m.Reset()
	m.Write([]byte{2})
	m.Sum(ck[:0])
	return seed
}

func signalMAC(key []byte, sender, receiver *[33]byte, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(sender[:])
	m.Write(receiver[:])
	m.Write(msg)
	return m.Sum(nil)[:8]
}

// spqrStep derives the next key of an SPQR chain (v4): HKDF with 32 zero
// bytes of salt, info be32(index) || label, 64 bytes -> next chain | key.
func spqrStep(chain *[32]byte, n *uint32) (key [32]byte) {
	*n++
	info := binary.BigEndian.AppendUint32(make([]byte, 0, 40), *n)
	info = append(info, "Signal PQ Ratchet V1 Chain Next"...)
	okm, _ := hkdf.Key(sha256.New, chain[:], zeroSalt, string(info), 64)
	copy(chain[:], okm[:32])
	copy(key[:], okm[32:])
	return key
}

var zeroSalt = make([]byte, 32)

// messageKeys derives cipher key | MAC key | IV from a chain seed, salted
// with the SPQR key in v4.
func (p *fparty) messageKeys(seed, pqKey *[32]byte) []byte {
	var salt []byte
	if p.version == 4 {
		salt = pqKey[:]
	}
	keys, _ := hkdf.Key(sha256.New, seed[:], salt, "WhisperMessageKeys", 80)
	return keys
}

func floorEncrypt(p *fparty, pt []byte) *fmsg {
	seed := chainStep(&p.sendCK)
	var pqKey [32]byte
	if p.version == 4 {
		pqKey = spqrStep(&p.pqSend, &p.pqSendN)
	}
	keys := p.messageKeys(&seed, &pqKey)
	blk, _ := aes.NewCipher(keys[:32])
	n := len(pt) - len(pt)%16 + 16
	m := &fmsg{pub: p.pub, counter: p.sendN}
	m.ser = make([]byte, 0, 1+33+8+n)
	m.ser = append(m.ser, p.version<<4|p.version, 5)
	m.ser = append(m.ser, p.pub[:]...)
	m.ser = binary.BigEndian.AppendUint32(m.ser, p.sendN)
	m.ser = binary.BigEndian.AppendUint32(m.ser, p.prevN)
	h := len(m.ser)
	m.ser = append(m.ser, pt...)
	for len(m.ser) < h+n {
		m.ser = append(m.ser, byte(n-len(pt)))
	}
	m.body = m.ser[h:]
	cipher.NewCBCEncrypter(blk, keys[64:80]).CryptBlocks(m.body, m.body)
	m.tag = signalMAC(keys[32:64], &p.id, &p.peer, m.ser)
	p.sendN++
	return m
}

// floorRatchet is the receiver's DH step: an agreement with the peer's new
// key, a new key pair, a second agreement, two create_chain HKDFs.
func floorRatchet(b *testing.B, p *fparty, pub [32]byte) {
	theirs, err := ecdh.X25519().NewPublicKey(pub[:])
	if err != nil {
		b.Fatal(err)
	}
	dh, err := p.key().ECDH(theirs)
	if err != nil {
		b.Fatal(err)
	}
	okm, _ := hkdf.Key(sha256.New, dh, p.root[:], "WhisperRatchet", 64)
	copy(p.recvCK[:], okm[32:])
	p.recvN, p.prevN, p.sendN = 0, max(p.sendN, 1)-1, 0
	k, err := ecdh.X25519().GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	p.setKey(k)
	dh, err = k.ECDH(theirs)
	if err != nil {
		b.Fatal(err)
	}
	okm, _ = hkdf.Key(sha256.New, dh, okm[:32], "WhisperRatchet", 64)
	copy(p.root[:], okm[:32])
	copy(p.sendCK[:], okm[32:])
	p.theirs, p.hasTheirs = pub, true
}

func floorReceive(b *testing.B, p *fparty, m *fmsg) []byte {
	if !p.hasTheirs || m.pub != p.theirs {
		floorRatchet(b, p, m.pub)
	}
	for p.recvN < m.counter {
		sk := fskipped{index: p.recvN, seed: chainStep(&p.recvCK)}
		if p.version == 4 {
			sk.pqKey = spqrStep(&p.pqRecv, &p.pqRecvN)
		}
		p.skipped = append(p.skipped, sk)
		p.recvN++
	}
	seed := chainStep(&p.recvCK)
	p.recvN++
	var pqKey [32]byte
	if p.version == 4 {
		pqKey = spqrStep(&p.pqRecv, &p.pqRecvN)
	}
	keys := p.messageKeys(&seed, &pqKey)
	if !hmac.Equal(signalMAC(keys[32:64], &p.peer, &p.id, m.ser), m.tag) {
		b.Fatal("floor: bad MAC")
	}
	blk, _ := aes.NewCipher(keys[:32])
	out := make([]byte, len(m.body))
	cipher.NewCBCDecrypter(blk, keys[64:80]).CryptBlocks(out, m.body)
	return out[:len(out)-int(out[len(out)-1])]
}

// encode writes p in a flat layout; decode reads it back.
func (p *fparty) encode() []byte {
	out := make([]byte, 0, 512+len(p.skipped)*68)
	out = append(out, p.version)
	out = append(out, p.root[:]...)
	out = append(out, p.sendCK[:]...)
	out = append(out, p.recvCK[:]...)
	out = binary.BigEndian.AppendUint32(out, p.sendN)
	out = binary.BigEndian.AppendUint32(out, p.recvN)
	out = binary.BigEndian.AppendUint32(out, p.prevN)
	out = append(out, p.privRaw[:]...)
	out = append(out, p.pub[:]...)
	out = append(out, p.theirs[:]...)
	if p.hasTheirs {
		out = append(out, 1)
	} else {
		out = append(out, 0)
	}
	out = append(out, p.id[:]...)
	out = append(out, p.peer[:]...)
	out = append(out, p.pqSend[:]...)
	out = append(out, p.pqRecv[:]...)
	out = binary.BigEndian.AppendUint32(out, p.pqSendN)
	out = binary.BigEndian.AppendUint32(out, p.pqRecvN)
	out = binary.BigEndian.AppendUint32(out, uint32(len(p.skipped)))
	for i := range p.skipped {
		out = binary.BigEndian.AppendUint32(out, p.skipped[i].index)
		out = append(out, p.skipped[i].seed[:]...)
		if p.version == 4 {
			out = append(out, p.skipped[i].pqKey[:]...)
		}
	}
	return out
}

func decodeParty(b []byte) *fparty {
	p := &fparty{version: b[0]}
	b = b[1:]
	take := func(dst []byte) { copy(dst, b); b = b[len(dst):] }
	u32 := func() uint32 { v := binary.BigEndian.Uint32(b); b = b[4:]; return v }
	take(p.root[:])
	take(p.sendCK[:])
	take(p.recvCK[:])
	p.sendN, p.recvN, p.prevN = u32(), u32(), u32()
	take(p.privRaw[:])
	take(p.pub[:])
	take(p.theirs[:])
	p.hasTheirs = b[0] == 1
	b = b[1:]
	take(p.id[:])
	take(p.peer[:])
	take(p.pqSend[:])
	take(p.pqRecv[:])
	p.pqSendN, p.pqRecvN = u32(), u32()
	p.skipped = make([]fskipped, u32())
	for i := range p.skipped {
		p.skipped[i].index = u32()
		take(p.skipped[i].seed[:])
		if p.version == 4 {
			take(p.skipped[i].pqKey[:])
		}
	}
	return p
}

// save is a store round trip in serialized mode.
func save(p **fparty, serialized bool) {
	if serialized {
		*p = decodeParty((*p).encode())
	}
}

// floorFixture is Bob's published keys and Alice's identity.
type floorFixture struct {
	version         byte
	aliceID         *ecdh.PrivateKey
	alicePub        [33]byte
	bobID, spk, opk *ecdh.PrivateKey
	bobU            [32]byte
	bobPub          [33]byte
	spkPub          [33]byte
	spkSig          []byte
	kemPub          []byte // 0x08 || ML-KEM-1024 encapsulation key
	kemSig          []byte
	ek              *mlkem.EncapsulationKey1024
	dk              *mlkem.DecapsulationKey1024
}

func ecdhKey(b *testing.B, k *curve.PrivateKey) *ecdh.PrivateKey {
	e, err := ecdh.X25519().NewPrivateKey(k.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	return e
}

func newFloorFixture(b *testing.B, v byte) *floorFixture {
	alice, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	bob, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	f := &floorFixture{version: v, aliceID: ecdhKey(b, alice.PrivateKey()), bobID: ecdhKey(b, bob.PrivateKey()),
		bobU: bob.PublicKey().U()}
	copy(f.alicePub[:], alice.PublicKey().Bytes())
	copy(f.bobPub[:], bob.PublicKey().Bytes())
	for _, k := range []**ecdh.PrivateKey{&f.spk, &f.opk} {
		if *k, err = ecdh.X25519().GenerateKey(nil); err != nil {
			b.Fatal(err)
		}
	}
	f.spkPub[0] = 5
	copy(f.spkPub[1:], f.spk.PublicKey().Bytes())
	if f.spkSig, err = bob.Sign(f.spkPub[:]); err != nil {
		b.Fatal(err)
	}
	if v == 4 {
		if f.dk, err = mlkem.GenerateKey1024(); err != nil {
			b.Fatal(err)
		}
		f.ek = f.dk.EncapsulationKey()
		f.kemPub = append([]byte{8}, f.ek.Bytes()...)
		if f.kemSig, err = bob.Sign(f.kemPub); err != nil {
			b.Fatal(err)
		}
	}
	return f
}

// xeddsaVerify is XEdDSA verification with libsignal's sign-bit
// convention: map u to the Edwards y, take the sign from the signature's
// top bit, and verify as Ed25519.
func xeddsaVerify(u [32]byte, msg, sig []byte) bool {
	fu, err := new(field.Element).SetBytes(u[:])
	if err != nil || len(sig) != 64 {
		return false
	}
	one := new(field.Element).One()
	den := new(field.Element).Add(fu, one)
	den.Invert(den)
	y := new(field.Element).Subtract(fu, one)
	y.Multiply(y, den)
	var pub [32]byte
	copy(pub[:], y.Bytes())
	pub[31] |= sig[63] & 0x80
	var s [64]byte
	copy(s[:], sig)
	s[63] &= 0x7f
	return ed25519.Verify(pub[:], msg, s[:])
}

// lMinusOne is the group order minus one, little-endian.
var lMinusOne = func() *edwards25519.Scalar {
	b := [32]byte{0xec, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		31: 0x10}
	s, err := edwards25519.NewScalar().SetCanonicalBytes(b[:])
	if err != nil {
		panic(err)
	}
	return s
}()

// torsionFree is the responder's base-key check: the point is on the curve
// and in the prime-order subgroup.
func torsionFree(u []byte) bool {
	fu, err := new(field.Element).SetBytes(u)
	if err != nil {
		return false
	}
	one := new(field.Element).One()
	den := new(field.Element).Add(fu, one)
	den.Invert(den)
	y := new(field.Element).Subtract(fu, one)
	y.Multiply(y, den)
	P, err := new(edwards25519.Point).SetBytes(y.Bytes())
	if err != nil {
		return false
	}
	Q := new(edwards25519.Point).ScalarMult(lMinusOne, P)
	return Q.Add(Q, P).Equal(edwards25519.NewIdentityPoint()) == 1
}

func kyberTransform(k, c []byte) []byte {
	hc := sha3.Sum256(c)
	h := sha3.NewSHAKE256()
	h.Write(k)
	h.Write(hc[:])
	out := make([]byte, 32)
	h.Read(out)
	return out
}

func mustDH(b *testing.B, k *ecdh.PrivateKey, pub []byte) []byte {
	p, err := ecdh.X25519().NewPublicKey(pub)
	if err != nil {
		b.Fatal(err)
	}
	s, err := k.ECDH(p)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

var ff32 = bytes.Repeat([]byte{0xff}, 32)

func info(v byte) (string, int) {
	if v == 4 {
		return "WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024", 96
	}
	return "WhisperText", 64
}

// handshake runs X3DH/PQXDH and returns Alice after her first message m,
// and Bob after decrypting it.
func (f *floorFixture) handshake(b *testing.B, pt []byte, serialized bool) (alice, bob *fparty) {
	v := f.version
	// Alice: verify the bundle, agree, derive, start the ratchet, encrypt.
	if !xeddsaVerify(f.bobU, f.spkPub[:], f.spkSig) {
		b.Fatal("floor: signed prekey signature")
	}
	if v == 4 && !xeddsaVerify(f.bobU, f.kemPub, f.kemSig) {
		b.Fatal("floor: KEM prekey signature")
	}
	base, err := ecdh.X25519().GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	secret := make([]byte, 0, 192)
	secret = append(secret, ff32...)
	secret = append(secret, mustDH(b, f.aliceID, f.spkPub[1:])...)
	secret = append(secret, mustDH(b, base, f.bobPub[1:])...)
	secret = append(secret, mustDH(b, base, f.spkPub[1:])...)
	secret = append(secret, mustDH(b, base, f.opk.PublicKey().Bytes())...)
	var ct []byte
	if v == 4 {
		k, c := f.ek.Encapsulate()
		ct = c
		secret = append(secret, kyberTransform(k, c)...)
	}
	inf, n := info(v)
	okm, _ := hkdf.Key(sha256.New, secret, nil, inf, n)
	alice = &fparty{version: v, id: f.alicePub, peer: f.bobPub, recvCK: [32]byte(okm[32:64]), hasTheirs: true}
	if v == 4 {
		a2b, b2a := spqrStart(okm[64:96])
		alice.pqSend, alice.pqRecv = a2b, b2a
	}
	copy(alice.theirs[:], f.spkPub[1:])
	ra, err := ecdh.X25519().GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	alice.setKey(ra)
	rk, _ := hkdf.Key(sha256.New, mustDH(b, ra, f.spkPub[1:]), okm[:32], "WhisperRatchet", 64)
	copy(alice.root[:], rk[:32])
	copy(alice.sendCK[:], rk[32:])
	save(&alice, serialized)
	m := floorEncrypt(alice, pt)
	save(&alice, serialized)
	basePub := base.PublicKey().Bytes()
	wrapped := make([]byte, 0, 128+len(ct)+len(m.ser))
	wrapped = append(wrapped, basePub...)
	wrapped = append(wrapped, f.alicePub[:]...)
	wrapped = append(wrapped, ct...)
	wrapped = append(wrapped, m.ser...)
	sinkBytes = append(wrapped, m.tag...)

	// Bob: check the base key, agree, derive, decrypt (a DH ratchet step).
	if !torsionFree(basePub) {
		b.Fatal("floor: base key")
	}
	secret = append(secret[:0], ff32...)
	secret = append(secret, mustDH(b, f.spk, f.alicePub[1:])...)
	secret = append(secret, mustDH(b, f.bobID, basePub)...)
	secret = append(secret, mustDH(b, f.spk, basePub)...)
	secret = append(secret, mustDH(b, f.opk, basePub)...)
	if v == 4 {
		k, err := f.dk.Decapsulate(ct)
		if err != nil {
			b.Fatal(err)
		}
		secret = append(secret, kyberTransform(k, ct)...)
	}
	okm, _ = hkdf.Key(sha256.New, secret, nil, inf, n)
	bob = &fparty{version: v, id: f.bobPub, peer: f.alicePub, root: [32]byte(okm[:32]), sendCK: [32]byte(okm[32:64])}
	if v == 4 {
		a2b, b2a := spqrStart(okm[64:96])
		bob.pqSend, bob.pqRecv = b2a, a2b
	}
	bob.setKey(f.spk)
	checkPlaintext(b, floorReceive(b, bob, m), pt)
	save(&bob, serialized)
	return alice, bob
}

var sinkBytes []byte

// spqrStart derives the SPQR chains from the PQXDH authentication key:
// HKDF(32 zero bytes, auth key, "...Chain  Start", 96) -> root | A2B | B2A.
func spqrStart(authKey []byte) (a2b, b2a [32]byte) {
	okm, _ := hkdf.Key(sha256.New, authKey, zeroSalt, "Signal PQ Ratchet V1 Chain  Start", 96)
	return [32]byte(okm[32:64]), [32]byte(okm[64:96])
}

func floorSetup(b *testing.B, v byte, serialized bool) func() {
	f := newFloorFixture(b, v)
	pt := message(100)
	return func() { f.handshake(b, pt, serialized) }
}

type floorPair struct {
	p          [2]*fparty
	serialized bool
}

func floorNewPair(b *testing.B, v byte, serialized bool) *floorPair {
	pt := message(100)
	a, bob := newFloorFixture(b, v).handshake(b, pt, serialized)
	p := &floorPair{p: [2]*fparty{a, bob}, serialized: serialized}
	p.send(b, 1, pt)
	return p
}

func (p *floorPair) send(b *testing.B, from int, pt []byte) {
	m := floorEncrypt(p.p[from], pt)
	save(&p.p[from], p.serialized)
	checkPlaintext(b, floorReceive(b, p.p[1-from], m), pt)
	save(&p.p[1-from], p.serialized)
}

func (p *floorPair) drop(b *testing.B, from int, pt []byte) {
	floorEncrypt(p.p[from], pt)
	save(&p.p[from], p.serialized)
}

func (p *floorPair) record(b *testing.B, party int) (func(), int) {
	q := p.p[party]
	return func() { sinkParty = decodeParty(q.encode()) }, len(q.encode())
}

var sinkParty *fparty

func floorFanout(b *testing.B, v byte, serialized bool, n int) func([]byte, bool) {
	f := newFloorFixture(b, v)
	senders := make([]*fparty, n)
	pt := message(100)
	for i := range senders {
		a, bob := f.handshake(b, pt, false)
		p := &floorPair{p: [2]*fparty{a, bob}}
		p.send(b, 1, pt)
		senders[i] = p.p[0]
	}
	return func(pt []byte, parallel bool) {
		each(n, parallel, func(i int) {
			floorEncrypt(senders[i], pt)
			save(&senders[i], serialized)
		})
	}
}
