package bench

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/gcmsiv"
	"github.com/forwardsecret/signal/sealedsender"
	"github.com/forwardsecret/signal/x3dh"
	"github.com/forwardsecret/signal/xeddsa"
)

// The primitive floor of the sealed-sender scenarios: the operations that
// sealing and opening cannot avoid, as plain calls, with no protobuf, no
// certificate parsing and no stores.
//
//   - v1 seal: an ephemeral key pair, X25519 with the recipient's identity
//     key, HKDF, AES-256-CTR + HMAC-SHA256 of our identity key, X25519 of our
//     identity key with the recipient's, HKDF, AES-256-CTR + HMAC-SHA256 of
//     the content. Open: the two agreements, HKDFs, MAC checks and
//     decryptions.
//   - v2 seal: a random message key M, HKDF to the ephemeral scalar and
//     the AES-256-GCM-SIV key, the ephemeral public key, AES-256-GCM-SIV of
//     the content, and per recipient X25519 + HKDF (C = M xor KDF) and X25519
//     of our identity key + HKDF (the authentication tag). Open: X25519 +
//     HKDF to M, HKDF to the ephemeral scalar and its public key (compared
//     with E), HKDF to the key, AES-256-GCM-SIV open, X25519 + HKDF to check
//     the tag.
//   - validation (full scenarios): two XEdDSA verifications, the server
//     certificate under the trust root and the sender certificate under the
//     server key.
//   - the full scenarios add the session floor of PingPong100 (floor-v3,
//     floor-v4, objects and serialized modes); MultiRecipient1000/encrypt
//     adds a sender-key encryption (HMAC chain step, HKDF, AES-CBC, one
//     XEdDSA signature with a prepared key).
//
// X25519 is the library's curve package: its agreement costs what
// crypto/ecdh's does, and its fixed-base key generation is the fast one
// that an implementation would use (crypto/ecdh computes a public key with
// the variable-base ladder; see Cost/op=ecdh.GenerateKey). XEdDSA
// verification is crypto/ed25519 after the Montgomery-to-Edwards map
// (xeddsaVerify), signing is package xeddsa, AES-256-GCM-SIV is
// internal/gcmsiv (the standard library has none; Cost/op=gcmsiv.Seal/...
// sets it against crypto/cipher's AES-GCM). The content sealed is the same
// byte string as ours seals (certificate and inner message) in the
// envelope and multi-recipient scenarios, and the certificate followed by
// the floor's session message in the full ones.

func init() {
	for _, v := range []byte{3, 4} {
		im := &ssImpl{
			name:   map[byte]string{3: "floor-v3", 4: "floor-v4"}[v],
			stores: []string{"objects", "serialized"},
			full: func(b *testing.B, sv sealedsender.Version, st string) sender {
				return floorSSNewPair(b, v, sv, st == "serialized")
			},
		}
		if v == 4 {
			im.envelope = floorEnvelope
			im.multi = floorMulti
			im.multiStores = []string{"objects"}
			im.split = floorSplit
		}
		registerSS(im)
	}
}

var zeroIV [aes.BlockSize]byte

// ctrHMAC is AES-256-CTR from a zero counter block and the first 10 bytes
// of HMAC-SHA256 over the ciphertext.
func ctrHMAC(pt, key, macKey []byte) []byte {
	blk, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	out := make([]byte, len(pt), len(pt)+10)
	cipher.NewCTR(blk, zeroIV[:]).XORKeyStream(out, pt)
	m := hmac.New(sha256.New, macKey)
	m.Write(out)
	var tag [sha256.Size]byte
	return append(out, m.Sum(tag[:0])[:10]...)
}

