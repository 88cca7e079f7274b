package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log"
	"math/rand/v2"
	"strings"
)

// Device is one party of a session as listed in the file.
type Device struct {
	Name                  string   `json:"name"`
	JID                   string   `json:"jid"`
	DeviceID              uint32   `json:"device_id"`
	IdentitySeed          string   `json:"identity_seed"`
	IdentityKey           string   `json:"identity_key"`
	IdentityScalar        string   `json:"identity_scalar"`
	IdentityX25519        string   `json:"identity_x25519"`
	SignedPreKeyID        uint32   `json:"signed_prekey_id,omitempty"`
	SignedPreKeyPrivate   string   `json:"signed_prekey_private,omitempty"`
	SignedPreKeyPublic    string   `json:"signed_prekey_public,omitempty"`
	SignedPreKeySignature string   `json:"signed_prekey_signature,omitempty"`
	PreKeyID              uint32   `json:"prekey_id,omitempty"`
	PreKeyPrivate         string   `json:"prekey_private,omitempty"`
	PreKeyPublic          string   `json:"prekey_public,omitempty"`
	BundleXML             string   `json:"bundle_xml,omitempty"`
	DeviceListXML         string   `json:"device_list_xml"`
	RatchetKeys           []string `json:"ratchet_keys"`
}

// Invalid is a message offered to Party just before event BeforeEvent; it
// must be refused with Error and change nothing, so that the events after
// it replay as listed.
type Invalid struct {
	ID          string   `json:"id"`
	BeforeEvent int      `json:"before_event"`
	Party       string   `json:"party"`
	Flags       []string `json:"flags"`
	Result      string   `json:"result"`
	Error       string   `json:"error"`
	KEX         bool     `json:"kex"`
	Key         string   `json:"key"`
	Payload     string   `json:"payload,omitempty"`
	XML         string   `json:"xml"`
}

// InvalidBundle is a bundle of Bob's that Alice must refuse to start a session from.
type InvalidBundle struct {
	ID     string   `json:"id"`
	Flags  []string `json:"flags"`
	Result string   `json:"result"`
	Error  string   `json:"error"`
	XML    string   `json:"bundle_xml"`
}

// Session is a whole conversation between two devices.
type Session struct {
	ID             string          `json:"id"`
	Description    string          `json:"description"`
	Alice          Device          `json:"alice"`
	Bob            Device          `json:"bob"`
	Handshake      Handshake       `json:"handshake"`
	Messages       []Message       `json:"messages"`
	Events         []Event         `json:"events"`
	Invalid        []Invalid       `json:"invalid"`
	InvalidBundles []InvalidBundle `json:"invalid_bundles,omitempty"`
}

// sess builds one session.
type sess struct {
	id       string
	a, b     *party
	msgs     []Message
	events   []Event
	inv      []Invalid
	hs       *Handshake
	received map[string][]int // party -> ids received, in order
	rng      *rand.Rand
	invalid  *int
	autos    []int // automatic empty messages not delivered yet
}

func newParty(label, name, jid string, dev uint32) *party {
	return &party{name: name, jid: jid, deviceID: dev, id: newIdentity(label + " " + name), skipped: map[string][]byte{}}
}

func newSess(id string, invalidCount *int) *sess {
	a := newParty(id, "alice", "alice@example.org", 1001+uint32(len(id)))
	b := newParty(id, "bob", "bob@example.net", 2002+uint32(len(id)))
	// Both publish a bundle (a receiver learns the sender's identity key from
	// it); only Bob's is used for the handshake.
	for i, p := range []*party{a, b} {
		p.spkID, p.opkID = 1+uint32(i), 7+uint32(10*i)
		p.spk = x25519FromRaw(fixed(id+" "+p.name+" spk", 32))
		p.opk = x25519FromRaw(fixed(id+" "+p.name+" opk", 32))
		p.spkSig = signSPK(p.id, p.spk.pub)
	}
	var seed [32]byte
	copy(seed[:], fixed(id+" shuffle", 32))
	return &sess{id: id, a: a, b: b, received: map[string][]int{}, rng: rand.New(rand.NewChaCha8(seed)), invalid: invalidCount}
}

func (t *sess) party(name string) (self, other *party) {
	if name == "alice" {
		return t.a, t.b
	}
	return t.b, t.a
}

func plaintextFor(t *sess, from *party, id int) []byte {
	pad := strings.Repeat("x", id%23)
	return fmt.Appendf(nil, `<envelope xmlns="urn:xmpp:sce:1"><content><body xmlns="jabber:client">%s %s message %d</body></content><rpad>%s</rpad><from jid="%s"/></envelope>`,
		t.id, from.name, id, pad, from.jid)
}

