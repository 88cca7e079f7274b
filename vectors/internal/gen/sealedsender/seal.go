package main

import "log"

// The sending side: sealed sender v1 and v2, and the multi-recipient
// sent message.

const (
	labelR   = "Sealed Sender v2: r (2023-08)"
	labelK   = "Sealed Sender v2: K"
	labelDH  = "Sealed Sender v2: DH"
	labelDHS = "Sealed Sender v2: DH-sender"
)

// v1k is one v1 key derivation: the DH output and HKDF's three 32-byte
// outputs.
type v1k struct{ dh, chainKey, cipherKey, macKey []byte }

func v1Derive(own keyPair, other, salt []byte) *v1k {
	d, ok := dhCheck(own, other)
	if !ok {
		return nil
	}
	okm := hkdfKey(d, salt, "", 96)
	return &v1k{dh: d, chainKey: okm[:32], cipherKey: okm[32:64], macKey: okm[64:]}
}

// v1Keys1 is the ephemeral derivation: X25519(own, other) with salt
// "UnidentifiedDelivery" || recipient public || ephemeral public.
func v1Keys1(own keyPair, other, recipientPub, ephPub []byte) *v1k {
	return v1Derive(own, other, cat([]byte("UnidentifiedDelivery"), recipientPub, ephPub))
}

// v1Keys2 is the static derivation: X25519(own, other) with salt
// chain_key || encryptedStatic.
func v1Keys2(own keyPair, other, chainKey, encStatic []byte) *v1k {
	return v1Derive(own, other, cat(chainKey, encStatic))
}

// v1Sealed is a v1 envelope with its intermediates.
type v1Sealed struct {
	eph              keyPair
	k1, k2           *v1k
	encStatic        []byte
	encMsg, envelope []byte
}

func sealV1(msg []byte, sender keyPair, recipient []byte, eph keyPair) v1Sealed {
	k1 := v1Keys1(eph, recipient, recipient, eph.pub)
	encStatic := ctrMAC(k1.cipherKey, k1.macKey, sender.pub)
	k2 := v1Keys2(sender, recipient, k1.chainKey, encStatic)
	encMsg := ctrMAC(k2.cipherKey, k2.macKey, msg)
	return v1Sealed{eph: eph, k1: k1, k2: k2, encStatic: encStatic, encMsg: encMsg,
		envelope: v1Outer(0x11, eph.pub, encStatic, encMsg)}
}

// v2Sealed is the shared part of a v2 message and each recipient's C, AT.
type v2Sealed struct {
	M, r, E, K, ct []byte // E is the raw 32-byte u
	C, AT          [][]byte
}

func sealV2(msg []byte, sender keyPair, M []byte, recipients [][]byte) v2Sealed {
	s := v2Sealed{M: M, r: hkdfKey(M, nil, labelR, 32), K: hkdfKey(M, nil, labelK, 32)}
	eph := keyFromRaw(s.r)
	s.E = eph.pub[1:]
	s.ct = gcmSIVSeal(s.K, make([]byte, 12), msg, nil)
	for _, R := range recipients {
		C := xor(hkdfKey(cat(dh(eph, R), eph.pub, R), nil, labelDH, 32), M)
		AT := hkdfKey(cat(dh(sender, R), eph.pub, C, sender.pub, R), nil, labelDHS, 16)
		s.C, s.AT = append(s.C, C), append(s.AT, AT)
	}
	return s
}

// received is recipient i's 0x22 message.
func (s v2Sealed) received(i int) []byte {
	return cat([]byte{0x22}, s.C[i], s.AT[i], s.E, s.ct)
}

// serviceID is a recipient's service id: kind 0 ACI, 1 PNI.
type serviceID struct {
	kind byte
	uuid []byte
}

func (s serviceID) String() string { return serviceIDString(s.kind, s.uuid) }

// sentEntry is one recipient entry of a sent message: devices, C and AT,
// or the excluded marker. sid is written as is (17 bytes in 0x23, 16 in
// 0x22).
type sentEntry struct {
	sid      []byte
	devices  []Device
	c, at    []byte
	excluded bool
}

func (e sentEntry) encode() []byte {
	b := append([]byte(nil), e.sid...)
	if e.excluded {
		return append(b, 0)
	}
	for i, d := range e.devices {
		if d.RegistrationID > 0x3FFF {
			log.Fatalf("registration id %d", d.RegistrationID)
		}
		v := uint16(d.RegistrationID)
		if i+1 < len(e.devices) {
			v |= 0x8000
		}
		b = append(b, byte(d.ID), byte(v>>8), byte(v))
	}
	return cat(b, e.c, e.at)
}

// encodeSent is version || varint(count) || entries || shared.
func encodeSent(version byte, entries []sentEntry, shared []byte) []byte {
	b := []byte{version}
	b = appendUvarint(b, uint64(len(entries)))
	for _, e := range entries {
		b = append(b, e.encode()...)
	}
	return append(b, shared...)
}

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}
