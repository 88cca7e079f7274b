package libsignal

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/compat"
	"github.com/forwardsecret/signal/internal/wire"
)

// invalid wraps err, the cause, with compat.ErrInvalidRecord and the name
// of the record.
func invalid(record string, err error) error {
	return fmt.Errorf("%w: %s: %w", compat.ErrInvalidRecord, record, err)
}

// invalidf is invalid with a message of its own.
func invalidf(record, format string, a ...any) error {
	return fmt.Errorf("%w: %s: "+format, append([]any{compat.ErrInvalidRecord, record}, a...)...)
}

// keyRecord holds the fields of storage.proto's PreKeyRecordStructure
// {1 id, 2 public_key, 3 private_key} and SignedPreKeyRecordStructure
// (the same, then 4 signature, 5 timestamp as fixed64 milliseconds), which
// libsignal also uses for Kyber prekeys. The byte fields alias the input.
type keyRecord struct {
	id        uint32
	public    []byte
	private   []byte
	signature []byte
	timestamp uint64
}

// parseKeyRecord reads a key record as protobuf (and libsignal's prost)
// does: fields in any order, the last occurrence of a field wins, unknown
// fields are skipped. Fields 4 and 5 are known only if signed.
func parseKeyRecord(b []byte, name string, signed bool) (keyRecord, error) {
	var k keyRecord
	r := wire.NewReader(b, name)
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return k, invalid(name, err)
		}
		switch {
		case num == 1:
			k.id, err = r.Uint32("id", typ)
		case num == 2:
			k.public, err = r.Bytes("public_key", typ)
		case num == 3:
			k.private, err = r.Bytes("private_key", typ)
		case num == 4 && signed:
			k.signature, err = r.Bytes("signature", typ)
		case num == 5 && signed:
			k.timestamp, err = r.Fixed64("timestamp", typ)
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return k, invalid(name, err)
		}
	}
	return k, nil
}

// append encodes k as proto3 does (and libsignal writes it): fields in
// number order, zero values left out.
func (k *keyRecord) append(b []byte, signed bool) []byte {
	b = appendVarint(b, 1, uint64(k.id))
	b = appendBytes(b, 2, k.public)
	b = appendBytes(b, 3, k.private)
	if signed {
		b = appendBytes(b, 4, k.signature)
		if k.timestamp != 0 {
			b = protowire.AppendTag(b, 5, protowire.Fixed64Type)
			b = protowire.AppendFixed64(b, k.timestamp)
		}
	}
	return b
}

// appendVarint appends a proto3 varint field, unless v is 0.
func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// appendBytes appends a proto3 bytes field, unless v is empty.
func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}
