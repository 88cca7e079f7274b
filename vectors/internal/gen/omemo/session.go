package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log"
)

// OMEMO 2 labels (XEP-0384 0.8, section "Cryptographic primitives").
const (
	infoX3DH        = "OMEMO X3DH"
	infoRoot        = "OMEMO Root Chain"
	infoMessageKeys = "OMEMO Message Key Material"
	infoPayload     = "OMEMO Payload"
	macSize         = 16   // truncated HMAC-SHA-256 of messages and payloads
	maxSkip         = 1000 // message keys one message may skip (python-omemo's default)
	stalenessLimit  = 53   // python-omemo's STALENESS_MAGIC_NUMBER
	namespace       = "urn:xmpp:omemo:2"
)

var x = hex.EncodeToString

// party is one device with its Double Ratchet state.
type party struct {
	name     string
	jid      string
	deviceID uint32
	id       identity

	// Bob's published prekeys.
	spk    x25519Key
	spkID  uint32
	spkSig []byte
	opk    x25519Key
	opkID  uint32

	rk, cks, ckr []byte
	dhs          x25519Key
	dhr          []byte
	ns, nr, pn   uint32
	skipped      map[string][]byte // hex(ratchet pub) + "/" + n -> message key
	ad           []byte
	started      bool
	initiator    bool
	confirmed    bool
	kex          *kexFields // initiator's key exchange, attached until confirmed
	drawnKeys    []string   // ratchet private keys in the order drawn
}

type kexFields struct {
	pkID, spkID uint32
	ik, ek      []byte
}

func skipKey(pub []byte, n uint32) string { return fmt.Sprintf("%x/%d", pub, n) }

// kdfRK is the root chain step: HKDF-SHA-256(salt = RK, IKM = DH output,
// info "OMEMO Root Chain", 64 bytes) -> (RK', CK).
func kdfRK(rk, dhOut []byte) (root, chain []byte) {
	out := hkdfSHA256(dhOut, rk, infoRoot, 64)
	return out[:32], out[32:]
}

// kdfCK is the message chain step: MK = HMAC(CK, 0x01), CK' = HMAC(CK, 0x02).
func kdfCK(ck []byte) (next, mk []byte) {
	return hmacSHA256(ck, []byte{0x02}), hmacSHA256(ck, []byte{0x01})
}

// messageKeys splits HKDF-SHA-256(salt = 32 zero bytes, IKM = MK, info
// "OMEMO Message Key Material", 80 bytes) into the AES-256 key, the HMAC key
// and the CBC IV.
func messageKeys(mk []byte) (enc, auth, iv []byte) {
	out := hkdfSHA256(mk, nil, infoMessageKeys, 80)
	return out[:32], out[32:64], out[64:]
}

// payloadKeys: the same split of HKDF-SHA-256(salt = 32 zero bytes, IKM =
// the 32-byte payload key, info "OMEMO Payload", 80 bytes).
func payloadKeys(key []byte) (enc, auth, iv []byte) {
	out := hkdfSHA256(key, nil, infoPayload, 80)
	return out[:32], out[32:64], out[64:]
}

// Payload is an encrypted XML payload (the SCE envelope in clients).
type Payload struct {
	Key        string `json:"key"`
	EncKey     string `json:"enc_key"`
	AuthKey    string `json:"auth_key"`
	IV         string `json:"iv"`
	Plaintext  string `json:"plaintext"`
	Ciphertext string `json:"ciphertext"`
	Tag        string `json:"tag"`
}

func makePayload(key, plaintext []byte) (Payload, []byte, []byte) {
	enc, auth, iv := payloadKeys(key)
	ct := cbcEncrypt(enc, iv, plaintext)
	tag := hmacSHA256(auth, ct)[:macSize]
	return Payload{Key: x(key), EncKey: x(enc), AuthKey: x(auth), IV: x(iv), Plaintext: x(plaintext), Ciphertext: x(ct), Tag: x(tag)}, ct, tag
}

