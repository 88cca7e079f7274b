package wire

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// PreKeyRecord is a stored one-time pre-key (storage.proto
// PreKeyRecordStructure, proto3): {1 id, 2 public_key, 3 private_key}.
type PreKeyRecord struct {
	ID         uint32
	PublicKey  []byte // 0x05 || u
	PrivateKey []byte // 32 bytes
}

// SignedPreKeyRecord is a stored signed pre-key (storage.proto
// SignedPreKeyRecordStructure, proto3): {1 id, 2 public_key,
// 3 private_key, 4 signature, 5 timestamp (fixed64)}. libsignal stores
// Kyber pre-keys in the same layout, with the KEM public and secret keys
// (type byte included) as the keys.
type SignedPreKeyRecord struct {
	ID         uint32
	PublicKey  []byte
	PrivateKey []byte
	Signature  []byte
	// Timestamp is the creation time in milliseconds since the Unix epoch.
	Timestamp uint64
}

// IdentityKeyPairRecord is a stored identity key pair (storage.proto
// IdentityKeyPairStructure, proto3): {1 public_key, 2 private_key}.
type IdentityKeyPairRecord struct {
	PublicKey  []byte // 0x05 || u
	PrivateKey []byte // 32 bytes
}

const (
	krID         = 1
	krPublicKey  = 2
	krPrivateKey = 3
	krSignature  = 4
	krTimestamp  = 5

	ikPublicKey  = 1
	ikPrivateKey = 2
)

// EncodedLen is the length of the encoded record.
func (r *PreKeyRecord) EncodedLen() int {
	return sizeVarint3(krID, uint64(r.ID)) + sizeBytes3(krPublicKey, r.PublicKey) + sizeBytes3(krPrivateKey, r.PrivateKey)
}

// Append appends the encoded record to dst.
func (r *PreKeyRecord) Append(dst []byte) []byte {
	dst = slices.Grow(dst, r.EncodedLen())
	dst = appendVarint3(dst, krID, uint64(r.ID))
	dst = appendBytes3(dst, krPublicKey, r.PublicKey)
	return appendBytes3(dst, krPrivateKey, r.PrivateKey)
}

