package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"log"
	"math"
	"slices"
)

func x(b []byte) string { return hex.EncodeToString(b) }

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		log.Fatal(err)
	}
	return b
}

// libsignal-client 0.103.0's answers (see the flag libsignal_fixture).
const (
	lsRatchetKey = "05a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209"
	lsSignalV3   = "340a2105a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209100718062210abababababababababababababababab18da80c4a8f65f62"
	lsSignalV4   = "440a2105a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209100718062210ababababababababababababababababf8026ddbcc92978c"
	lsSignalDEM  = "0a2105a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a20910818080802018a1c0988408"
	lsPreKeyV3   = "340837122105ac01b2209e86354fb853237b5de0f4fab13c7fcbf433a61c019369617fecf10b1a2105ce8d3ad1ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d592242340a2105a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209100718062210abababababababababababababababab18da80c4a8f65f6228d2093042"
	lsPreKeyDEM  = "0a2105a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a20910fbd095ffbc311802"
)

// --- for_original ---

type originalCase struct {
	name     string
	original []byte
	typ      int
	ts       uint64
	device   uint32
	result   string // valid, invalid, acceptable
	err      string
	flags    []string
	comment  string
	wantDEM  string // libsignal's answer, for fixtures
}

func (g *gen) forOriginal() {
	ratchet := pub33("ratchet key")
	ratchet2 := pub33("second ratchet key")
	identity := pub33("identity key")
	base := pub33("base key")
	mac := filler("mac", 8)
	sm := func(version byte, key []byte, pq []byte) signalMessage {
		return signalMessage{version: version, ratchetKey: key, counter: 3, prev: 2, ciphertext: filler("ciphertext", 32), pqRatchet: pq, mac: mac}
	}
	v3 := sm(3, ratchet, nil).encode()
	v4 := sm(4, ratchet, filler("spqr message", 40)).encode()
	v4zero := sm(4, ratchet2, filler("spqr message", 40))
	v4zero.counter, v4zero.prev = 0, 0
	kyberCT := append([]byte{0x08}, filler("kyber ciphertext", 1568)...)
	pk := func(version byte, oneTime bool, inner []byte, kyber bool) preKeyMessage {
		m := preKeyMessage{version: version, baseKey: base, identityKey: identity, message: inner, registrationID: 4321, signedID: 12}
		if oneTime {
			m.preKeyID = ptr(77)
		}
		if kyber {
			m.kyberID, m.kyberCT = ptr(13), kyberCT
		}
		return m
	}
	bad := func(f func(*preKeyMessage)) []byte {
		m := pk(4, true, v4, true)
		f(&m)
		return m.encode()
	}
	badSignal := func(f func(*signalMessage)) []byte {
		m := sm(4, ratchet, nil)
		f(&m)
		return m.encode()
	}
	const ts = 1700000000123
	cases := []originalCase{
		{name: "libsignal SignalMessage v3", original: unhex(lsSignalV3), typ: 2, ts: 0x2_0000_0001, device: 0x8086_2021, result: "valid", flags: []string{"libsignal_fixture"}, wantDEM: lsSignalDEM},
		{name: "libsignal SignalMessage v4", original: unhex(lsSignalV4), typ: 2, ts: 0x2_0000_0001, device: 0x8086_2021, result: "valid", flags: []string{"libsignal_fixture"}, wantDEM: lsSignalDEM},
		{name: "libsignal PreKeySignalMessage v3", original: unhex(lsPreKeyV3), typ: 3, ts: 1700000000123, device: 2, result: "valid", flags: []string{"libsignal_fixture"}, wantDEM: lsPreKeyDEM},
		{name: "libsignal SenderKeyMessage", original: senderKeyMessage("sender key"), typ: 7, ts: 42, device: 3, result: "valid", flags: []string{"libsignal_fixture"}, wantDEM: "102a1803", comment: "libsignal's message for timestamp 42 and device 3 does not depend on the original"},

		{name: "SignalMessage v3", original: v3, typ: 2, ts: ts, device: 1, result: "valid"},
		{name: "SignalMessage v4 with an SPQR message", original: v4, typ: 2, ts: ts, device: 1, result: "valid"},
		{name: "SignalMessage v4, counter 0", original: v4zero.encode(), typ: 2, ts: ts, device: 7, result: "valid"},
		{name: "SignalMessage, timestamp 0, device 0", original: v4, typ: 2, ts: 0, device: 0, result: "valid"},
		{name: "SignalMessage, device 127", original: v4, typ: 2, ts: ts, device: 127, result: "valid"},
		{name: "SignalMessage, device 2^32-1", original: v4, typ: 2, ts: ts, device: math.MaxUint32, result: "valid"},
		{name: "SignalMessage, timestamp 2^53+1", original: v4, typ: 2, ts: 1<<53 + 1, device: 1, result: "valid", flags: []string{"timestamp_above_2_53"}},
		{name: "SignalMessage, timestamp 2^64-1", original: v4, typ: 2, ts: math.MaxUint64, device: 1, result: "valid", flags: []string{"timestamp_above_2_53"}},
		{name: "PreKeySignalMessage v4 (Kyber1024), one-time prekey", original: pk(4, true, v4, true).encode(), typ: 3, ts: ts, device: 1, result: "valid"},
		{name: "PreKeySignalMessage v4 (Kyber1024), no one-time prekey", original: pk(4, false, v4, true).encode(), typ: 3, ts: ts, device: 2, result: "valid"},
		{name: "PreKeySignalMessage v3, no one-time prekey", original: pk(3, false, v3, false).encode(), typ: 3, ts: ts, device: 3, result: "valid"},
		{name: "SenderKeyMessage", original: senderKeyMessage("group"), typ: 7, ts: ts, device: 1, result: "valid"},
		{name: "sender-key original that is no message", original: []byte{0xff}, typ: 7, ts: ts, device: 1, result: "valid", flags: []string{"original_not_read"}},
		{name: "empty sender-key original", original: nil, typ: 7, ts: ts, device: 1, result: "valid", flags: []string{"original_not_read"}},

		{name: "PlaintextContent", original: wrapDEM(encodeDEM(fields{timestamp: 1, device: 1})), typ: 8, ts: ts, device: 1, result: "invalid", err: "not_encrypted"},
		{name: "type 1 (npm libsignal's SignalMessage number)", original: v4, typ: 1, ts: ts, device: 1, result: "invalid", err: "unknown_content_type"},
		{name: "type 0", original: v4, typ: 0, ts: ts, device: 1, result: "invalid", err: "unknown_content_type"},
		{name: "type 4", original: v4, typ: 4, ts: ts, device: 1, result: "invalid", err: "unknown_content_type"},
		{name: "SignalMessage of 2 bytes", original: []byte{0xff, 0}, typ: 2, ts: ts, device: 1, result: "invalid", err: "bad_original"},
		{name: "empty SignalMessage", original: nil, typ: 2, ts: ts, device: 1, result: "invalid", err: "bad_original"},
		{name: "SignalMessage, legacy version 2", original: append([]byte{0x22}, v4[1:]...), typ: 2, ts: ts, device: 1, result: "invalid", err: "bad_original"},
		{name: "SignalMessage, version 5", original: append([]byte{0x54}, v4[1:]...), typ: 2, ts: ts, device: 1, result: "invalid", err: "bad_original"},
		{name: "SignalMessage without ratchet key", original: badSignal(func(m *signalMessage) { m.omitRatchetField = true }), typ: 2, ts: ts, device: 1, result: "invalid", err: "bad_original"},
		{name: "SignalMessage, ratchet key type 0x06", original: badSignal(func(m *signalMessage) { m.ratchetKey = append([]byte{0x06}, ratchet[1:]...) }), typ: 2, ts: ts, device: 1, result: "invalid", err: "bad_original"},
		{name: "SignalMessage, ratchet key of 32 bytes", original: badSignal(func(m *signalMessage) { m.ratchetKey = ratchet[:32] }), typ: 2, ts: ts, device: 1, result: "invalid", err: "bad_original"},
		{name: "SignalMessage, ratchet key of 34 bytes", original: badSignal(func(m *signalMessage) { m.ratchetKey = append(slices.Clone(ratchet), 0) }), typ: 2, ts: ts, device: 1, result: "acceptable", err: "bad_original", flags: []string{"key_trailing_bytes"}},
		{name: "a PreKeySignalMessage as type 2", original: pk(4, true, v4, true).encode(), typ: 2, ts: ts, device: 1, result: "invalid", err: "bad_original"},
		{name: "a SignalMessage as type 3", original: v4, typ: 3, ts: ts, device: 1, result: "invalid", err: "bad_original"},
		{name: "PreKeySignalMessage v4 without Kyber fields", original: pk(4, true, v4, false).encode(), typ: 3, ts: ts, device: 1, result: "invalid", err: "bad_original"},
		{name: "PreKeySignalMessage, Kyber id without ciphertext", original: bad(func(m *preKeyMessage) { m.kyberCT = nil }), typ: 3, ts: ts, device: 1, result: "invalid", err: "bad_original"},
		{name: "PreKeySignalMessage without base key", original: bad(func(m *preKeyMessage) { m.baseKey = nil }), typ: 3, ts: ts, device: 1, result: "invalid", err: "bad_original", comment: "an empty base_key field: no key type byte"},
		{name: "PreKeySignalMessage, base key type 0x06", original: bad(func(m *preKeyMessage) { m.baseKey = append([]byte{0x06}, base[1:]...) }), typ: 3, ts: ts, device: 1, result: "invalid", err: "bad_original"},
		{name: "PreKeySignalMessage, identity key of 32 bytes", original: bad(func(m *preKeyMessage) { m.identityKey = identity[:32] }), typ: 3, ts: ts, device: 1, result: "invalid", err: "bad_original"},
		{name: "PreKeySignalMessage, inner message of 2 bytes", original: bad(func(m *preKeyMessage) { m.message = []byte{0x44, 0} }), typ: 3, ts: ts, device: 1, result: "invalid", err: "bad_original"},
		{name: "PreKeySignalMessage, legacy version 2", original: append([]byte{0x22}, pk(4, true, v4, true).encode()[1:]...), typ: 3, ts: ts, device: 1, result: "invalid", err: "bad_original"},
	}
	for _, c := range cases {
		f, err := forOriginal(c.original, c.typ, c.ts, c.device)
		libsignalResult := "valid"
		if err != "" {
			libsignalResult = "invalid"
		}
		want := c.result
		if want == "acceptable" {
			want = "valid" // libsignal accepts what stricter readers may refuse
		}
		if libsignalResult != want || (c.result == "invalid" && err != c.err) {
			log.Fatalf("for_original %q: the reader says %s %q, the case %s %q", c.name, libsignalResult, err, c.result, c.err)
		}
		v := OriginalVector{
			ID: g.nextID(), Name: c.name, OriginalType: c.typ, Original: x(c.original),
			Timestamp: u64(c.ts), OriginalSenderDeviceID: c.device,
			Verdict: g.verdict(c.result, c.err, c.flags, c.comment),
		}
		if libsignalResult == "valid" {
			dem := encodeDEM(f)
			if c.wantDEM != "" && x(dem) != c.wantDEM {
				log.Fatalf("for_original %q: %x, libsignal %s", c.name, dem, c.wantDEM)
			}
			if f.hasKey {
				v.RatchetKey = x(f.key)
			}
			v.DecryptionErrorMessage, v.PlaintextContent, v.Body = x(dem), x(wrapDEM(dem)), x(wrapDEM(dem)[1:])
		}
		g.f.ForOriginal = append(g.f.ForOriginal, v)
	}
}