// Handshake is the X3DH run of a session (XEP-0384 0.8 with the "OMEMO X3DH" info).
type Handshake struct {
	EphemeralPrivate string `json:"ephemeral_private"`
	EphemeralPublic  string `json:"ephemeral_public"`
	DH1              string `json:"dh1"`
	DH2              string `json:"dh2"`
	DH3              string `json:"dh3"`
	DH4              string `json:"dh4"`
	IKM              string `json:"ikm"`
	SK               string `json:"sk"`
	AD               string `json:"ad"`
}

// x3dhActive runs Alice's side against Bob's bundle and returns SK, AD and the record.
func x3dhActive(a, b *party, ek x25519Key) ([]byte, []byte, Handshake) {
	bIK := edToMontgomery(b.id.edPub)
	dh1 := dh(a.id.x, b.spk.pub)
	dh2 := dh(ek, bIK)
	dh3 := dh(ek, b.spk.pub)
	dh4 := dh(ek, b.opk.pub)
	ikm := bytes.Repeat([]byte{0xff}, 32)
	ikm = append(append(append(append(ikm, dh1...), dh2...), dh3...), dh4...)
	sk := hkdfSHA256(ikm, nil, infoX3DH, 32)
	ad := append(bytes.Clone(a.id.edPub), b.id.edPub...)
	// Bob's side must agree.
	bdh1 := dh(b.spk, a.id.x.pub)
	bdh2 := dh(b.id.x, ek.pub)
	if !bytes.Equal(dh1, bdh1) || !bytes.Equal(dh2, bdh2) {
		log.Fatal("x3dh: the two sides disagree")
	}
	return sk, ad, Handshake{
		EphemeralPrivate: x(ek.raw), EphemeralPublic: x(ek.pub),
		DH1: x(dh1), DH2: x(dh2), DH3: x(dh3), DH4: x(dh4), IKM: x(ikm), SK: x(sk), AD: x(ad),
	}
}

// Message is one OMEMO 2 message from one device to one device as it
// travels: the <key> element's content and the <payload>.
type Message struct {
	ID                   int      `json:"id"`
	Sender               string   `json:"sender"`
	N                    uint32   `json:"n"`
	PN                   uint32   `json:"pn"`
	RatchetPublic        string   `json:"dh_pub"`
	ChainKey             string   `json:"chain_key"`
	MessageKey           string   `json:"message_key"`
	EncKey               string   `json:"enc_key"`
	AuthKey              string   `json:"auth_key"`
	IV                   string   `json:"iv"`
	Empty                bool     `json:"empty,omitempty"`
	KeyMaterial          string   `json:"key_material"`
	OMEMOMessage         string   `json:"omemo_message"`
	MAC                  string   `json:"mac"`
	AuthenticatedMessage string   `json:"authenticated_message"`
	KEX                  bool     `json:"kex"`
	KeyExchange          string   `json:"key_exchange,omitempty"`
	Key                  string   `json:"key"`
	Payload              *Payload `json:"payload,omitempty"`
	XML                  string   `json:"xml"`
	Skipped              uint32   `json:"undelivered_before,omitempty"`
	Auto                 bool     `json:"auto,omitempty"`
}

// Draw is one random value an operation draws, in order.
type Draw struct {
	What  string `json:"what"`
	Bytes string `json:"bytes"`
}

// Event is one step of the replay order.
type Event struct {
	Op       string  `json:"op"` // send or receive
	Party    string  `json:"party"`
	Message  int     `json:"message"`
	DrawSeed *uint64 `json:"draw_seed,omitempty"`
	Draws    []Draw  `json:"draws,omitempty"`
	// StepsDH is true when a receive performs a DH ratchet step.
	StepsDH bool `json:"dh_step,omitempty"`
	// Auto marks the automatic empty message a receiver sends right after
	// the previous event (python-omemo's behaviour, see conventions).
	Auto bool `json:"auto,omitempty"`
}

// encryptOne produces the next message of s's sending chain with ratchet
// plaintext km. It does not touch s when dry is set (used for invalid
// messages at chosen counters).
func (s *party) encryptOne(km []byte) (n, pn uint32, ck, mk, enc, auth, iv, omsg, mac, am []byte) {
	ck = s.cks
	next, mk := kdfCK(ck)
	n, pn = s.ns, s.pn
	enc, auth, iv = messageKeys(mk)
	ct := cbcEncrypt(enc, iv, km)
	omsg = omemoMessage(n, pn, s.dhs.pub, ct)
	mac = hmacSHA256(auth, append(bytes.Clone(s.ad), omsg...))[:macSize]
	am = authenticatedMessage(mac, omsg)
	s.cks = next
	s.ns++
	return
}

