package wire

import "google.golang.org/protobuf/encoding/protowire"

// Reader walks the fields of one protobuf message. It is the one protobuf
// reader of the module: this package's parsers use it, and so do the
// packages that read protobuf messages of their own (spqr's stored state,
// fingerprint's scannable form). Its errors are *FieldError values or
// errors wrapping ErrTruncated or ErrMalformed, naming the message.
//
// Byte fields it returns alias the input with their capacity capped at
// their length.
type Reader struct {
	b   []byte
	msg string // message name for errors
}

// NewReader returns a Reader of the message b; message names it in errors.
func NewReader(b []byte, message string) Reader { return Reader{b: b, msg: message} }

// More reports whether any bytes are left.
func (r *Reader) More() bool { return len(r.b) > 0 }

// Tag reads the next field tag. Field numbers above 2^29-1, which protobuf
// (and libsignal's prost) reject, are ErrMalformed.
func (r *Reader) Tag() (protowire.Number, protowire.Type, error) {
	num, typ, n := protowire.ConsumeTag(r.b)
	if n < 0 {
		return 0, 0, protoErr(r.msg, n)
	}
	if num > protowire.MaxValidNumber {
		// protowire accepts numbers up to 2^31-1; protobuf (and libsignal's
		// prost) stop at 2^29-1.
		return 0, 0, &FieldError{Message: r.msg, Field: "?", Err: ErrMalformed, Detail: "field number out of range"}
	}
	r.b = r.b[n:]
	return num, typ, nil
}

// Varint reads the value of a varint field of wire type typ; field names
// it in errors.
func (r *Reader) Varint(field string, typ protowire.Type) (uint64, error) {
	if typ != protowire.VarintType {
		return 0, wireTypeErr(r.msg, field, typ)
	}
	v, n := protowire.ConsumeVarint(r.b)
	if n < 0 {
		return 0, protoErr(r.msg+"."+field, n)
	}
	r.b = r.b[n:]
	return v, nil
}

// Uint32 reads a uint32 (or int32) field: protobuf keeps the low 32 bits of
// the varint.
func (r *Reader) Uint32(field string, typ protowire.Type) (uint32, error) {
	v, err := r.Varint(field, typ)
	return uint32(v), err
}

// Bytes reads a length-delimited field value; empty values come back nil.
func (r *Reader) Bytes(field string, typ protowire.Type) ([]byte, error) {
	v, err := r.Raw(field, typ)
	if len(v) == 0 {
		v = nil
	}
	return v, err
}

// Raw reads a length-delimited field value, keeping empty values non-nil.
func (r *Reader) Raw(field string, typ protowire.Type) ([]byte, error) {
	if typ != protowire.BytesType {
		return nil, wireTypeErr(r.msg, field, typ)
	}
	v, n := protowire.ConsumeBytes(r.b)
	if n < 0 {
		return nil, protoErr(r.msg+"."+field, n)
	}
	r.b = r.b[n:]
	return v[:len(v):len(v)], nil
}

// Skip skips the value of field num, of wire type typ (groups included).
func (r *Reader) Skip(num protowire.Number, typ protowire.Type) error {
	n := protowire.ConsumeFieldValue(num, typ, r.b)
	if n < 0 {
		return protoErr(r.msg, n)
	}
	r.b = r.b[n:]
	return nil
}

// Fixed64 reads a fixed64 field value.
func (r *Reader) Fixed64(field string, typ protowire.Type) (uint64, error) {
	if typ != protowire.Fixed64Type {
		return 0, wireTypeErr(r.msg, field, typ)
	}
	v, n := protowire.ConsumeFixed64(r.b)
	if n < 0 {
		return 0, protoErr(r.msg+"."+field, n)
	}
	r.b = r.b[n:]
	return v, nil
}

// Encoding helpers. Tags are small constants; protowire.AppendTag is a
// varint append.

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// appendLen writes the tag and length prefix of an embedded message.
func appendLen(b []byte, num protowire.Number, n int) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(n))
}

func sizeVarintField(num protowire.Number, v uint64) int {
	return protowire.SizeTag(num) + protowire.SizeVarint(v)
}

func sizeBytesField(num protowire.Number, n int) int {
	return protowire.SizeTag(num) + protowire.SizeBytes(n)
}

// proto3 implicit presence: zero values are not written.

func appendVarint3(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	return appendVarintField(b, num, v)
}

func appendBytes3(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	return appendBytesField(b, num, v)
}

func sizeVarint3(num protowire.Number, v uint64) int {
	if v == 0 {
		return 0
	}
	return sizeVarintField(num, v)
}

func sizeBytes3(num protowire.Number, v []byte) int {
	if len(v) == 0 {
		return 0
	}
	return sizeBytesField(num, len(v))
}

// int32Wire is how protobuf writes an int32: sign-extended to 64 bits.
func int32Wire(v uint32) uint64 { return uint64(int64(int32(v))) }

// clone copies b into a fresh buffer that parse results may alias.
func clone(b []byte) []byte {
	c := make([]byte, len(b))
	copy(c, b)
	return c
}

// countField counts the occurrences of field num in the message b, to size
// a repeated field before decoding it. It stops quietly at the first
// malformed field; the decoder reports the error.
func countField(b []byte, num protowire.Number) int {
	n := 0
	for len(b) > 0 {
		fn, typ, m := protowire.ConsumeField(b)
		if m < 0 {
			break
		}
		if fn == num && typ == protowire.BytesType {
			n++
		}
		b = b[m:]
	}
	return n
}
