package wire

import (
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// SenderKeyRecord is the stored sender-key state of one (sender,
// distribution id) pair (storage.proto SenderKeyRecordStructure):
//
//	{1 repeated sender_key_states SenderKeyState}
type SenderKeyRecord struct {
	// States holds the states, newest first as libsignal keeps them.
	States []SenderKeyState
}

// SenderKeyState is one sender-key chain (storage.proto
// SenderKeyStateStructure), proto3. Field numbers, in the order written:
//
//	1 chain_id, 2 sender_chain_key {1 iteration, 2 seed},
//	3 sender_signing_key {1 public, 2 private},
//	4 repeated sender_message_keys {1 iteration, 2 seed}, 5 message_version
type SenderKeyState struct {
	MessageVersion uint32
	ChainID        uint32
	ChainKey       *SenderChainKey   // nil if absent
	SigningKey     *SenderSigningKey // nil if absent
	// MessageKeys are the stored keys of skipped group messages.
	MessageKeys []SenderMessageKey
}

// SenderChainKey is a sender-key chain's current key: {1 iteration, 2 seed}.
type SenderChainKey struct {
	Iteration uint32
	Seed      []byte
}

// SenderSigningKey is a sender-key chain's signing key pair: {1 public,
// 2 private}. Private is empty in states received from others.
type SenderSigningKey struct {
	Public  []byte
	Private []byte
}

// SenderMessageKey is a stored skipped group-message key:
// {1 iteration, 2 seed}.
type SenderMessageKey struct {
	Iteration uint32
	Seed      []byte
}

const (
	skrStates = 1

	sksChainID        = 1
	sksChainKey       = 2
	sksSigningKey     = 3
	sksMessageKeys    = 4
	sksMessageVersion = 5

	sckIteration = 1 // SenderChainKey and SenderMessageKey
	sckSeed      = 2

	sskPublic  = 1
	sskPrivate = 2
)

func (r *SenderKeyRecord) size() int {
	n := 0
	for i := range r.States {
		n += sizeBytesField(skrStates, r.States[i].size())
	}
	return n
}

func (s *SenderKeyState) size() int {
	n := sizeVarint3(sksChainID, uint64(s.ChainID)) +
		sizeVarint3(sksMessageVersion, uint64(s.MessageVersion))
	if k := s.ChainKey; k != nil {
		n += sizeBytesField(sksChainKey, sizeIterSeed(k.Iteration, k.Seed))
	}
	if k := s.SigningKey; k != nil {
		n += sizeBytesField(sksSigningKey, sizeBytes3(sskPublic, k.Public)+sizeBytes3(sskPrivate, k.Private))
	}
	for i := range s.MessageKeys {
		k := &s.MessageKeys[i]
		n += sizeBytesField(sksMessageKeys, sizeIterSeed(k.Iteration, k.Seed))
	}
	return n
}

func sizeIterSeed(it uint32, seed []byte) int {
	return sizeVarint3(sckIteration, uint64(it)) + sizeBytes3(sckSeed, seed)
}

func appendIterSeed(b []byte, num protowire.Number, it uint32, seed []byte) []byte {
	b = appendLen(b, num, sizeIterSeed(it, seed))
	b = appendVarint3(b, sckIteration, uint64(it))
	return appendBytes3(b, sckSeed, seed)
}

// EncodedLen is the length of the encoded record.
func (r *SenderKeyRecord) EncodedLen() int { return r.size() }

// Append appends the encoded record to dst.
func (r *SenderKeyRecord) Append(dst []byte) []byte {
	dst = slices.Grow(dst, r.size())
	for i := range r.States {
		s := &r.States[i]
		dst = appendLen(dst, skrStates, s.size())
		dst = s.appendTo(dst)
	}
	return dst
}

func (s *SenderKeyState) appendTo(b []byte) []byte {
	b = appendVarint3(b, sksChainID, uint64(s.ChainID))
	if k := s.ChainKey; k != nil {
		b = appendIterSeed(b, sksChainKey, k.Iteration, k.Seed)
	}
	if k := s.SigningKey; k != nil {
		b = appendLen(b, sksSigningKey, sizeBytes3(sskPublic, k.Public)+sizeBytes3(sskPrivate, k.Private))
		b = appendBytes3(b, sskPublic, k.Public)
		b = appendBytes3(b, sskPrivate, k.Private)
	}
	for i := range s.MessageKeys {
		k := &s.MessageKeys[i]
		b = appendIterSeed(b, sksMessageKeys, k.Iteration, k.Seed)
	}
	b = appendVarint3(b, sksMessageVersion, uint64(s.MessageVersion))
	return b
}

// ParseSenderKeyRecord parses a sender-key record. Unknown fields are
// skipped.
func ParseSenderKeyRecord(b []byte) (*SenderKeyRecord, error) {
	if len(b) > MaxRecordSize {
		return nil, errRecordTooLarge
	}
	rec := new(SenderKeyRecord)
	b = clone(b)
	if n := countField(b, skrStates); n > 0 {
		rec.States = make([]SenderKeyState, 0, n)
	}
	r := Reader{b: b, msg: "SenderKeyRecordStructure"}
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return nil, err
		}
		switch num {
		case skrStates:
			var v []byte
			if v, err = r.Raw("sender_key_states", typ); err == nil {
				rec.States = append(rec.States, SenderKeyState{})
				err = rec.States[len(rec.States)-1].merge(v)
			}
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return nil, err
		}
	}
	return rec, nil
}

func (s *SenderKeyState) merge(b []byte) error {
	if n := countField(b, sksMessageKeys); n > 0 {
		s.MessageKeys = slices.Grow(s.MessageKeys, n)
	}
	r := Reader{b: b, msg: "SenderKeyStateStructure"}
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return err
		}
		var v []byte
		switch num {
		case sksChainID:
			s.ChainID, err = r.Uint32("chain_id", typ)
		case sksChainKey:
			if v, err = r.Raw("sender_chain_key", typ); err == nil {
				if s.ChainKey == nil {
					s.ChainKey = new(SenderChainKey)
				}
				err = mergeIterSeed(v, "SenderKeyStateStructure.SenderChainKey", &s.ChainKey.Iteration, &s.ChainKey.Seed)
			}
		case sksSigningKey:
			if v, err = r.Raw("sender_signing_key", typ); err == nil {
				if s.SigningKey == nil {
					s.SigningKey = new(SenderSigningKey)
				}
				err = s.SigningKey.merge(v)
			}
		case sksMessageKeys:
			if v, err = r.Raw("sender_message_keys", typ); err == nil {
				s.MessageKeys = append(s.MessageKeys, SenderMessageKey{})
				k := &s.MessageKeys[len(s.MessageKeys)-1]
				err = mergeIterSeed(v, "SenderKeyStateStructure.SenderMessageKey", &k.Iteration, &k.Seed)
			}
		case sksMessageVersion:
			s.MessageVersion, err = r.Uint32("message_version", typ)
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func mergeIterSeed(b []byte, msg string, it *uint32, seed *[]byte) error {
	r := Reader{b: b, msg: msg}
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return err
		}
		switch num {
		case sckIteration:
			*it, err = r.Uint32("iteration", typ)
		case sckSeed:
			*seed, err = r.Bytes("seed", typ)
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (k *SenderSigningKey) merge(b []byte) error {
	r := Reader{b: b, msg: "SenderKeyStateStructure.SenderSigningKey"}
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return err
		}
		switch num {
		case sskPublic:
			k.Public, err = r.Bytes("public", typ)
		case sskPrivate:
			k.Private, err = r.Bytes("private", typ)
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
