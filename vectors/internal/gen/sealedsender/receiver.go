package main

import (
	"bytes"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
)

// The generator's own receiver: it parses and validates certificates,
// contents and envelopes by the rules of the file's conventions, and every
// vector's result and error must be what it finds.

const (
	errMalformed         = "malformed"
	errTruncated         = "truncated"
	errUnknownVersion    = "unknown_version"
	errBadMAC            = "bad_mac"
	errSenderKeyMismatch = "sender_key_mismatch"
	errBadSignature      = "bad_signature"
	errUntrustedRoot     = "untrusted_root"
	errExpired           = "expired"
	errRevoked           = "revoked"
	errUnknownSigner     = "unknown_signer"
)

var revokedKeyIDs = []uint32{0xDEADC357}

type serverCert struct {
	id        uint32
	key       []byte
	body, sig []byte
}

func validPublicKey(k []byte) bool { return len(k) == 33 && k[0] == 0x05 }

func parseServerCert(b []byte) (*serverCert, string) {
	m, ok := parsePB(b)
	if !ok {
		return nil, errMalformed
	}
	body, hasBody, ok1 := m.bytesField(1)
	sig, hasSig, ok2 := m.bytesField(2)
	if !ok1 || !ok2 || !hasBody || !hasSig {
		return nil, errMalformed
	}
	in, ok := parsePB(body)
	if !ok {
		return nil, errMalformed
	}
	id, hasID, ok1 := in.varintField(1)
	key, hasKey, ok2 := in.bytesField(2)
	if !ok1 || !ok2 || !hasID || !hasKey || id > 0xFFFFFFFF || !validPublicKey(key) {
		return nil, errMalformed
	}
	return &serverCert{id: uint32(id), key: key, body: body, sig: sig}, ""
}

// verify checks the server certificate's signature against every root.
func (c *serverCert) verify(roots [][]byte) bool {
	ok := false
	for _, r := range roots {
		if verify(r, c.body, c.sig) {
			ok = true
		}
	}
	return ok
}

type senderCert struct {
	e164           *string
	uuid           string
	device         uint32
	expires        uint64
	identityKey    []byte
	signer         *serverCert
	body, sig, raw []byte
}

// knownServer maps the known certificate ids to their parsed certificates
// (set up by knownCertificates).
var knownServer = map[uint32]*serverCert{}

func uuidString(u []byte) string {
	h := hex.EncodeToString(u)
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}

func parseSenderCert(b []byte) (*senderCert, string) {
	m, ok := parsePB(b)
	if !ok {
		return nil, errMalformed
	}
	body, hasBody, ok1 := m.bytesField(1)
	sig, hasSig, ok2 := m.bytesField(2)
	if !ok1 || !ok2 || !hasBody || !hasSig {
		return nil, errMalformed
	}
	in, ok := parsePB(body)
	if !ok {
		return nil, errMalformed
	}
	c := &senderCert{body: body, sig: sig, raw: b}
	e164, hasE164, okE := in.bytesField(1)
	device, hasDevice, okD := in.varintField(2)
	expires, hasExpires, okX := in.fixed64Field(3)
	key, hasKey, okK := in.bytesField(4)
	signerCert, hasSignerCert, okS := in.bytesField(5)
	signerID, hasSignerID, okI := in.varintField(8)
	us, hasUS, okU := in.bytesField(6)
	ub, hasUB, okB := in.bytesField(7)
	if !okE || !okD || !okX || !okK || !okS || !okI || !okU || !okB {
		return nil, errMalformed
	}
	if !hasDevice || !hasExpires || !hasKey || !(hasSignerCert || hasSignerID) || !(hasUS || hasUB) {
		return nil, errMalformed
	}
	if device < 1 || device > 127 || !validPublicKey(key) {
		return nil, errMalformed
	}
	if hasE164 {
		s := string(e164)
		c.e164 = &s
	}
	switch {
	case hasUS && hasUB:
		return nil, errMalformed // not generated
	case hasUS:
		c.uuid = string(us)
	default:
		if len(ub) != 16 {
			return nil, errMalformed
		}
		c.uuid = uuidString(ub)
	}
	switch {
	case hasSignerCert && hasSignerID:
		return nil, errMalformed // not generated
	case hasSignerCert:
		s, e := parseServerCert(signerCert)
		if e != "" {
			return nil, e
		}
		c.signer = s
	default:
		s := knownServer[uint32(signerID)]
		if s == nil || signerID > 0xFFFFFFFF {
			return nil, errUnknownSigner
		}
		c.signer = s
	}
	c.device, c.expires, c.identityKey = uint32(device), expires, key
	return c, ""
}