// send appends a message from `from`; empty sends an empty OMEMO message.
func (t *sess) send(from string, empty bool) int {
	s, r := t.party(from)
	id := len(t.msgs)
	var pt []byte
	if !empty {
		pt = plaintextFor(t, s, id)
	}
	m, ev, hs := s.send(r, id, pt, drawSeed(fmt.Sprintf("%s send %d", t.id, id)))
	if hs != nil {
		t.hs = hs
	}
	t.msgs = append(t.msgs, m)
	t.events = append(t.events, ev)
	return id
}

// sendAfter sends a message preceded by k messages of the same chain that
// are never delivered (the sender's chain advances; nothing is listed).
func (t *sess) sendAfter(from string, k int) int {
	s, _ := t.party(from)
	for range k {
		s.encryptOne(make([]byte, 48))
	}
	id := t.send(from, false)
	t.msgs[id].Skipped = uint32(k)
	return id
}

func (t *sess) burst(from string, n int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = t.send(from, false)
	}
	return ids
}

func (t *sess) shuffled(ids []int) []int {
	out := append([]int(nil), ids...)
	t.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// deliver receives the messages in the given order, checking each against
// what was sent.
func (t *sess) deliver(ids ...int) {
	for _, id := range ids {
		m := t.msgs[id]
		r, s := t.party(m.Sender)
		r, s = s, r
		km, ev, err := r.receive(s, m, drawSeed(fmt.Sprintf("%s receive %d", t.id, id)))
		if err != nil {
			log.Fatalf("%s: message %d: %v", t.id, id, err)
		}
		if x(km) != m.KeyMaterial {
			log.Fatalf("%s: message %d: key material differs", t.id, id)
		}
		t.events = append(t.events, ev)
		t.received[r.name] = append(t.received[r.name], id)
		// python-omemo's automatic empty message: after every key-exchange
		// message, and after any message that leaves the receiving chain
		// longer than 53 keys (staleness prevention).
		if m.KEX || r.nr > stalenessLimit {
			e := t.send(r.name, true)
			t.msgs[e].Auto = true
			t.events[len(t.events)-1].Auto = true
			t.autos = append(t.autos, e)
		}
	}
}

// deliverAutos delivers the automatic empty messages sent so far and not
// delivered yet, in order.
func (t *sess) deliverAutos() {
	autos := t.autos
	t.autos = nil
	t.deliver(autos...)
}

func (t *sess) device(p *party) Device {
	d := Device{
		Name: p.name, JID: p.jid, DeviceID: p.deviceID,
		IdentitySeed: x(p.id.seed), IdentityKey: x(p.id.edPub), IdentityScalar: x(p.id.scalar), IdentityX25519: x(p.id.x.pub),
		DeviceListXML: fmt.Sprintf(`<devices xmlns="%s"><device id="%d"/></devices>`, namespace, p.deviceID),
		RatchetKeys:   p.drawnKeys,
	}
	if p.spk.priv != nil {
		d.SignedPreKeyID, d.SignedPreKeyPrivate, d.SignedPreKeyPublic, d.SignedPreKeySignature = p.spkID, x(p.spk.raw), x(p.spk.pub), x(p.spkSig)
		d.PreKeyID, d.PreKeyPrivate, d.PreKeyPublic = p.opkID, x(p.opk.raw), x(p.opk.pub)
		d.BundleXML = bundleXML(p.spkID, p.spk.pub, p.spkSig, p.id.edPub, map[uint32][]byte{p.opkID: p.opk.pub})
	}
	if d.RatchetKeys == nil {
		d.RatchetKeys = []string{}
	}
	return d
}

func bundleXML(spkID uint32, spk, sig, ik []byte, pks map[uint32][]byte) string {
	b64 := base64.StdEncoding.EncodeToString
	s := fmt.Sprintf(`<bundle xmlns="%s"><spk id="%d">%s</spk><spks>%s</spks><ik>%s</ik><prekeys>`, namespace, spkID, b64(spk), b64(sig), b64(ik))
	for id := uint32(0); id < 1<<16; id++ { // ascending ids
		if pk, ok := pks[id]; ok {
			s += fmt.Sprintf(`<pk id="%d">%s</pk>`, id, b64(pk))
		}
	}
	return s + "</prekeys></bundle>"
}

func (t *sess) result(desc string) Session {
	if t.received == nil {
		log.Fatal("unused")
	}
	return Session{
		ID: t.id, Description: desc, Alice: t.device(t.a), Bob: t.device(t.b), Handshake: *t.hs,
		Messages: t.msgs, Events: t.events, Invalid: append([]Invalid{}, t.inv...),
	}
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		log.Fatal(err)
	}
	return b
}

