package main

import (
	"encoding/binary"
	"errors"
)

// The three protobuf messages of XEP-0384 0.8 (proto2), written field by
// field in field-number order, as protobuf encoders do:
//
//	message OMEMOMessage {
//	    required uint32 n          = 1;
//	    required uint32 pn         = 2;
//	    required bytes  dh_pub     = 3;
//	    optional bytes  ciphertext = 4;
//	}
//	message OMEMOAuthenticatedMessage {
//	    required bytes mac     = 1;
//	    required bytes message = 2; // Byte-encoding of an OMEMOMessage
//	}
//	message OMEMOKeyExchange {
//	    required uint32 pk_id = 1;
//	    required uint32 spk_id = 2;
//	    required bytes  ik     = 3;
//	    required bytes  ek     = 4;
//	    required OMEMOAuthenticatedMessage message = 5;
//	}

const (
	wireVarint = 0
	wireBytes  = 2
)

func appendTag(b []byte, field, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field<<3|wire))
}

func appendUint(b []byte, field int, v uint64) []byte {
	return binary.AppendUvarint(appendTag(b, field, wireVarint), v)
}

func appendBytes(b []byte, field int, v []byte) []byte {
	b = binary.AppendUvarint(appendTag(b, field, wireBytes), uint64(len(v)))
	return append(b, v...)
}

// omemoMessage encodes an OMEMOMessage; a nil ciphertext is left out (the
// header form that python-omemo appends to the associated data; not on the
// wire, where ciphertext is always present).
func omemoMessage(n, pn uint32, dhPub, ciphertext []byte) []byte {
	var b []byte
	b = appendUint(b, 1, uint64(n))
	b = appendUint(b, 2, uint64(pn))
	b = appendBytes(b, 3, dhPub)
	if ciphertext != nil {
		b = appendBytes(b, 4, ciphertext)
	}
	return b
}

func authenticatedMessage(mac, message []byte) []byte {
	return appendBytes(appendBytes(nil, 1, mac), 2, message)
}

func keyExchange(pkID, spkID uint32, ik, ek, authMsg []byte) []byte {
	var b []byte
	b = appendUint(b, 1, uint64(pkID))
	b = appendUint(b, 2, uint64(spkID))
	b = appendBytes(b, 3, ik)
	b = appendBytes(b, 4, ek)
	return appendBytes(b, 5, authMsg)
}

// fields parses a protobuf message into its fields (last value wins), for
// the generator's own receiver: varints as uint64, length-delimited fields
// as bytes. It fails on anything else, on truncation and on trailing bytes.
func fields(b []byte) (map[int]any, error) {
	out := map[int]any{}
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, errMalformed
		}
		b = b[n:]
		switch tag & 7 {
		case wireVarint:
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return nil, errMalformed
			}
			out[int(tag>>3)] = v
			b = b[n:]
		case wireBytes:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return nil, errMalformed
			}
			out[int(tag>>3)] = b[n : n+int(l)]
			b = b[n+int(l):]
		default:
			return nil, errMalformed
		}
	}
	return out, nil
}

var errMalformed = errors.New("malformed protobuf")