func ctrHMACOpen(b *testing.B, ct, key, macKey []byte) []byte {
	body, tag := ct[:len(ct)-10], ct[len(ct)-10:]
	m := hmac.New(sha256.New, macKey)
	m.Write(body)
	var sum [sha256.Size]byte
	if subtle.ConstantTimeCompare(m.Sum(sum[:0])[:10], tag) != 1 {
		b.Fatal("floor: v1 MAC")
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	out := make([]byte, len(body))
	cipher.NewCTR(blk, zeroIV[:]).XORKeyStream(out, body)
	return out
}

func mustECDH(b *testing.B, k *curve.PrivateKey, pub curve.PublicKey) []byte {
	s, err := k.ECDH(pub)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func v1Salt(recipient, ephemeral curve.PublicKey) []byte {
	salt := make([]byte, 0, 20+2*curve.PublicKeySize)
	salt = append(salt, "UnidentifiedDelivery"...)
	return ephemeral.AppendBytes(recipient.AppendBytes(salt))
}

// floorV1Env is a v1 envelope's three fields (no protobuf).
type floorV1Env struct {
	eph         curve.PublicKey
	static, msg []byte
}

func floorSealV1(b *testing.B, s *curve.IdentityKeyPair, r curve.PublicKey, content []byte) floorV1Env {
	e, err := curve.GenerateKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	okm, _ := hkdf.Key(sha256.New, mustECDH(b, e.Private, r), v1Salt(r, e.Public), "", 96)
	static := ctrHMAC(s.PublicKey().Bytes(), okm[32:64], okm[64:])
	okm2, _ := hkdf.Key(sha256.New, mustECDH(b, s.PrivateKey(), r), append(okm[:32:32], static...), "", 96)
	return floorV1Env{eph: e.Public, static: static, msg: ctrHMAC(content, okm2[32:64], okm2[64:])}
}

// floorOpenV1 returns the sender's identity key and the content.
func floorOpenV1(b *testing.B, r *curve.IdentityKeyPair, env floorV1Env) (curve.PublicKey, []byte) {
	okm, _ := hkdf.Key(sha256.New, mustECDH(b, r.PrivateKey(), env.eph), v1Salt(r.PublicKey(), env.eph), "", 96)
	sender, err := curve.ParsePublicKey(ctrHMACOpen(b, env.static, okm[32:64], okm[64:]))
	if err != nil {
		b.Fatal(err)
	}
	okm2, _ := hkdf.Key(sha256.New, mustECDH(b, r.PrivateKey(), sender), append(okm[:32:32], env.static...), "", 96)
	return sender, ctrHMACOpen(b, env.msg, okm2[32:64], okm2[64:])
}

const (
	ssLabelR   = "Sealed Sender v2: r (2023-08)"
	ssLabelK   = "Sealed Sender v2: K"
	ssLabelDH  = "Sealed Sender v2: DH"
	ssLabelDHS = "Sealed Sender v2: DH-sender"
)

var zeroNonce [gcmsiv.NonceSize]byte

// floorV2 is the recipient-independent part of a v2 message.
type floorV2 struct {
	m  [32]byte
	e  *curve.PrivateKey
	E  curve.PublicKey
	ct []byte
}

func newFloorV2(b *testing.B, content []byte) *floorV2 {
	f := &floorV2{}
	rand.Read(f.m[:])
	r, _ := hkdf.Key(sha256.New, f.m[:], nil, ssLabelR, 32)
	var err error
	if f.e, err = curve.NewPrivateKey(r); err != nil {
		b.Fatal(err)
	}
	f.E = f.e.PublicKey()
	k, _ := hkdf.Key(sha256.New, f.m[:], nil, ssLabelK, 32)
	aead, err := gcmsiv.New(k)
	if err != nil {
		b.Fatal(err)
	}
	f.ct = aead.Seal(nil, zeroNonce[:], content, nil)
	return f
}

// v2C returns KDF(DH || E || R) xor in.
func v2C(b *testing.B, dh []byte, E, R curve.PublicKey, in []byte) []byte {
	ikm := make([]byte, 0, 32+2*curve.PublicKeySize)
	ikm = R.AppendBytes(E.AppendBytes(append(ikm, dh...)))
	out, _ := hkdf.Key(sha256.New, ikm, nil, ssLabelDH, 32)
	subtle.XORBytes(out, out, in)
	return out
}

// v2AT returns KDF(DH(S, R) || E || C || S || R).
func v2AT(dh []byte, E curve.PublicKey, c []byte, S, R curve.PublicKey) []byte {
	ikm := make([]byte, 0, 32+3*curve.PublicKeySize+len(c))
	ikm = R.AppendBytes(S.AppendBytes(append(E.AppendBytes(append(ikm, dh...)), c...)))
	out, _ := hkdf.Key(sha256.New, ikm, nil, ssLabelDHS, 16)
	return out
}

// appendKeyMaterial appends C || AT for recipient R.
func (f *floorV2) appendKeyMaterial(b *testing.B, dst []byte, s *curve.IdentityKeyPair, R curve.PublicKey) []byte {
	c := v2C(b, mustECDH(b, f.e, R), f.E, R, f.m[:])
	at := v2AT(mustECDH(b, s.PrivateKey(), R), f.E, c, s.PublicKey(), R)
	return append(append(dst, c...), at...)
}

// floorSealV2Single returns a received message (0x22 || C || AT || E ||
// ciphertext) for R.
func floorSealV2Single(b *testing.B, s *curve.IdentityKeyPair, R curve.PublicKey, content []byte) []byte {
	f := newFloorV2(b, content)
	out := make([]byte, 0, 1+48+32+len(f.ct))
	out = f.appendKeyMaterial(b, append(out, 0x22), s, R)
	u := f.E.U()
	return append(append(out, u[:]...), f.ct...)
}

// floorOpenV2 opens a received message from sender (whose key the floor
// knows: it parses no certificate) and returns the content.
func floorOpenV2(b *testing.B, r *curve.IdentityKeyPair, sender curve.PublicKey, env []byte) []byte {
	c, at := env[1:33], env[33:49]
	E, err := curve.NewPublicKey(env[49:81])
	if err != nil {
		b.Fatal(err)
	}
	R := r.PublicKey()
	m := v2C(b, mustECDH(b, r.PrivateKey(), E), E, R, c)
	rr, _ := hkdf.Key(sha256.New, m, nil, ssLabelR, 32)
	e, err := curve.NewPrivateKey(rr)
	if err != nil {
		b.Fatal(err)
	}
	eu, Eu := e.PublicKey().U(), E.U()
	if subtle.ConstantTimeCompare(eu[:], Eu[:]) != 1 {
		b.Fatal("floor: v2 ephemeral key")
	}
	k, _ := hkdf.Key(sha256.New, m, nil, ssLabelK, 32)
	aead, err := gcmsiv.New(k)
	if err != nil {
		b.Fatal(err)
	}
	content, err := aead.Open(nil, zeroNonce[:], env[81:], nil)
	if err != nil {
		b.Fatal("floor: v2 content", err)
	}
	if subtle.ConstantTimeCompare(v2AT(mustECDH(b, r.PrivateKey(), sender), E, c, sender, R), at) != 1 {
		b.Fatal("floor: v2 authentication tag")
	}
	return content
}

// floorCerts stands in for the certificate chain: a server certificate's
// signed part under the trust root and each sender certificate under the
// server key (validation is two XEdDSA verifications), and each sender's
// real certificate bytes, which travel inside the content.
type floorCerts struct {
	rootU, serverU        [32]byte
	serverData, serverSig []byte
	senderData, senderSig [2][]byte
	blob                  [2][]byte
}

func newFloorCerts(b *testing.B, ids [2]*curve.IdentityKeyPair) *floorCerts {
	w := newSSWorld(b)
	c := &floorCerts{rootU: w.root.PublicKey().U(), serverU: w.serverKey.PublicKey().U(), serverData: w.server.Bytes()[2:42]}
	var err error
	if c.serverSig, err = w.root.Sign(c.serverData); err != nil {
		b.Fatal(err)
	}
	for i, id := range ids {
		_, name := newACI()
		c.blob[i] = w.certify(b, name, id.PublicKey()).Bytes()
		c.senderData[i] = c.blob[i][:len(c.blob[i])-66] // about its signed part
		if c.senderSig[i], err = w.serverKey.Sign(c.senderData[i]); err != nil {
			b.Fatal(err)
		}
	}
	return c
}

func (c *floorCerts) validate(b *testing.B, from int) {
	if !xeddsaVerify(c.rootU, c.serverData, c.serverSig) || !xeddsaVerify(c.serverU, c.senderData[from], c.senderSig[from]) {
		b.Fatal("floor: certificate signature")
	}
}

// floorSSPair is the floor session of PingPong100 with every message
// sealed and opened.
type floorSSPair struct {
	fp    *floorPair
	v     sealedsender.Version
	id    [2]*curve.IdentityKeyPair
	certs *floorCerts
}

func floorSSNewPair(b *testing.B, v byte, sv sealedsender.Version, serialized bool) *floorSSPair {
	p := &floorSSPair{fp: floorNewPair(b, v, serialized), v: sv}
	for i := range p.id {
		var err error
		if p.id[i], err = curve.GenerateIdentityKeyPair(); err != nil {
			b.Fatal(err)
		}
	}
	p.certs = newFloorCerts(b, p.id)
	return p
}

func (p *floorSSPair) send(b *testing.B, from int, pt []byte) {
	fp := p.fp
	m := floorEncrypt(fp.p[from], pt)
	save(&fp.p[from], fp.serialized)
	blob := p.certs.blob[from]
	content := make([]byte, 0, len(blob)+len(m.ser)+len(m.tag))
	content = append(append(append(content, blob...), m.ser...), m.tag...)
	s, r := p.id[from], p.id[1-from]
	if p.v == sealedsender.V1 {
		sender, _ := floorOpenV1(b, r, floorSealV1(b, s, r.PublicKey(), content))
		if !sender.Equal(s.PublicKey()) {
			b.Fatal("floor: sender key")
		}
	} else {
		floorOpenV2(b, r, s.PublicKey(), floorSealV2Single(b, s, r.PublicKey(), content))
	}
	p.certs.validate(b, from)
	checkPlaintext(b, floorReceive(b, fp.p[1-from], m), pt)
	save(&fp.p[1-from], fp.serialized)
}

// floorEnvelope seals and opens the content that ours seals in the
// envelope scenario (the same bytes).
func floorEnvelope(b *testing.B, v sealedsender.Version) func() {
	content, err := ssContent(b, oursSSPair(b, newSSWorld(b), x3dh.V4, v, "objects")).MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	var ids [2]*curve.IdentityKeyPair
	for i := range ids {
		if ids[i], err = curve.GenerateIdentityKeyPair(); err != nil {
			b.Fatal(err)
		}
	}
	s, r := ids[0], ids[1]
	check := func(got []byte) {
		if len(got) != len(content) {
			b.Fatal("floor: opened a different content")
		}
	}
	if v == sealedsender.V1 {
		return func() {
			sender, got := floorOpenV1(b, r, floorSealV1(b, s, r.PublicKey(), content))
			if !sender.Equal(s.PublicKey()) {
				b.Fatal("floor: sender key")
			}
			check(got)
		}
	}
	return func() { check(floorOpenV2(b, r, s.PublicKey(), floorSealV2Single(b, s, r.PublicKey(), content))) }
}

// floorSenderKey is a sender-key chain with a prepared signing key.
type floorSenderKey struct {
	chain  [32]byte
	iter   uint32
	dist   [16]byte
	signer *xeddsa.PrivateKey
}

// encrypt is one sender-key message: chain step, HKDF to IV || key,
// AES-256-CBC, a header without protobuf, an XEdDSA signature.
func (k *floorSenderKey) encrypt(pt []byte) []byte {
	seed := chainStep(&k.chain)
	keys, _ := hkdf.Key(sha256.New, seed[:], nil, "WhisperGroup", 48)
	blk, err := aes.NewCipher(keys[16:])
	if err != nil {
		panic(err)
	}
	n := len(pt) - len(pt)%16 + 16
	msg := make([]byte, 0, 1+16+8+n+64)
	msg = append(msg, 0x33)
	msg = append(msg, k.dist[:]...)
	msg = binary.BigEndian.AppendUint32(msg, 1)
	msg = binary.BigEndian.AppendUint32(msg, k.iter)
	h := len(msg)
	msg = append(msg, pt...)
	for len(msg) < h+n {
		msg = append(msg, byte(n-len(pt)))
	}
	cipher.NewCBCEncrypter(blk, keys[:16]).CryptBlocks(msg[h:], msg[h:])
	k.iter++
	return append(msg, k.signer.Sign(msg, xeddsa.SignBit)...)
}

// floorMulti: a sender-key encryption of 100 B, the content (the
// certificate, that message, the group id: the sizes of ours), and the v2
// message for n recipients with one device each, in the sent-message
// layout. With GOMAXPROCS > 1 the per-recipient key materials are spread
// over GOMAXPROCS goroutines (as SealV2 does).
func floorMulti(b *testing.B, _ string, n int) func() {
	s, err := curve.GenerateIdentityKeyPair()
	if err != nil {
		b.Fatal(err)
	}
	w := newSSWorld(b)
	_, name := newACI()
	cert := w.certify(b, name, s.PublicKey()).Bytes()
	sk := &floorSenderKey{}
	rand.Read(sk.chain[:])
	rand.Read(sk.dist[:])
	signing, err := curve.GeneratePrivateKey()
	if err != nil {
		b.Fatal(err)
	}
	if sk.signer, err = xeddsa.NewPrivateKey(signing.Bytes()); err != nil {
		b.Fatal(err)
	}
	rs := make([]curve.PublicKey, n)
	ids := make([]sealedsender.ServiceID, n)
	for i := range rs {
		kp, err := curve.GenerateKeyPair()
		if err != nil {
			b.Fatal(err)
		}
		rs[i] = kp.Public
		ids[i], _ = newACI()
	}
	pt := message(100)
	const kmSize = 48
	return func() {
		body := sk.encrypt(pt)
		content := make([]byte, 0, len(cert)+len(body)+len(ssGroupID)+16)
		content = append(append(append(content, cert...), body...), ssGroupID...)
		f := newFloorV2(b, content)
		km := make([]byte, n*kmSize)
		each(n, runtime.GOMAXPROCS(0) > 1, func(i int) {
			f.appendKeyMaterial(b, km[i*kmSize:i*kmSize], s, rs[i])
		})
		out := make([]byte, 0, 1+binary.MaxVarintLen32+n*(sealedsender.ServiceIDSize+3+kmSize)+32+len(f.ct))
		out = append(out, 0x23)
		out = binary.AppendUvarint(out, uint64(n))
		for i := range rs {
			out = append(out, byte(ids[i].Kind))
			out = append(out, ids[i].UUID[:]...)
			out = append(out, 1, byte(i>>8&0x3f), byte(i))
			out = append(out, km[i*kmSize:(i+1)*kmSize]...)
		}
		u := f.E.U()
		sinkBytes = append(append(out, u[:]...), f.ct...)
	}
}

// floorSplit walks the sent message (no checks beyond the layout) and
// copies every recipient's received message.
func floorSplit(b *testing.B, n int) func() {
	sent, _ := ssSentMessage(b, n)
	kms := make([][]byte, 0, n)
	return func() {
		rest := sent[1:]
		count, k := binary.Uvarint(rest)
		if k <= 0 || count != uint64(n) {
			b.Fatal("floor: recipient count")
		}
		rest = rest[k:]
		kms = kms[:0]
		for range count {
			rest = rest[sealedsender.ServiceIDSize:]
			for {
				more := rest[1]&0x80 != 0
				rest = rest[3:]
				if !more {
					break
				}
			}
			kms = append(kms, rest[:48:48])
			rest = rest[48:]
		}
		out := sinkMessages[:0]
		for _, km := range kms {
			m := make([]byte, 0, 1+48+len(rest))
			out = append(out, append(append(append(m, 0x22), km...), rest...))
		}
		sinkMessages = out
	}
}
