package main

import (
	"errors"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// The generator's own reader: libsignal's rules for the three operations,
// as the project's notes restate them. Every vector's verdict is checked
// against it (see check in vectors.go).

// fields are a decryption-error message's fields.
type fields struct {
	timestamp uint64
	device    uint32
	key       []byte // 33 bytes when hasKey
	hasKey    bool
}

// errName maps a negative protowire length to an error name.
func errName(n int) string {
	if errors.Is(protowire.ParseError(n), io.ErrUnexpectedEOF) {
		return "truncated"
	}
	return "malformed"
}

// field is one protobuf field: its number, wire type and value (the bytes
// of a length-delimited field, the number of a varint).
type field struct {
	num   protowire.Number
	typ   protowire.Type
	bytes []byte
	v     uint64
}

// walk reads every field of b, in order; kinds gives the wire type each
// known field must have (a known field of another type is "malformed").
func walk(b []byte, kinds map[protowire.Number]protowire.Type) ([]field, string) {
	var out []field
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, errName(n)
		}
		if num > protowire.MaxValidNumber {
			return nil, "malformed"
		}
		b = b[n:]
		want, known := kinds[num]
		if known && want != typ {
			return nil, "malformed"
		}
		f := field{num: num, typ: typ}
		switch {
		case known && typ == protowire.BytesType:
			f.bytes, n = protowire.ConsumeBytes(b)
		case known && typ == protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return nil, errName(n)
		}
		b = b[n:]
		out = append(out, f)
	}
	return out, ""
}

// publicKey is libsignal's deserialization: a type byte 0x05 and at least
// 32 bytes, of which the first 32 are the key (more is accepted).
func publicKey(b []byte) ([]byte, bool) {
	if len(b) < 33 || b[0] != 0x05 {
		return nil, false
	}
	return b[:33], true
}

// readDEM parses a DecryptionErrorMessage. trailing reports a ratchet key
// longer than 33 bytes (accepted).
func readDEM(b []byte) (f fields, trailing bool, err string) {
	fs, err := walk(b, map[protowire.Number]protowire.Type{1: protowire.BytesType, 2: protowire.VarintType, 3: protowire.VarintType})
	if err != "" {
		return fields{}, false, err
	}
	var haveTS bool
	var key []byte
	for _, x := range fs {
		switch x.num {
		case 1:
			key, f.hasKey = x.bytes, true
		case 2:
			f.timestamp, haveTS = x.v, true
		case 3:
			f.device = uint32(x.v)
		}
	}
	if !haveTS {
		return fields{}, false, "missing_timestamp"
	}
	if f.hasKey {
		k, ok := publicKey(key)
		if !ok {
			return fields{}, false, "bad_ratchet_key"
		}
		f.key, trailing = k, len(key) > 33
	}
	return f, trailing, ""
}

// readPlaintext reads a PlaintextContent and the DecryptionErrorMessage in
// it.
func readPlaintext(b []byte) (body []byte, f fields, trailing bool, err string) {
	if len(b) == 0 {
		return nil, fields{}, false, "truncated"
	}
	if b[0] != 0xc0 {
		return nil, fields{}, false, "unknown_version"
	}
	body = b[1:]
	if len(body) == 0 || body[len(body)-1] != 0x80 {
		return body, fields{}, false, "missing_padding_boundary"
	}
	kinds := map[protowire.Number]protowire.Type{}
	for n := protowire.Number(1); n <= 8; n++ {
		kinds[n] = protowire.BytesType
	}
	fs, err := walk(body[:len(body)-1], kinds)
	if err != "" {
		return body, fields{}, false, err
	}
	var dem []byte
	var have bool
	for _, x := range fs {
		if x.num == 8 {
			dem, have = x.bytes, true
		}
	}
	if !have {
		return body, fields{}, false, "missing_decryption_error"
	}
	f, trailing, err = readDEM(dem)
	return body, f, trailing, err
}

// parseSignal reads a SignalMessage's ratchet key.
func parseSignal(b []byte) ([]byte, bool) {
	if len(b) < 9 {
		return nil, false
	}
	if v := b[0] >> 4; v < 3 || v > 4 {
		return nil, false
	}
	fs, err := walk(b[1:len(b)-8], map[protowire.Number]protowire.Type{
		1: protowire.BytesType, 2: protowire.VarintType, 3: protowire.VarintType,
		4: protowire.BytesType, 5: protowire.BytesType, 6: protowire.BytesType,
	})
	if err != "" {
		return nil, false
	}
	var key []byte
	var haveKey, haveCounter, haveCT bool
	for _, x := range fs {
		switch x.num {
		case 1:
			key, haveKey = x.bytes, true
		case 2:
			haveCounter = true
		case 4:
			haveCT = true
		}
	}
	if !haveKey || !haveCounter || !haveCT {
		return nil, false
	}
	return publicKey(key)
}

// parsePreKey reads the ratchet key of a PreKeySignalMessage's message.
func parsePreKey(b []byte) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	v := b[0] >> 4
	if v < 3 || v > 4 {
		return nil, false
	}
	fs, err := walk(b[1:], map[protowire.Number]protowire.Type{
		1: protowire.VarintType, 2: protowire.BytesType, 3: protowire.BytesType, 4: protowire.BytesType,
		5: protowire.VarintType, 6: protowire.VarintType, 7: protowire.VarintType, 8: protowire.BytesType,
	})
	if err != "" {
		return nil, false
	}
	var base, identity, message []byte
	var haveBase, haveIdentity, haveMessage, haveSigned, haveKyberID, haveKyberCT bool
	for _, x := range fs {
		switch x.num {
		case 2:
			base, haveBase = x.bytes, true
		case 3:
			identity, haveIdentity = x.bytes, true
		case 4:
			message, haveMessage = x.bytes, true
		case 6:
			haveSigned = true
		case 7:
			haveKyberID = true
		case 8:
			haveKyberCT = true
		}
	}
	if !haveBase || !haveIdentity || !haveMessage || !haveSigned {
		return nil, false
	}
	if _, ok := publicKey(base); !ok {
		return nil, false
	}
	if haveKyberID != haveKyberCT || (!haveKyberID && v > 3) {
		return nil, false
	}
	if _, ok := publicKey(identity); !ok {
		return nil, false
	}
	return parseSignal(message)
}

// forOriginal makes the decryption-error message for an original.
func forOriginal(original []byte, typ int, ts uint64, device uint32) (fields, string) {
	f := fields{timestamp: ts, device: device}
	var key []byte
	var ok bool
	switch typ {
	case 2:
		key, ok = parseSignal(original)
	case 3:
		key, ok = parsePreKey(original)
	case 7:
		return f, ""
	case 8:
		return fields{}, "not_encrypted"
	default:
		return fields{}, "unknown_content_type"
	}
	if !ok {
		return fields{}, "bad_original"
	}
	f.key, f.hasKey = key, true
	return f, ""
}
