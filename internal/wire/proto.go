package wire

import "google.golang.org/protobuf/encoding/protowire"

// reader walks the fields of one protobuf message. Byte fields it returns
// alias r.b with their capacity capped at their length.
type reader struct {
	b   []byte
	msg string // message name for errors
}

// more reports whether any bytes are left.
func (r *reader) more() bool { return len(r.b) > 0 }

// tag reads the next field tag.
func (r *reader) tag() (protowire.Number, protowire.Type, error) {
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

// varint reads a varint field value.
func (r *reader) varint(field string, typ protowire.Type) (uint64, error) {
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

// uint32 reads a uint32 (or int32) field: protobuf keeps the low 32 bits of
// the varint.
func (r *reader) uint32(field string, typ protowire.Type) (uint32, error) {
	v, err := r.varint(field, typ)
	return uint32(v), err
}

// bytes reads a length-delimited field value; empty values come back nil.
func (r *reader) bytes(field string, typ protowire.Type) ([]byte, error) {
	v, err := r.raw(field, typ)
	if len(v) == 0 {
		v = nil
	}
	return v, err
}

// raw reads a length-delimited field value, keeping empty values non-nil.
func (r *reader) raw(field string, typ protowire.Type) ([]byte, error) {
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

// skip skips the value of an unknown field (groups included).
func (r *reader) skip(num protowire.Number, typ protowire.Type) error {
	n := protowire.ConsumeFieldValue(num, typ, r.b)
	if n < 0 {
		return protoErr(r.msg, n)
	}
	r.b = r.b[n:]
	return nil
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

// fixed64 reads a fixed64 field value.
func (r *reader) fixed64(field string, typ protowire.Type) (uint64, error) {
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
