package ratchet

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"github.com/forwardsecret/signal/curve"
)

// testMsg is a stand-in for the session layer's SignalMessage: the header
// fields and body, serialized simply, with the tag over the serialization.
type testMsg struct {
	h    Header
	body []byte
	ser  []byte // authenticated bytes
	tag  [MACSize]byte
	pt   []byte // what was encrypted
}

func (m testMsg) plaintext() []byte { return m.pt }

func serialize(h Header, body []byte) []byte {
	b := []byte{0x33}
	b = h.RatchetKey.AppendBytes(b)
	b = binary.BigEndian.AppendUint32(b, h.Counter)
	b = binary.BigEndian.AppendUint32(b, h.PreviousCounter)
	return append(b, body...)
}

// party is one end of a conversation.
type party struct {
	s        *State
	id, peer curve.PublicKey
	// salt, if set, gives each message's HKDF salt from its header, as
	// SPQR would (both ends compute it); nil means no salt (v3).
	salt func(Header) []byte
}

// headerSalt is a stand-in for SPQR's per-message key: a value both ends
// can compute for a header.
func headerSalt(h Header) []byte {
	u := h.RatchetKey.U()
	d := sha256.Sum256(binary.BigEndian.AppendUint32(u[:], h.Counter))
	return d[:]
}

func (p *party) saltFor(h Header) []byte {
	if p.salt == nil {
		return nil
	}
	return p.salt(h)
}

func (p *party) send(t testing.TB, pt []byte) testMsg {
	t.Helper()
	// The salt depends on the header, which Encrypt returns; peek at it.
	salt := p.saltFor(Header{RatchetKey: p.s.RatchetKey(), Counter: p.s.SendingCounter()})
	h, body, mk, err := p.s.Encrypt(nil, pt, salt)
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	m := testMsg{h: h, body: body, ser: serialize(h, body), pt: bytes.Clone(pt)}
	m.tag = p.s.SignalMAC(&mk, p.id, p.peer, m.ser)
	return m
}

func (p *party) recv(m testMsg) ([]byte, error) {
	return p.s.Decrypt(nil, m.h, m.body, p.saltFor(m.h), func(k *MACKey) error {
		return p.s.VerifySignalMAC(k, p.peer, p.id, m.ser, m.tag[:])
	})
}

func mustKeyPair(t testing.TB) curve.KeyPair {
	t.Helper()
	kp, err := curve.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// newPair builds Alice and Bob as the session layer would after a handshake
// with random secrets.
func newPair(t testing.TB) (alice, bob *party) {
	t.Helper()
	root := sha256.Sum256([]byte("root"))
	chain := sha256.Sum256([]byte("chain"))
	spk := mustKeyPair(t)
	ida, idb := mustKeyPair(t).Public, mustKeyPair(t).Public
	a, err := NewAlice(root[:], chain[:], spk.Public, mustKeyPair(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBob(root[:], chain[:], spk)
	if err != nil {
		t.Fatal(err)
	}
	return &party{s: a, id: ida, peer: idb}, &party{s: b, id: idb, peer: ida}
}

func encoded(t testing.TB, s *State) []byte {
	t.Helper()
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatalf("MarshalBinary: %v", err)
	}
	return b
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustEqual(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s = %x, want %x", what, got, want)
	}
}