// ParsePreKeyRecord parses a pre-key record. Unknown fields are skipped;
// absent fields are zero (proto3).
func ParsePreKeyRecord(b []byte) (*PreKeyRecord, error) {
	if len(b) > MaxRecordSize {
		return nil, ErrTooLarge
	}
	rec := new(PreKeyRecord)
	r := reader{b: clone(b), msg: "PreKeyRecordStructure"}
	for r.more() {
		num, typ, err := r.tag()
		if err != nil {
			return nil, err
		}
		switch num {
		case krID:
			rec.ID, err = r.uint32("id", typ)
		case krPublicKey:
			rec.PublicKey, err = r.bytes("public_key", typ)
		case krPrivateKey:
			rec.PrivateKey, err = r.bytes("private_key", typ)
		default:
			err = r.skip(num, typ)
		}
		if err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// EncodedLen is the length of the encoded record.
func (r *SignedPreKeyRecord) EncodedLen() int {
	n := sizeVarint3(krID, uint64(r.ID)) + sizeBytes3(krPublicKey, r.PublicKey) +
		sizeBytes3(krPrivateKey, r.PrivateKey) + sizeBytes3(krSignature, r.Signature)
	if r.Timestamp != 0 {
		n += protowire.SizeTag(krTimestamp) + protowire.SizeFixed64()
	}
	return n
}

// Append appends the encoded record to dst.
func (r *SignedPreKeyRecord) Append(dst []byte) []byte {
	dst = slices.Grow(dst, r.EncodedLen())
	dst = appendVarint3(dst, krID, uint64(r.ID))
	dst = appendBytes3(dst, krPublicKey, r.PublicKey)
	dst = appendBytes3(dst, krPrivateKey, r.PrivateKey)
	dst = appendBytes3(dst, krSignature, r.Signature)
	if r.Timestamp != 0 {
		dst = protowire.AppendTag(dst, krTimestamp, protowire.Fixed64Type)
		dst = protowire.AppendFixed64(dst, r.Timestamp)
	}
	return dst
}

// ParseSignedPreKeyRecord parses a signed (or Kyber) pre-key record.
// Unknown fields are skipped; absent fields are zero (proto3).
func ParseSignedPreKeyRecord(b []byte) (*SignedPreKeyRecord, error) {
	if len(b) > MaxRecordSize {
		return nil, ErrTooLarge
	}
	rec := new(SignedPreKeyRecord)
	r := reader{b: clone(b), msg: "SignedPreKeyRecordStructure"}
	for r.more() {
		num, typ, err := r.tag()
		if err != nil {
			return nil, err
		}
		switch num {
		case krID:
			rec.ID, err = r.uint32("id", typ)
		case krPublicKey:
			rec.PublicKey, err = r.bytes("public_key", typ)
		case krPrivateKey:
			rec.PrivateKey, err = r.bytes("private_key", typ)
		case krSignature:
			rec.Signature, err = r.bytes("signature", typ)
		case krTimestamp:
			rec.Timestamp, err = r.fixed64("timestamp", typ)
		default:
			err = r.skip(num, typ)
		}
		if err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// EncodedLen is the length of the encoded record.
func (r *IdentityKeyPairRecord) EncodedLen() int {
	return sizeBytes3(ikPublicKey, r.PublicKey) + sizeBytes3(ikPrivateKey, r.PrivateKey)
}

// Append appends the encoded record to dst.
func (r *IdentityKeyPairRecord) Append(dst []byte) []byte {
	dst = slices.Grow(dst, r.EncodedLen())
	dst = appendBytes3(dst, ikPublicKey, r.PublicKey)
	return appendBytes3(dst, ikPrivateKey, r.PrivateKey)
}

// ParseIdentityKeyPairRecord parses an identity key pair record. Unknown
// fields are skipped; absent fields are empty (proto3).
func ParseIdentityKeyPairRecord(b []byte) (*IdentityKeyPairRecord, error) {
	if len(b) > MaxRecordSize {
		return nil, ErrTooLarge
	}
	rec := new(IdentityKeyPairRecord)
	r := reader{b: clone(b), msg: "IdentityKeyPairStructure"}
	for r.more() {
		num, typ, err := r.tag()
		if err != nil {
			return nil, err
		}
		switch num {
		case ikPublicKey:
			rec.PublicKey, err = r.bytes("public_key", typ)
		case ikPrivateKey:
			rec.PrivateKey, err = r.bytes("private_key", typ)
		default:
			err = r.skip(num, typ)
		}
		if err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// String returns a summary without the private key.
func (r PreKeyRecord) String() string {
	return fmt.Sprintf("wire.PreKeyRecord{ID: %d, PublicKey: %x, PrivateKey: %s}", r.ID, r.PublicKey, secret(r.PrivateKey))
}

// GoString is String, so that %#v does not print the key either.
func (r PreKeyRecord) GoString() string { return r.String() }

// String returns a summary without the private key.
func (r SignedPreKeyRecord) String() string {
	return fmt.Sprintf("wire.SignedPreKeyRecord{ID: %d, PublicKey: %d bytes, PrivateKey: %s, Timestamp: %d}",
		r.ID, len(r.PublicKey), secret(r.PrivateKey), r.Timestamp)
}

// GoString is String, so that %#v does not print the key either.
func (r SignedPreKeyRecord) GoString() string { return r.String() }

// String returns a summary without the private key.
func (r IdentityKeyPairRecord) String() string {
	return fmt.Sprintf("wire.IdentityKeyPairRecord{PublicKey: %x, PrivateKey: %s}", r.PublicKey, secret(r.PrivateKey))
}

// GoString is String, so that %#v does not print the key either.
func (r IdentityKeyPairRecord) GoString() string { return r.String() }