func xmlMessage(from *party, to *party, keyBytes []byte, kex bool, payloadCT []byte) string {
	attr := ""
	if kex {
		attr = ` kex="true"`
	}
	s := fmt.Sprintf(`<encrypted xmlns="%s"><header sid="%d"><keys jid="%s"><key rid="%d"%s>%s</key></keys></header>`,
		namespace, from.deviceID, to.jid, to.deviceID, attr, base64.StdEncoding.EncodeToString(keyBytes))
	if payloadCT != nil {
		s += "<payload>" + base64.StdEncoding.EncodeToString(payloadCT) + "</payload>"
	}
	return s + "</encrypted>"
}

// send makes s's next message to r. plaintext nil sends an empty OMEMO
// message (key material 32 zero bytes, no payload). Draws come from the
// ChaCha8 stream of seed: the payload key (32 bytes) for a non-empty
// message, then, on the initiator's first send, the X3DH ephemeral key and
// the first ratchet key (32 bytes each).
func (s *party) send(r *party, id int, plaintext []byte, seed uint64) (Message, Event, *Handshake) {
	stream := chacha8Stream(seed, 96)
	var draws []Draw
	take := func(what string) []byte {
		b := stream[:32]
		stream = stream[32:]
		draws = append(draws, Draw{What: what, Bytes: x(b)})
		return b
	}
	var p *Payload
	var km, payloadCT []byte
	if plaintext != nil {
		key := take("payload_key")
		pl, ct, tag := makePayload(key, plaintext)
		p, payloadCT = &pl, ct
		km = append(bytes.Clone(key), tag...)
	} else {
		km = make([]byte, 32)
	}
	var hs *Handshake
	if !s.started {
		ek := x25519FromRaw(take("ephemeral_key"))
		sk, ad, h := x3dhActive(s, r, ek)
		hs = &h
		s.ad, s.rk = ad, sk
		s.dhs = x25519FromRaw(take("ratchet_key"))
		s.drawnKeys = append(s.drawnKeys, x(s.dhs.raw))
		s.dhr = bytes.Clone(r.spk.pub)
		s.rk, s.cks = kdfRK(s.rk, dh(s.dhs, s.dhr))
		s.started, s.initiator = true, true
		s.kex = &kexFields{pkID: r.opkID, spkID: r.spkID, ik: s.id.edPub, ek: ek.pub}
	}
	n, pn, ck, mk, enc, auth, iv, omsg, mac, am := s.encryptOne(km)
	m := Message{
		ID: id, Sender: s.name, N: n, PN: pn, RatchetPublic: x(s.dhs.pub), ChainKey: x(ck), MessageKey: x(mk),
		EncKey: x(enc), AuthKey: x(auth), IV: x(iv), Empty: plaintext == nil, KeyMaterial: x(km),
		OMEMOMessage: x(omsg), MAC: x(mac), AuthenticatedMessage: x(am), Payload: p,
	}
	keyBytes := am
	if s.initiator && !s.confirmed {
		k := s.kex
		keyBytes = keyExchange(k.pkID, k.spkID, k.ik, k.ek, am)
		m.KEX, m.KeyExchange = true, x(keyBytes)
	}
	m.Key = x(keyBytes)
	m.XML = xmlMessage(s, r, keyBytes, m.KEX, payloadCT)
	ev := Event{Op: "send", Party: s.name, Message: id}
	if len(draws) > 0 {
		sd := seed
		ev.DrawSeed, ev.Draws = &sd, draws
	}
	return m, ev, hs
}