// addInvalid records an invalid message for the receiver of genuine, offered
// before the next event.
func (t *sess) addInvalid(genuine Message, flags []string, errName string, key []byte, kex bool, payload []byte) {
	s, r := t.party(genuine.Sender)
	*t.invalid++
	inv := Invalid{
		ID: fmt.Sprintf("%s-invalid-%d", t.id, len(t.inv)+1), BeforeEvent: len(t.events), Party: r.name,
		Flags: flags, Result: "invalid", Error: errName, KEX: kex, Key: x(key),
		XML: xmlMessage(s, r, key, kex, payload),
	}
	if payload != nil {
		inv.Payload = x(payload)
	}
	t.inv = append(t.inv, inv)
}

// wrapKEX wraps an authenticated message the way genuine does (kex or not).
func wrapKEX(genuine Message, am []byte) []byte {
	if !genuine.KEX {
		return am
	}
	f, err := fields(unhex(genuine.KeyExchange))
	if err != nil {
		log.Fatal(err)
	}
	return keyExchange(uint32(f[1].(uint64)), uint32(f[2].(uint64)), f[3].([]byte), f[4].([]byte), am)
}

// sealWith builds an authenticated message with a valid MAC under the
// message key mk and the session's AD, over arbitrary OMEMOMessage bytes.
func sealWith(mk, ad, omsg []byte) []byte {
	_, auth, _ := messageKeys(mk)
	mac := hmacSHA256(auth, append(bytes.Clone(ad), omsg...))[:macSize]
	return authenticatedMessage(mac, omsg)
}

func payloadOf(m Message) []byte {
	if m.Payload == nil {
		return nil
	}
	return unhex(m.Payload.Ciphertext)
}

// messageInvalids adds the tampered copies of a genuine message (before its
// receive event).
func (t *sess) messageInvalids(m Message) {
	sender, _ := t.party(m.Sender)
	ad := sender.ad
	omsg, mac := unhex(m.OMEMOMessage), unhex(m.MAC)
	f, _ := fields(omsg)
	ct := f[4].([]byte)
	dhPub := unhex(m.RatchetPublic)
	mk := unhex(m.MessageKey)
	pl := payloadOf(m)
	add := func(flags []string, errName string, am []byte, payload []byte) {
		t.addInvalid(m, flags, errName, wrapKEX(m, am), m.KEX, payload)
	}
	add([]string{"modified_mac"}, "bad_mac", authenticatedMessage(flip(mac, 0), omsg), pl)
	add([]string{"modified_ciphertext"}, "bad_mac", authenticatedMessage(mac, omemoMessage(m.N, m.PN, dhPub, flip(ct, -1))), pl)
	add([]string{"modified_counter"}, "bad_mac", authenticatedMessage(mac, omemoMessage(m.N+1, m.PN, dhPub, ct)), pl)
	other := x25519FromRaw(fixed(t.id+" other ratchet", 32))
	add([]string{"modified_dh_pub"}, "bad_mac", authenticatedMessage(mac, omemoMessage(m.N, m.PN, other.pub, ct)), pl)
	am := unhex(m.AuthenticatedMessage)
	add([]string{"truncated"}, "malformed", am[:len(am)-5], pl)
	add([]string{"missing_mac"}, "malformed", appendBytes(nil, 2, omsg), pl)
	add([]string{"short_mac"}, "bad_mac", authenticatedMessage(mac[:8], omsg), pl)
	// A valid MAC over an OMEMOMessage without its required dh_pub.
	noDH := appendBytes(appendUint(appendUint(nil, 1, uint64(m.N)), 2, uint64(m.PN)), 4, ct)
	add([]string{"missing_dh_pub", "valid_mac"}, "malformed", sealWith(mk, ad, noDH), pl)
	// A valid MAC over a 33-byte (0x05-prefixed, OMEMO 0.3 style) dh_pub.
	add([]string{"dh_pub_33_bytes", "valid_mac"}, "malformed", sealWith(mk, ad, omemoMessage(m.N, m.PN, append([]byte{0x05}, dhPub...), ct)), pl)
	// A message 1001 keys ahead in the same chain, correctly encrypted.
	ck := unhex(m.ChainKey)
	for range maxSkip + 1 {
		ck, _ = kdfCK(ck)
	}
	_, farMK := kdfCK(ck)
	enc, _, iv := messageKeys(farMK)
	km := unhex(m.KeyMaterial)
	farMsg := omemoMessage(m.N+maxSkip+1, m.PN, dhPub, cbcEncrypt(enc, iv, km))
	add([]string{"counter_too_far", "valid_mac"}, "too_many_skipped", sealWith(farMK, ad, farMsg), pl)
	add([]string{"empty_key"}, "malformed", nil, pl)
	if pl != nil {
		add([]string{"modified_payload"}, "bad_payload_mac", am, flip(pl, 3))
		// The genuine message key carrying a payload key whose payload has a
		// valid tag but broken PKCS#7 padding.
		pkey := fixed(fmt.Sprintf("%s bad padding %d", t.id, m.ID), 32)
		penc, pauth, piv := payloadKeys(pkey)
		badCT := cbcRaw(penc, piv, bytes.Repeat([]byte{0x11}, 32)) // last byte 0x11 > 16
		tag := hmacSHA256(pauth, badCT)[:macSize]
		encM, _, ivM := messageKeys(mk)
		omsg2 := omemoMessage(m.N, m.PN, dhPub, cbcEncrypt(encM, ivM, append(pkey, tag...)))
		add([]string{"bad_padding", "valid_mac", "valid_payload_mac"}, "bad_padding", sealWith(mk, ad, omsg2), badCT)
	}
}