// validate is validate_with_trust_roots.
func (c *senderCert) validate(roots [][]byte, now uint64) string {
	for _, id := range revokedKeyIDs {
		if c.signer.id == id {
			return errRevoked
		}
	}
	if !c.signer.verify(roots) {
		return errUntrustedRoot
	}
	if !verify(c.signer.key, c.body, c.sig) {
		return errBadSignature
	}
	if now > c.expires {
		return errExpired
	}
	return ""
}

// usmc is a parsed UnidentifiedSenderMessageContent.
type usmc struct {
	typ     int // API number
	cert    *senderCert
	content []byte
	hint    uint64
	groupID []byte
}

func parseUSMC(b []byte) (*usmc, string) {
	m, ok := parsePB(b)
	if !ok {
		return nil, errMalformed
	}
	t, hasT, ok1 := m.varintField(1)
	cert, hasCert, ok2 := m.bytesField(2)
	content, hasContent, ok3 := m.bytesField(3)
	hint, _, ok4 := m.varintField(4)
	gid, _, ok5 := m.bytesField(5)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !hasT || !hasCert || !hasContent {
		return nil, errMalformed
	}
	u := &usmc{content: content, hint: hint, groupID: gid}
	switch t {
	case 1:
		u.typ = 3
	case 2, 7, 8:
		u.typ = int(t)
	default:
		return nil, errMalformed
	}
	c, e := parseSenderCert(cert)
	if e != "" {
		return nil, errMalformed
	}
	u.cert = c
	return u, ""
}

// openEnvelope is the low-level decrypt to USMC of a received envelope (v1
// or v2), without certificate validation.
func openEnvelope(env []byte, r keyPair) ([]byte, string) {
	if len(env) == 0 {
		return nil, errTruncated
	}
	switch env[0] >> 4 {
	case 0, 1:
		return openV1(env, r)
	case 2:
		return openV2(env, r)
	}
	return nil, errUnknownVersion
}

func openV1(env []byte, r keyPair) ([]byte, string) {
	m, ok := parsePB(env[1:])
	if !ok {
		return nil, errMalformed
	}
	eph, has1, ok1 := m.bytesField(1)
	encStatic, has2, ok2 := m.bytesField(2)
	encMsg, has3, ok3 := m.bytesField(3)
	if !ok1 || !ok2 || !ok3 || !has1 || !has2 || !has3 || !validPublicKey(eph) {
		return nil, errMalformed
	}
	k := v1Keys1(r, eph, r.pub, eph)
	if k == nil {
		return nil, errBadMAC
	}
	static, ok := openCtrMAC(k.cipherKey, k.macKey, encStatic)
	if !ok {
		return nil, errBadMAC
	}
	if !validPublicKey(static) {
		return nil, errMalformed
	}
	k2 := v1Keys2(r, static, k.chainKey, encStatic)
	if k2 == nil {
		return nil, errBadMAC
	}
	pt, ok := openCtrMAC(k2.cipherKey, k2.macKey, encMsg)
	if !ok {
		return nil, errBadMAC
	}
	u, e := parseUSMC(pt)
	if e != "" {
		return nil, e
	}
	if subtle.ConstantTimeCompare(u.cert.identityKey, static) != 1 {
		return nil, errSenderKeyMismatch
	}
	return pt, ""
}

