package main

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"math/big"

	"github.com/forwardsecret/signal/vectors/internal/gen/internal/pqr"
)

// Invalid variants of a message: forged, rebuilt and tampered messages and
// SPQR fields, each with the error it must cause.

// rebuild makes a message like m whose SignalMessage is sm2 (re-wrapped in
// the same PreKey fields for type 3).
func rebuild(m sent, sm2 []byte) []byte {
	if m.typ != typePreKey {
		return sm2
	}
	f := *m.pk
	f.message = sm2
	return f.encode()
}

// forge returns a correctly MACed SignalMessage from m's sender on m's chain
// with the given counter, byte0 version and plaintext, carrying the SPQR
// message pq whose key is salt (v4).
func forge(m sent, version int, counter uint32, pt, pq, salt []byte) []byte {
	ck := m.ck
	for i := m.counter; i < counter; i++ {
		_, ck = chainStep(ck)
	}
	seed, _ := chainStep(ck)
	mk := messageKeys(seed, salt)
	sm := signalMessage(version, m.their, counter, m.prev, cbcEncrypt(mk, pt), pq)
	return append(sm, hmacSHA256(mk.mac, m.sender.identity.pub, m.sender.other.identity.pub, sm)[:8]...)
}

// freshPQ returns an SPQR message that sender could send next and
// receiver would accept now, with its key, from copies of their states
// (the draw, if any, is a throwaway stream). ok is false in v3 (nil
// message) only when receiver would refuse it.
func freshPQ(sender, receiver *party) (pq, salt []byte, ok bool) {
	if sender.pq == nil {
		return nil, nil, true
	}
	stream := chacha8Stream(drawSeed("throwaway "+sender.drawLabel), 96)
	msg, key, _, err := sender.pq.Clone().Send(func(n int) ([]byte, error) { return stream[:n], nil })
	if err != nil {
		log.Fatal(err)
	}
	got, _, err := receiver.pq.Clone().Recv(msg)
	if err != nil || !bytes.Equal(got, key) {
		return nil, nil, false
	}
	return msg, key, true
}

// invalidSPQR adds variants of m's SPQR field (SignalMessage field 5) with
// m's MAC kept: each is checked against a copy of the receiver's SPQR state.
func (g *gen) invalidSPQR(m sent, receiver *party, add func(name, flag, errName string, body []byte)) {
	state := func() *pqr.State {
		if receiver.pq != nil {
			return receiver.pq.Clone()
		}
		return pqr.New(receiver.authKey, receiver.name == "alice")
	}
	body := m.sm[:len(m.sm)-8]
	with := func(pq []byte) []byte {
		sm := signalMessage(m.sender.version, m.their, m.counter, m.prev, field(body, 4), pq)
		return rebuild(m, append(sm, m.sm[len(m.sm)-8:]...))
	}
	parsed, err := pqr.Parse(m.pq)
	if err != nil {
		log.Fatal(err)
	}
	try := func(name, flag, errName string, pq []byte, want func([]byte, error) bool) {
		key, _, err := state().Recv(pq)
		if want(key, err) {
			add(name, flag, errName, with(pq))
		}
	}
	accepted := func(key []byte, err error) bool { return err == nil }
	if parsed.Type != pqr.TypeNone && parsed.Type != pqr.TypeCt1Ack {
		// A bit of the chunk flipped: SPQR takes it (the chunk does not
		// complete a decoding), the MAC, which covers field 5, fails.
		try("spqr_modified_chunk", "modified_spqr", "bad_mac", flipByte(m.pq, len(m.pq)-1, 0x01), accepted)
		try("spqr_truncated", "spqr_malformed", "spqr_malformed", m.pq[:len(m.pq)-1],
			func(_ []byte, err error) bool { return errors.Is(err, pqr.ErrDecode) })
	}
	idx := parsed
	idx.Index++
	try("spqr_modified_index", "modified_spqr", "bad_mac", idx.Marshal(), accepted)
	ep := parsed
	ep.Epoch = state().Epoch() + 2
	try("spqr_epoch_too_far", "spqr_epoch", "spqr_epoch", ep.Marshal(),
		func(_ []byte, err error) bool { return errors.Is(err, pqr.ErrEpochOutOfRange) })
	try("spqr_unknown_version", "spqr_unknown_version", "bad_mac", append([]byte{2}, m.pq[1:]...),
		func(key []byte, err error) bool { return err == nil && key == nil })
	try("spqr_missing", "spqr_missing", "spqr_missing", nil,
		func(_ []byte, err error) bool {
			return errors.Is(err, pqr.ErrMinimumVersion) || errors.Is(err, pqr.ErrVersionMismatch)
		})
}