// receive decrypts m at r (the generator's own receiver, which checks every
// message it lists) and returns the plaintext key material. A DH step draws
// the new ratchet key from seed's stream.
func (r *party) receive(s *party, m Message, seed uint64) ([]byte, Event, error) {
	omsg, _ := hex.DecodeString(m.OMEMOMessage)
	mac, _ := hex.DecodeString(m.MAC)
	dhPub, _ := hex.DecodeString(m.RatchetPublic)
	ev := Event{Op: "receive", Party: r.name, Message: m.ID}
	if !r.started {
		if !m.KEX {
			return nil, ev, fmt.Errorf("no session and no key exchange")
		}
		// X3DH, passive side, from the key exchange's own bytes.
		kb, _ := hex.DecodeString(m.KeyExchange)
		f, err := fields(kb)
		if err != nil {
			return nil, ev, err
		}
		ik, _ := f[3].([]byte)
		ek, _ := f[4].([]byte)
		if f[1] != uint64(r.opkID) || f[2] != uint64(r.spkID) || len(ik) != 32 || len(ek) != 32 {
			return nil, ev, fmt.Errorf("bad key exchange")
		}
		k := &kexFields{ik: ik, ek: ek}
		ikm := bytes.Repeat([]byte{0xff}, 32)
		ikm = append(ikm, dh(r.spk, edToMontgomery(k.ik))...)
		ikm = append(ikm, dh(r.id.x, ek)...)
		ikm = append(ikm, dh(r.spk, ek)...)
		ikm = append(ikm, dh(r.opk, ek)...)
		r.rk = hkdfSHA256(ikm, nil, infoX3DH, 32)
		r.ad = append(bytes.Clone(k.ik), r.id.edPub...)
		r.dhs = r.spk
		r.started = true
	}
	if key := skipKey(dhPub, m.N); r.skipped[key] != nil {
		mk := r.skipped[key]
		km, err := openMessage(mk, r.ad, omsg, mac)
		if err != nil {
			return nil, ev, err
		}
		delete(r.skipped, key)
		r.confirmed = true
		return km, ev, nil
	}
	if !bytes.Equal(dhPub, r.dhr) {
		if r.ckr != nil {
			if m.PN-r.nr > maxSkip {
				return nil, ev, fmt.Errorf("too many skipped")
			}
			for r.nr < m.PN {
				var mk []byte
				r.ckr, mk = kdfCK(r.ckr)
				r.skipped[skipKey(r.dhr, r.nr)] = mk
				r.nr++
			}
		}
		stream := chacha8Stream(seed, 32)
		sd := seed
		ev.DrawSeed, ev.Draws, ev.StepsDH = &sd, []Draw{{What: "ratchet_key", Bytes: x(stream)}}, true
		r.pn, r.ns, r.nr = r.ns, 0, 0
		r.dhr = bytes.Clone(dhPub)
		r.rk, r.ckr = kdfRK(r.rk, dh(r.dhs, r.dhr))
		r.dhs = x25519FromRaw(stream)
		r.drawnKeys = append(r.drawnKeys, x(stream))
		r.rk, r.cks = kdfRK(r.rk, dh(r.dhs, r.dhr))
	}
	if m.N < r.nr {
		return nil, ev, fmt.Errorf("duplicate")
	}
	if m.N-r.nr > maxSkip {
		return nil, ev, fmt.Errorf("too many skipped")
	}
	for r.nr < m.N {
		var mk []byte
		r.ckr, mk = kdfCK(r.ckr)
		r.skipped[skipKey(r.dhr, r.nr)] = mk
		r.nr++
	}
	var mk []byte
	r.ckr, mk = kdfCK(r.ckr)
	r.nr++
	km, err := openMessage(mk, r.ad, omsg, mac)
	if err != nil {
		return nil, ev, err
	}
	r.confirmed = true
	return km, ev, nil
}

func openMessage(mk, ad, omsg, mac []byte) ([]byte, error) {
	enc, auth, iv := messageKeys(mk)
	want := hmacSHA256(auth, append(bytes.Clone(ad), omsg...))[:macSize]
	if !bytes.Equal(want, mac) {
		return nil, fmt.Errorf("bad mac")
	}
	f, err := fields(omsg)
	if err != nil {
		return nil, err
	}
	ct, ok := f[4].([]byte)
	if !ok || len(ct) == 0 || len(ct)%16 != 0 {
		return nil, fmt.Errorf("bad ciphertext")
	}
	return cbcDecrypt(enc, iv, ct)
}

func signSPK(id identity, spkPub []byte) []byte {
	return ed25519.Sign(id.ed, spkPub)
}
