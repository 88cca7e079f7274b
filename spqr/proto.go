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

// fields reads the fields of a message one at a time, as internal/wire's
// protobuf reader reads (written out here, without callbacks: this is the
// hot path of loading a v4 session record). Groups and fixed-width fields
// are skipped (SPQR uses neither); any malformed field, or a field number
// above protobuf's 2^29-1, ends the reading with bad set. A parser reads:
//
//	r := fields{b: buf}
//	var f pfield
//	for r.next(&f) {
//		switch f.num { ... }
//	}
//	if r.bad { ... }
type fields struct {
	b   []byte
	bad bool
}

// next reads the next field into f. It returns false at the end of the
// message and on a malformed field (then r.bad is set).
func (r *fields) next(f *pfield) bool {
	for len(r.b) > 0 {
		b := r.b
		var num protowire.Number
		var typ protowire.Type
		var n int
		if t := b[0]; t < 0x80 && t >= 8 { // one-byte tag of a field number 1..15
			num, typ, n = protowire.Number(t>>3), protowire.Type(t&7), 1
		} else {
			num, typ, n = protowire.ConsumeTag(b)
			if n < 0 || num > protowire.MaxValidNumber {
				r.bad = true
				return false
			}
		}
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			if len(b) > 0 && b[0] < 0x80 {
				f.v, n = uint64(b[0]), 1
			} else {
				f.v, n = protowire.ConsumeVarint(b)
			}
			f.b = nil
		case protowire.BytesType:
			if len(b) > 0 && b[0] < 0x80 && int(b[0]) < len(b) {
				f.b, n = b[1:1+b[0]], 1+int(b[0])
			} else {
				f.b, n = protowire.ConsumeBytes(b)
			}
			f.v = 0
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				r.bad = true
				return false
			}
			r.b = b[n:]
			continue
		}
		if n < 0 {
			r.bad = true
			return false
		}
		r.b = b[n:]
		f.num, f.typ = num, typ
		return true
	}
	return false
}

// entry reads the next field if it is a bytes field of at most 127 bytes
// with one-byte tag t, as the erasure coders' 16 entries are, and returns
// its value; else it reads nothing. It is the fast path (small enough to
// inline) of the parsers' hottest loops; next reads any field.
func (r *fields) entry(t byte) ([]byte, bool) {
	b := r.b
	if len(b) < 2 || b[0] != t || b[1] >= 0x80 || 2+int(b[1]) > len(b) {
		return nil, false
	}
	n := 2 + int(b[1])
	r.b = b[n:]
	return b[2:n], true
}

// err is ErrStateDecode after a malformed field, else nil.
func (r *fields) err() error {
	if r.bad {
		return ErrStateDecode
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

// bytes returns a bytes field's value, aliasing the message: parseState
// parses bytes handed over to it (ParseState's own copy, or what the caller
// of ParseStateOwned gave up), and a state never writes into its byte
// fields. The capacity is capped, so an append copies.
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