// --- decryption_error_messages ---

type messageCase struct {
	name    string
	in      []byte
	result  string
	err     string
	flags   []string
	comment string
}

func (g *gen) messages() {
	key := pub33("ratchet key")
	canonical := encodeDEM(fields{timestamp: 1700000000123, device: 3, key: key, hasKey: true})
	big := append(encodeDEM(fields{timestamp: 5, device: 1}), bytesField(nil, 9, filler("padding", 1100))...)
	cases := []messageCase{
		{name: "canonical, with ratchet key", in: canonical, result: "valid"},
		{name: "canonical, without ratchet key", in: encodeDEM(fields{timestamp: 1700000000123, device: 3}), result: "valid"},
		{name: "timestamp 2^64-1, device 2^32-1", in: encodeDEM(fields{timestamp: math.MaxUint64, device: math.MaxUint32, key: key, hasKey: true}), result: "valid", flags: []string{"timestamp_above_2_53"}},
		{name: "ratchet key of 32 zero bytes", in: encodeDEM(fields{timestamp: 1, device: 1, key: append([]byte{5}, make([]byte, 32)...), hasKey: true}), result: "valid", flags: []string{"zero_key"}},

		// libsignal's answers.
		{name: "timestamp only", in: unhex("1005"), result: "valid", flags: []string{"libsignal_fixture"}},
		{name: "timestamp 0 only", in: unhex("1000"), result: "valid", flags: []string{"libsignal_fixture"}},
		{name: "repeated fields", in: unhex("1005180110091802"), result: "valid", flags: []string{"libsignal_fixture", "repeated_field"}},
		{name: "device id of 5 bytes", in: unhex("100518ffffffffff0f"), result: "valid", flags: []string{"libsignal_fixture", "device_id_over_32"}},
		{name: "device id of 10 bytes", in: unhex("100518ffffffffffffffffff01"), result: "valid", flags: []string{"libsignal_fixture", "device_id_over_32"}},
		{name: "unknown fields", in: unhex("100520012a0161"), result: "valid", flags: []string{"libsignal_fixture", "unknown_fields"}},
		{name: "an empty group", in: unhex("10052b2c"), result: "valid", flags: []string{"libsignal_fixture", "unknown_fields"}},
		{name: "fields out of order", in: unhex("180510070a21" + lsRatchetKey), result: "valid", flags: []string{"libsignal_fixture", "out_of_order"}},
		{name: "ratchet key with a trailing byte", in: unhex("0a22" + lsRatchetKey + "001005"), result: "acceptable", err: "bad_ratchet_key", flags: []string{"libsignal_fixture", "key_trailing_bytes"}},
		{name: "no timestamp", in: unhex("0a21" + lsRatchetKey + "1801"), result: "invalid", err: "missing_timestamp", flags: []string{"libsignal_fixture"}},
		{name: "empty", in: nil, result: "invalid", err: "missing_timestamp", flags: []string{"libsignal_fixture"}},
		{name: "ratchet key of 32 bytes", in: unhex("0a20" + lsRatchetKey[:64] + "1005"), result: "invalid", err: "bad_ratchet_key", flags: []string{"libsignal_fixture"}},
		{name: "empty ratchet key", in: unhex("0a001005"), result: "invalid", err: "bad_ratchet_key", flags: []string{"libsignal_fixture"}},
		{name: "ratchet key type 0x06", in: unhex("0a2106" + lsRatchetKey[2:] + "1005"), result: "invalid", err: "bad_ratchet_key", flags: []string{"libsignal_fixture"}},
		{name: "timestamp as bytes", in: unhex("12050102030405"), result: "invalid", err: "malformed", flags: []string{"libsignal_fixture", "wire_type"}},
		{name: "timestamp as fixed64", in: unhex("110102030405060708"), result: "invalid", err: "malformed", flags: []string{"libsignal_fixture", "wire_type"}},
		{name: "device id as bytes", in: unhex("10051a0101"), result: "invalid", err: "malformed", flags: []string{"libsignal_fixture", "wire_type"}},
		{name: "truncated ratchet key", in: unhex("0a21" + lsRatchetKey[:20]), result: "invalid", err: "truncated", flags: []string{"libsignal_fixture"}},
		{name: "field number 0", in: unhex("00011005"), result: "invalid", err: "malformed", flags: []string{"libsignal_fixture"}},

		{name: "ratchet key as a varint", in: unhex("08011005"), result: "invalid", err: "malformed", flags: []string{"wire_type"}},
		{name: "timestamp varint of 11 bytes", in: unhex("10ffffffffffffffffffff01"), result: "invalid", err: "malformed"},
		{name: "timestamp varint overflowing 64 bits", in: unhex("10ffffffffffffffffff02"), result: "invalid", err: "malformed"},
		{name: "field number 2^29", in: append(unhex("1005"), 0x80, 0x80, 0x80, 0x80, 0x10, 0x00), result: "invalid", err: "malformed"},
		{name: "unterminated group", in: unhex("10052b"), result: "invalid", err: "truncated", comment: "a start-group tag and no end"},
		{name: "mismatched end group", in: unhex("10052b34"), result: "invalid", err: "malformed"},
		{name: "longer than 1,024 bytes", in: big, result: "acceptable", err: "too_large", flags: []string{"oversized", "unknown_fields"}},
	}
	for n := range canonical {
		cases = append(cases, messageCase{name: fmt.Sprintf("first %d bytes of the canonical message", n), in: canonical[:n], flags: []string{"prefix"}})
	}
	for _, c := range cases {
		f, trailing, err := readDEM(c.in)
		if c.result == "" { // a prefix: the reader decides
			c.result, c.err = "valid", err
			if err != "" {
				c.result = "invalid"
			}
		}
		want := c.result
		if want == "acceptable" {
			want = "valid"
		}
		if got := map[bool]string{true: "valid", false: "invalid"}[err == ""]; got != want || (c.result == "invalid" && err != c.err) {
			log.Fatalf("message %q: the reader says %s %q, the case %s %q", c.name, got, err, c.result, c.err)
		}
		if trailing != slices.Contains(c.flags, "key_trailing_bytes") || (len(c.in) > 1024) != slices.Contains(c.flags, "oversized") {
			log.Fatalf("message %q: flags %v", c.name, c.flags)
		}
		v := MessageVector{ID: g.nextID(), Name: c.name, Encoded: x(c.in), Verdict: g.verdict(c.result, c.err, c.flags, c.comment)}
		if err == "" {
			v.Fields = jsonFields(f)
			v.Canonical = x(encodeDEM(f))
			if bytes.Equal(c.in, canonical) && v.Canonical != x(canonical) {
				log.Fatal("the canonical message is not canonical")
			}
		}
		g.f.Messages = append(g.f.Messages, v)
	}
}

