package main

import (
	"crypto/ecdh"
	"crypto/sha256"
	"log"

	"google.golang.org/protobuf/encoding/protowire"
)

// pub33 is the public key of the private key SHA-256("recovery vectors: "
// || label), 0x05 || u.
func pub33(label string) []byte {
	seed := sha256.Sum256([]byte("recovery vectors: " + label))
	k, err := ecdh.X25519().NewPrivateKey(seed[:])
	if err != nil {
		log.Fatal(err)
	}
	return append([]byte{0x05}, k.PublicKey().Bytes()...)
}

// filler is n bytes derived from label (ciphertexts, MACs, signatures:
// nothing checks them when a decryption-error message is made).
func filler(label string, n int) []byte {
	var out []byte
	for i := 0; len(out) < n; i++ {
		h := sha256.Sum256([]byte{byte(i)})
		h = sha256.Sum256(append([]byte("recovery vectors filler: "+label), h[:]...))
		out = append(out, h[:]...)
	}
	return out[:n]
}

func bytesField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func varintField(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// signalMessage is byte0 || protobuf {1 ratchet_key, 2 counter, 3
// previous_counter, 4 ciphertext, 5 pq_ratchet (if any)} || 8-byte MAC,
// byte0 = version << 4 | 4 (the current version libsignal writes).
type signalMessage struct {
	version          byte
	ratchetKey       []byte
	counter, prev    uint64
	ciphertext       []byte
	pqRatchet        []byte
	omitRatchetField bool
	mac              []byte
}

func (m signalMessage) encode() []byte {
	b := []byte{m.version<<4 | 4}
	if !m.omitRatchetField {
		b = bytesField(b, 1, m.ratchetKey)
	}
	b = varintField(b, 2, m.counter)
	b = varintField(b, 3, m.prev)
	b = bytesField(b, 4, m.ciphertext)
	if len(m.pqRatchet) > 0 {
		b = bytesField(b, 5, m.pqRatchet)
	}
	return append(b, m.mac...)
}

// preKeyMessage is byte0 || protobuf {1 pre_key_id (if any), 2 base_key, 3
// identity_key, 4 message, 5 registration_id, 6 signed_pre_key_id, 7
// kyber_pre_key_id, 8 kyber_ciphertext (if any)}.
type preKeyMessage struct {
	version        byte
	preKeyID       *uint64
	baseKey        []byte
	identityKey    []byte
	message        []byte
	registrationID uint64
	signedID       uint64
	kyberID        *uint64
	kyberCT        []byte
}

func (m preKeyMessage) encode() []byte {
	b := []byte{m.version<<4 | 4}
	if m.preKeyID != nil {
		b = varintField(b, 1, *m.preKeyID)
	}
	b = bytesField(b, 2, m.baseKey)
	b = bytesField(b, 3, m.identityKey)
	b = bytesField(b, 4, m.message)
	b = varintField(b, 5, m.registrationID)
	b = varintField(b, 6, m.signedID)
	if m.kyberID != nil {
		b = varintField(b, 7, *m.kyberID)
	}
	if m.kyberCT != nil {
		b = bytesField(b, 8, m.kyberCT)
	}
	return b
}

// senderKeyMessage is 0x33 || protobuf {1 distribution uuid, 2 chain_id, 3
// iteration, 4 ciphertext} || 64-byte signature.
func senderKeyMessage(label string) []byte {
	b := []byte{0x33}
	b = bytesField(b, 1, filler(label+" distribution id", 16))
	b = varintField(b, 2, 5)
	b = varintField(b, 3, 9)
	b = bytesField(b, 4, filler(label+" ciphertext", 32))
	return append(b, filler(label+" signature", 64)...)
}

// encodeDEM is the writer's DecryptionErrorMessage.
func encodeDEM(f fields) []byte {
	var b []byte
	if f.hasKey {
		b = bytesField(b, 1, f.key)
	}
	b = varintField(b, 2, f.timestamp)
	return varintField(b, 3, uint64(f.device))
}

// wrapDEM is the writer's PlaintextContent around a DecryptionErrorMessage.
func wrapDEM(dem []byte) []byte {
	b := bytesField([]byte{0xc0}, 8, dem)
	return append(b, 0x80)
}

func ptr(v uint64) *uint64 { return &v }
