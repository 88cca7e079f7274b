package wire

import "google.golang.org/protobuf/encoding/protowire"

// MessageKey is a stored message key: {1 index, 2 cipher_key, 3 mac_key,
// 4 iv, 5 seed}. New libsignal stores only Seed (the keys are derived from
// it when used); older records hold CipherKey, MACKey and IV.
type MessageKey struct {
	Index     uint32
	CipherKey []byte
	MACKey    []byte
	IV        []byte
	Seed      []byte
}

// Field numbers of SessionStructure.Chain.MessageKey.
const (
	mkIndex     = 1
	mkCipherKey = 2
	mkMACKey    = 3
	mkIV        = 4
	mkSeed      = 5
)

func (k *MessageKey) size() int {
	return sizeVarint3(mkIndex, uint64(k.Index)) +
		sizeBytes3(mkCipherKey, k.CipherKey) +
		sizeBytes3(mkMACKey, k.MACKey) +
		sizeBytes3(mkIV, k.IV) +
		sizeBytes3(mkSeed, k.Seed)
}

// MessageKeyFieldLen returns the length of k encoded as a message_keys
// field of a Chain (tag and length included).
func MessageKeyFieldLen(k *MessageKey) int {
	return sizeBytesField(chMessageKeys, k.size())
}

// AppendMessageKeyField appends k encoded as a message_keys field of a
// Chain (tag and length included).
func AppendMessageKeyField(b []byte, k *MessageKey) []byte {
	b = appendLen(b, chMessageKeys, k.size())
	b = appendVarint3(b, mkIndex, uint64(k.Index))
	b = appendBytes3(b, mkCipherKey, k.CipherKey)
	b = appendBytes3(b, mkMACKey, k.MACKey)
	b = appendBytes3(b, mkIV, k.IV)
	return appendBytes3(b, mkSeed, k.Seed)
}

// SeedKeySize is the size of the seed of a stored message key.
const SeedKeySize = 32

// Tags of the fields a seed-only message key is made of.
const (
	tagMessageKeys = chMessageKeys<<3 | 2
	tagMKIndex     = mkIndex << 3
	tagMKSeed      = mkSeed<<3 | 2
)

// seedKeyLen is the length of MessageKey{Index: index, Seed: 32 bytes}.
func seedKeyLen(index uint32) int {
	if index == 0 {
		return 2 + SeedKeySize
	}
	return 1 + protowire.SizeVarint(uint64(index)) + 2 + SeedKeySize
}

// SeedMessageKeyLen returns MessageKeyFieldLen of MessageKey{Index: index,
// Seed: seed} for a SeedKeySize-byte seed, by arithmetic.
func SeedMessageKeyLen(index uint32) int { return 2 + seedKeyLen(index) }

// AppendSeedMessageKey appends MessageKey{Index: index, Seed: seed[:]}
// encoded as a message_keys field, exactly as AppendMessageKeyField does,
// without building the MessageKey.
func AppendSeedMessageKey(b []byte, index uint32, seed *[SeedKeySize]byte) []byte {
	// The key is at most 40 bytes: its length takes one byte.
	switch {
	case index == 0:
		b = append(b, tagMessageKeys, 2+SeedKeySize, tagMKSeed, SeedKeySize)
	case index < 1<<7:
		b = append(b, tagMessageKeys, 4+SeedKeySize, tagMKIndex, byte(index), tagMKSeed, SeedKeySize)
	case index < 1<<14:
		b = append(b, tagMessageKeys, 5+SeedKeySize, tagMKIndex, byte(index)|0x80, byte(index>>7), tagMKSeed, SeedKeySize)
	default:
		b = append(b, tagMessageKeys, byte(seedKeyLen(index)), tagMKIndex)
		b = protowire.AppendVarint(b, uint64(index))
		b = append(b, tagMKSeed, SeedKeySize)
	}
	return append(b, seed[:]...)
}

// decoded passes k to seed if it holds just an index and a seed, else to
// other.
func (k *MessageKey) decoded(seed func(uint32, *[SeedKeySize]byte) error, other func(*MessageKey) error) error {
	if len(k.Seed) == SeedKeySize && len(k.CipherKey) == 0 && len(k.MACKey) == 0 && len(k.IV) == 0 {
		return seed(k.Index, (*[SeedKeySize]byte)(k.Seed))
	}
	return other(k)
}

// decodeSeedKey decodes v if it is a message key of exactly an index (if
// not 0) and a SeedKeySize-byte seed, in this order and once each; any other
// form is left to merge.
func decodeSeedKey(v []byte) (uint32, *[SeedKeySize]byte, bool) {
	var index uint64
	if len(v) > 0 && v[0] == tagMKIndex {
		if len(v) > 1 && v[1] < 0x80 {
			index, v = uint64(v[1]), v[2:]
		} else {
			x, n := protowire.ConsumeVarint(v[1:])
			if n < 0 {
				return 0, nil, false
			}
			index, v = x, v[1+n:]
		}
	}
	if len(v) != 2+SeedKeySize || v[0] != tagMKSeed || v[1] != SeedKeySize {
		return 0, nil, false
	}
	return uint32(index), (*[SeedKeySize]byte)(v[2:]), true
}

func (k *MessageKey) merge(b []byte) error {
	r := Reader{b: b, msg: "SessionStructure.Chain.MessageKey"}
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return err
		}
		switch num {
		case mkIndex:
			k.Index, err = r.Uint32("index", typ)
		case mkCipherKey:
			k.CipherKey, err = r.Bytes("cipher_key", typ)
		case mkMACKey:
			k.MACKey, err = r.Bytes("mac_key", typ)
		case mkIV:
			k.IV, err = r.Bytes("iv", typ)
		case mkSeed:
			k.Seed, err = r.Bytes("seed", typ)
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
