package spqr

import "google.golang.org/protobuf/encoding/protowire"

// A minimal proto3 field walker (with internal/wire's reader's rules) and writer for
// SPQR's state message (signal.proto.pq_ratchet.PqRatchetState), which
// libsignal stores in SessionStructure field 15. Like prost, the writer
// omits zero scalars and empty singular bytes, writes present sub-messages
// even when empty, and writes fields in field-number order.

type pfield struct {
	num protowire.Number
	typ protowire.Type
	v   uint64 // varint value
	b   []byte // length-delimited value
}

// walk calls f for each field of the message b, read as internal/wire's
// protobuf reader reads (written out here: this is the hot path of loading
// a v4 session record). Groups and fixed-width fields are skipped (SPQR
// uses neither); any malformed field, or a field number above protobuf's
// 2^29-1, is ErrStateDecode.
func walk(b []byte, f func(pfield) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num > protowire.MaxValidNumber {
			return ErrStateDecode
		}
		b = b[n:]
		fld := pfield{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			fld.v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			fld.b, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return ErrStateDecode
			}
			b = b[n:]
			continue
		}
		if n < 0 {
			return ErrStateDecode
		}
		b = b[n:]
		if err := f(fld); err != nil {
			return err
		}
	}
	return nil
}

// uintField and bytesField check wire types.
func (p pfield) uint() (uint64, error) {
	if p.typ != protowire.VarintType {
		return 0, ErrStateDecode
	}
	return p.v, nil
}

func (p pfield) uint32() (uint32, error) {
	v, err := p.uint()
	return uint32(v), err
}

// sub returns a nested message's bytes without copying them.
func (p pfield) sub() ([]byte, error) {
	if p.typ != protowire.BytesType {
		return nil, ErrStateDecode
	}
	return p.b, nil
}

// bytes returns a bytes field's value, aliasing the message: parseState
// parses its own copy of the stored state, and a state never writes into
// its byte fields. The capacity is capped, so an append copies.
func (p pfield) bytes() ([]byte, error) {
	if p.typ != protowire.BytesType {
		return nil, ErrStateDecode
	}
	return p.b[:len(p.b):len(p.b)], nil
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	return appendRepeatedBytes(b, num, v)
}

// appendRepeatedBytes writes v even when empty (repeated fields, messages).
func appendRepeatedBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// appendLen writes the tag and length of a sub-message (or bytes field) of
// n bytes, its exact encoded length from the size methods; the caller
// appends the body.
func appendLen(b []byte, num protowire.Number, n int) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(n))
}

// Sizes of what the append functions above write.

func sizeVarintField(num protowire.Number, v uint64) int {
	if v == 0 {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeVarint(v)
}

func sizeBytesField(num protowire.Number, n int) int {
	if n == 0 {
		return 0
	}
	return sizeMessage(num, n)
}

// sizeMessage is the size of a sub-message or repeated bytes field (written
// even when empty) of n bytes.
func sizeMessage(num protowire.Number, n int) int {
	return protowire.SizeTag(num) + protowire.SizeBytes(n)
}
