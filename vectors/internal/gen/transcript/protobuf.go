package main

import (
	"encoding/binary"
	"log"
)

// Protobuf (proto2 wire format, fields in number order): writing
// SignalMessage and PreKeySignalMessage, and reading fields back.

func pbVarint(b []byte, field int, v uint64) []byte {
	b = binary.AppendUvarint(b, uint64(field<<3)) // wire type 0 (varint)
	return binary.AppendUvarint(b, v)
}

func pbBytes(b []byte, field int, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(field<<3|2))
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// signalMessage returns byte0 || protobuf (without the MAC); pq, if not
// empty, is the SPQR message of field 5.
func signalMessage(version int, ratchetKey []byte, counter, prev uint32, ct, pq []byte) []byte {
	b := []byte{byte(version<<4 | version)}
	b = pbBytes(b, 1, ratchetKey)
	b = pbVarint(b, 2, uint64(counter))
	b = pbVarint(b, 3, uint64(prev))
	b = pbBytes(b, 4, ct)
	if len(pq) > 0 {
		b = pbBytes(b, 5, pq)
	}
	return b
}

type preKeyFields struct {
	version        int
	hasPreKeyID    bool
	preKeyID       uint32
	baseKey        []byte
	identityKey    []byte
	message        []byte
	registrationID uint32
	signedPreKeyID uint32
	kyberID        uint32
	kyberCT        []byte
}

func (f preKeyFields) encode() []byte {
	b := []byte{byte(f.version<<4 | f.version)}
	if f.hasPreKeyID {
		b = pbVarint(b, 1, uint64(f.preKeyID))
	}
	b = pbBytes(b, 2, f.baseKey)
	b = pbBytes(b, 3, f.identityKey)
	b = pbBytes(b, 4, f.message)
	b = pbVarint(b, 5, uint64(f.registrationID))
	b = pbVarint(b, 6, uint64(f.signedPreKeyID))
	if len(f.kyberCT) > 0 {
		b = pbVarint(b, 7, uint64(f.kyberID))
		b = pbBytes(b, 8, f.kyberCT)
	}
	return b
}

// field returns the value of length-delimited field num of byte0 ||
// protobuf as this generator writes it (nil if absent).
func field(b []byte, num uint64) []byte {
	i := 1
	for i < len(b) {
		tag, n := binary.Uvarint(b[i:])
		i += n
		switch tag & 7 {
		case 0:
			_, n := binary.Uvarint(b[i:])
			i += n
		case 2:
			l, n := binary.Uvarint(b[i:])
			i += n
			if tag>>3 == num {
				return b[i : i+int(l)]
			}
			i += int(l)
		}
	}
	return nil
}

// innerMessage returns field 4 of a PreKeySignalMessage.
func innerMessage(body []byte) []byte {
	i := 1
	for i < len(body) {
		tag, n := binary.Uvarint(body[i:])
		i += n
		switch tag & 7 {
		case 0:
			_, n := binary.Uvarint(body[i:])
			i += n
		case 2:
			l, n := binary.Uvarint(body[i:])
			i += n
			if tag>>3 == 4 {
				return body[i : i+int(l)]
			}
			i += int(l)
		}
	}
	log.Fatal("no inner message")
	return nil
}