func openV2(env []byte, r keyPair) ([]byte, string) {
	if len(env) < 1+32+16+32+16 {
		return nil, errTruncated
	}
	C, AT, E, ct := env[1:33], env[33:49], env[49:81], env[81:]
	E33 := append([]byte{0x05}, E...)
	d, ok := dhCheck(r, E)
	if !ok {
		return nil, errBadMAC
	}
	M := xor(hkdfKey(cat(d, E33, r.pub), nil, labelDH, 32), C)
	ephem := keyFromRaw(hkdfKey(M, nil, labelR, 32))
	if subtle.ConstantTimeCompare(ephem.pub, E33) != 1 {
		return nil, errBadMAC
	}
	K := hkdfKey(M, nil, labelK, 32)
	pt, ok := gcmSIVOpen(K, make([]byte, 12), ct, nil)
	if !ok {
		return nil, errBadMAC
	}
	u, e := parseUSMC(pt)
	if e != "" {
		return nil, e
	}
	ds, ok := dhCheck(r, u.cert.identityKey)
	if !ok {
		return nil, errBadMAC
	}
	at := hkdfKey(cat(ds, E33, C, u.cert.identityKey, r.pub), nil, labelDHS, 16)
	if subtle.ConstantTimeCompare(at, AT) != 1 {
		return nil, errBadMAC
	}
	return pt, ""
}

// parsedSent is a multi-recipient sent message as the server splits it.
type parsedSent struct {
	version    byte
	recipients []parsedRecipient
	excluded   []string
	shared     []byte // E || ciphertext
}

type parsedRecipient struct {
	serviceID string
	devices   []Device
	c, at     []byte
}

// received is the 0x22 message for one recipient.
func (p *parsedSent) received(r parsedRecipient) []byte {
	return cat([]byte{0x22}, r.c, r.at, p.shared)
}

func serviceIDString(kind byte, u []byte) string {
	if kind == 1 {
		return "PNI:" + uuidString(u)
	}
	return uuidString(u)
}

// readVarint reads a protobuf varint: errTruncated when the bytes end
// inside it, errMalformed when it does not fit in 64 bits.
func readVarint(b []byte) (uint64, int, string) {
	var v uint64
	for i := 0; i < 10; i++ {
		if i >= len(b) {
			return 0, 0, errTruncated
		}
		c := b[i]
		if i == 9 && c > 1 {
			return 0, 0, errMalformed
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1, ""
		}
	}
	return 0, 0, errMalformed
}

func parseSent(b []byte) (*parsedSent, string) {
	if len(b) == 0 {
		return nil, errTruncated
	}
	p := &parsedSent{version: b[0]}
	var sidLen int
	switch b[0] {
	case 0x22:
		sidLen = 16
	case 0x23:
		sidLen = 17
	default:
		return nil, errUnknownVersion
	}
	b = b[1:]
	count, n, e := readVarint(b)
	if e != "" {
		return nil, e
	}
	b = b[n:]
	index := map[string]int{} // service id -> recipients index, or -1 for excluded
	for i := uint64(0); i < count; i++ {
		if len(b) < sidLen {
			return nil, errTruncated
		}
		var sid string
		if sidLen == 16 {
			sid = uuidString(b[:16])
		} else {
			if b[0] > 1 {
				return nil, errMalformed
			}
			sid = serviceIDString(b[0], b[1:17])
		}
		b = b[sidLen:]
		var devices []Device
		excluded := false
		for {
			if len(b) < 1 {
				return nil, errTruncated
			}
			id := b[0]
			b = b[1:]
			if id == 0 {
				if len(devices) > 0 {
					return nil, errMalformed
				}
				excluded = true
				break
			}
			if len(b) < 2 {
				return nil, errTruncated
			}
			v := uint16(b[0])<<8 | uint16(b[1])
			b = b[2:]
			devices = append(devices, Device{ID: uint32(id), RegistrationID: uint32(v & 0x3FFF)})
			if v&0x8000 == 0 {
				break
			}
		}
		if excluded {
			if _, dup := index[sid]; dup {
				return nil, errMalformed
			}
			index[sid] = -1
			p.excluded = append(p.excluded, sid)
			continue
		}
		if len(b) < 48 {
			return nil, errTruncated
		}
		c, at := b[:32], b[32:48]
		b = b[48:]
		if j, dup := index[sid]; dup {
			if j < 0 {
				return nil, errMalformed
			}
			p.recipients[j].devices = append(p.recipients[j].devices, devices...)
			continue
		}
		index[sid] = len(p.recipients)
		p.recipients = append(p.recipients, parsedRecipient{serviceID: sid, devices: devices, c: c, at: at})
	}
	if len(b) < 32 {
		return nil, errTruncated
	}
	p.shared = b
	return p, ""
}

var _ = bytes.Equal