// kexInvalids adds tampered copies of a key-exchange message before the
// responder has a session.
func (t *sess) kexInvalids(m Message) {
	kb := unhex(m.KeyExchange)
	f, _ := fields(kb)
	pk, spk := uint32(f[1].(uint64)), uint32(f[2].(uint64))
	ik, ek, am := f[3].([]byte), f[4].([]byte), f[5].([]byte)
	pl := payloadOf(m)
	add := func(flags []string, errName string, k []byte) { t.addInvalid(m, flags, errName, k, true, pl) }
	mac, omsg := unhex(m.MAC), unhex(m.OMEMOMessage)
	add([]string{"kex", "modified_mac"}, "bad_mac", keyExchange(pk, spk, ik, ek, authenticatedMessage(flip(mac, 5), omsg)))
	stranger := newIdentity(t.id + " stranger")
	add([]string{"kex", "other_identity"}, "identity_mismatch", keyExchange(pk, spk, stranger.edPub, ek, am))
	add([]string{"kex", "unknown_prekey_id"}, "unknown_prekey", keyExchange(pk+100000, spk, ik, ek, am))
	add([]string{"kex", "unknown_signed_prekey_id"}, "unknown_signed_prekey", keyExchange(pk, spk+100000, ik, ek, am))
	otherEK := x25519FromRaw(fixed(t.id+" other ek", 32))
	add([]string{"kex", "modified_ek"}, "bad_mac", keyExchange(pk, spk, ik, otherEK.pub, am))
	add([]string{"kex", "truncated"}, "malformed", kb[:len(kb)-3])
	add([]string{"kex", "short_ek"}, "malformed", keyExchange(pk, spk, ik, ek[:31], am))
	noMsg := appendBytes(appendBytes(appendUint(appendUint(nil, 1, uint64(pk)), 2, uint64(spk)), 3, ik), 4, ek)
	add([]string{"kex", "missing_message"}, "malformed", noMsg)
	add([]string{"kex", "garbage"}, "malformed", fixed(t.id+" garbage", 40))
}

// replayInvalid offers an earlier message of the other party again.
func (t *sess) replayInvalid(old int) {
	m := t.msgs[old]
	t.addInvalid(m, []string{"replay"}, "duplicate_message", unhex(m.Key), m.KEX, payloadOf(m))
}

func (t *sess) bundleInvalids() []InvalidBundle {
	b := t.b
	pks := map[uint32][]byte{b.opkID: b.opk.pub}
	*t.invalid += 3
	stranger := newIdentity(t.id + " stranger")
	return []InvalidBundle{
		{ID: t.id + "-bundle-1", Flags: []string{"modified_signature"}, Result: "invalid", Error: "bad_signature",
			XML: bundleXML(b.spkID, b.spk.pub, flip(b.spkSig, 10), b.id.edPub, pks)},
		{ID: t.id + "-bundle-2", Flags: []string{"signature_by_other_identity"}, Result: "invalid", Error: "bad_signature",
			XML: bundleXML(b.spkID, b.spk.pub, signSPK(stranger, b.spk.pub), b.id.edPub, pks)},
		{ID: t.id + "-bundle-3", Flags: []string{"signature_over_0x05_prefixed_key"}, Result: "invalid", Error: "bad_signature",
			XML: bundleXML(b.spkID, b.spk.pub, signSPK(b.id, append([]byte{0x05}, b.spk.pub...)), b.id.edPub, pks)},
	}
}