func jsonFields(f fields) Fields {
	out := Fields{Timestamp: u64(f.timestamp), DeviceID: f.device}
	if f.hasKey {
		out.RatchetKey = x(f.key)
	}
	return out
}

// --- plaintext_contents ---

func (g *gen) plaintextContents() {
	key := pub33("ratchet key")
	dem := encodeDEM(fields{timestamp: 1700000000123, device: 3, key: key, hasKey: true})
	small := unhex("10051801") // timestamp 5, device 1
	content := func(parts ...[]byte) []byte {
		b := []byte{0xc0}
		for _, p := range parts {
			b = append(b, p...)
		}
		return append(b, 0x80)
	}
	f8 := func(d []byte) []byte { return bytesField(nil, 8, d) }
	canonical := wrapDEM(dem)
	cases := []struct {
		name    string
		in      []byte
		result  string
		err     string
		flags   []string
		comment string
	}{
		{name: "canonical, with ratchet key", in: canonical, result: "valid"},
		{name: "canonical, sender-key error", in: wrapDEM(encodeDEM(fields{timestamp: 42, device: 3})), result: "valid"},
		{name: "libsignal's canonical form", in: content(f8(small)), result: "valid", flags: []string{"libsignal_fixture"}},
		{name: "unknown field 9 as a varint", in: content(unhex("4801"), f8(small)), result: "valid", flags: []string{"libsignal_fixture", "unknown_fields"}},
		{name: "field 8 twice", in: content(f8(unhex("1000")), f8(small)), result: "valid", flags: []string{"libsignal_fixture", "repeated_field"}},
		{name: "no 0x80 at the end", in: append([]byte{0xc0}, f8(small)...), result: "invalid", err: "missing_padding_boundary", flags: []string{"libsignal_fixture"}},
		{name: "no field 8", in: content(unhex("0a00")), result: "invalid", err: "missing_decryption_error", flags: []string{"libsignal_fixture"}},
		{name: "only 0x80", in: content(), result: "invalid", err: "missing_decryption_error", flags: []string{"libsignal_fixture"}},
		{name: "0xC0 alone", in: []byte{0xc0}, result: "invalid", err: "missing_padding_boundary", flags: []string{"libsignal_fixture"}, comment: "libsignal reads it as a PlaintextContent with an empty body; extraction fails"},
		{name: "empty", in: nil, result: "invalid", err: "truncated", flags: []string{"libsignal_fixture"}},
		{name: "first byte 0xC1", in: append([]byte{0xc1}, canonical[1:]...), result: "invalid", err: "unknown_version", flags: []string{"libsignal_fixture"}},
		{name: "field 1 as a varint", in: content(unhex("0801"), f8(small)), result: "invalid", err: "malformed", flags: []string{"libsignal_fixture", "wire_type"}},
		{name: "field 7 as a varint", in: content(unhex("3801"), f8(small)), result: "invalid", err: "malformed", flags: []string{"libsignal_fixture", "wire_type"}},
		{name: "field 8 as a varint", in: content(unhex("4005")), result: "invalid", err: "malformed", flags: []string{"libsignal_fixture", "wire_type"}},
		{name: "a DEM without timestamp", in: content(f8(unhex("1801"))), result: "invalid", err: "missing_timestamp", flags: []string{"libsignal_fixture"}},

		{name: "a data message besides", in: content(bytesField(nil, 1, filler("data", 20)), f8(dem)), result: "valid", flags: []string{"extra_content"}},
		{name: "Signal's later Content fields 9 to 11", in: content(f8(dem), bytesField(nil, 9, []byte{1}), bytesField(nil, 10, []byte{2}), bytesField(nil, 11, []byte{3})), result: "valid", flags: []string{"unknown_fields"}},
		{name: "empty field 8", in: content(f8(nil)), result: "invalid", err: "missing_timestamp"},
		{name: "a DEM with a bad ratchet key", in: content(f8(unhex("0a2106" + lsRatchetKey[2:] + "1005"))), result: "invalid", err: "bad_ratchet_key"},
		{name: "a DEM whose ratchet key has a trailing byte", in: content(f8(unhex("0a22" + lsRatchetKey + "001005"))), result: "acceptable", err: "bad_ratchet_key", flags: []string{"key_trailing_bytes"}},
		{name: "a byte after the 0x80", in: append(slices.Clone(canonical), 0), result: "invalid", err: "missing_padding_boundary"},
		{name: "field 8 cut short", in: content(unhex("4210"), small), result: "invalid", err: "truncated"},
		{name: "longer than 1,024 bytes", in: content(bytesField(nil, 1, filler("data", 1100)), f8(small)), result: "acceptable", err: "too_large", flags: []string{"oversized", "extra_content"}},
	}
	for _, c := range cases {
		body, f, trailing, err := readPlaintext(c.in)
		want := c.result
		if want == "acceptable" {
			want = "valid"
		}
		if got := map[bool]string{true: "valid", false: "invalid"}[err == ""]; got != want || (c.result == "invalid" && err != c.err) {
			log.Fatalf("plaintext %q: the reader says %s %q, the case %s %q", c.name, got, err, c.result, c.err)
		}
		if trailing != slices.Contains(c.flags, "key_trailing_bytes") || (len(c.in) > 1024) != slices.Contains(c.flags, "oversized") {
			log.Fatalf("plaintext %q: flags %v", c.name, c.flags)
		}
		v := PlaintextVector{ID: g.nextID(), Name: c.name, Serialized: x(c.in), Verdict: g.verdict(c.result, c.err, c.flags, c.comment)}
		if err == "" {
			v.Body = x(body)
			v.Fields = jsonFields(f)
		}
		g.f.PlaintextContents = append(g.f.PlaintextContents, v)
	}
}