// invalidMessages adds the invalid variants of message m, offered to
// receiver before event ev. n is the receiver's next index on m's chain.
func (g *gen) invalidMessages(t *Transcript, s spec, m sent, receiver *party, n uint32, ev int, full bool) {
	add := func(name, flag, errName string, body []byte) {
		g.add(t, Invalid{Name: fmt.Sprintf("%s_%s_%d", receiver.name, name, m.counter), BeforeEvent: ev, Party: receiver.name,
			Type: m.typ, Body: x(body), Flags: []string{flag}, Error: errName})
	}
	v := s.version
	// Tampered MAC: last byte of the SignalMessage's tag.
	add("bad_mac", "modified_mac", "bad_mac", rebuild(m, flipByte(m.sm, len(m.sm)-1, 0x01)))
	// Tampered ciphertext (the MAC covers it).
	ctEnd := len(m.sm) - 8
	if len(m.pq) > 0 {
		ctEnd -= len(pbBytes(nil, 5, m.pq))
	}
	add("modified_ciphertext", "modified_ciphertext", "bad_mac", rebuild(m, flipByte(m.sm, ctEnd-4, 0x80)))
	// Truncations of the whole message.
	add("truncated_by_one", "truncated", "truncated", m.body[:len(m.body)-1])
	add("truncated_to_version", "truncated", "truncated", m.body[:1])
	if full {
		add("truncated_half", "truncated", "truncated", m.body[:len(m.body)/2])
		add("empty", "truncated", "truncated", []byte{})
		add("mac_only_truncated", "truncated", "truncated", rebuild(m, m.sm[:len(m.sm)-1]))
	}
	// Versions in byte 0.
	add("legacy_version", "legacy_version", "legacy_version", append([]byte{0x23}, m.body[1:]...))
	add("unknown_version", "unknown_version", "unknown_version", append([]byte{0x53}, m.body[1:]...))
	if m.typ == typeSignal && full {
		// The other session version, correctly MACed over the new byte 0.
		other := 3
		if v == 3 {
			other = 4
		}
		add("wrong_session_version", "wrong_version", "wrong_version",
			forge(m, other, m.counter, []byte("wrong version"), m.pq, m.salt))
	}
	// A counter just past the forward-jump limit, correctly MACed (v4: with
	// m's SPQR message and key, which the receiver has not seen yet).
	add("counter_too_far", "counter_past_limit", "counter_too_far",
		rebuild(m, forge(m, v, n+maxForwardJump+1, []byte("too far"), m.pq, m.salt)))
	if v == 4 && full {
		g.invalidSPQR(m, receiver, add)
	}
	if m.typ == typePreKey && full {
		base := func(name string, key []byte) {
			f := *m.pk
			f.baseKey = key
			f.message = m.sm
			add(name, "bad_base_key", "bad_base_key", f.encode())
		}
		zero := make([]byte, 32)
		base("base_key_zero", append([]byte{0x05}, zero...))
		one := make([]byte, 32)
		one[0] = 1
		base("base_key_one", append([]byte{0x05}, one...))
		base("base_key_noncanonical", append([]byte{0x05}, toLE(new(big.Int).Add(p25519, big.NewInt(9)))...))
		base("base_key_high_bit", append([]byte{0x05}, flipByte(m.pk.baseKey[1:], 31, 0x80)...))
		if v == 4 {
			kem := func(name, flag string, ct []byte) {
				f := *m.pk
				f.kyberCT = ct
				f.message = m.sm
				add(name, flag, "bad_kem_ciphertext", f.encode())
			}
			ct := m.pk.kyberCT
			kem("kem_ciphertext_short", "kem_ciphertext_length", ct[:len(ct)-1])
			kem("kem_ciphertext_long", "kem_ciphertext_length", append(append([]byte(nil), ct...), 0))
			wrong := byte(0x0A)
			if ct[0] == 0x0A {
				wrong = 0x08
			}
			kem("kem_ciphertext_type", "kem_ciphertext_type", append([]byte{wrong}, ct[1:]...))
			kem("kem_ciphertext_untyped", "kem_ciphertext_type", ct[1:])
			f := *m.pk
			f.kyberCT = nil
			f.message = m.sm
			add("kem_ciphertext_missing", "kem_missing", "missing_kem", f.encode())
		}
	}
}
