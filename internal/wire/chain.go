package wire

import (
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// Chain is a sending or receiving chain (SessionStructure.Chain):
//
//	{1 sender_ratchet_key, 2 sender_ratchet_key_private, 3 chain_key,
//	 4 repeated message_keys}
type Chain struct {
	RatchetKey        []byte    // public, 0x05 || u
	RatchetKeyPrivate []byte    // empty in receiving chains
	ChainKey          *ChainKey // nil if absent
	// MessageKeys are the stored keys of skipped messages, in order.
	MessageKeys []MessageKey
	// KeyWriter, if not nil, writes further message_keys fields when the
	// chain is encoded, after those of MessageKeys: encoders that hold
	// the keys in another form write them without building MessageKeys.
	// Parsers never set it.
	KeyWriter MessageKeyWriter

	// deferred is the encoded chain whose message_keys fields
	// ParseRecordDeferred left encoded, nDeferred their number.
	deferred  []byte
	nDeferred int
}

// A MessageKeyWriter writes the message_keys fields of a Chain (field 4:
// tag, length, MessageKey) itself; see Chain.KeyWriter. SeedMessageKeyLen,
// AppendSeedMessageKey, MessageKeyFieldLen and AppendMessageKeyField write
// the fields exactly as Chain.MessageKeys would be written.
type MessageKeyWriter interface {
	// EncodedLen returns the length of everything AppendTo writes.
	EncodedLen() int
	// AppendTo appends the fields to b.
	AppendTo(b []byte) []byte
}

// ChainKey is a chain's current key and index: {1 index, 2 key}.
type ChainKey struct {
	Index uint32
	Key   []byte
}

// Field numbers of SessionStructure.Chain and its ChainKey.
const (
	chRatchetKey        = 1
	chRatchetKeyPrivate = 2
	chChainKey          = 3
	chMessageKeys       = 4

	ckIndex = 1
	ckKey   = 2
)

func (c *Chain) size() int {
	n := sizeBytes3(chRatchetKey, c.RatchetKey) +
		sizeBytes3(chRatchetKeyPrivate, c.RatchetKeyPrivate)
	if c.ChainKey != nil {
		n += sizeBytesField(chChainKey, c.ChainKey.size())
	}
	// Every message key has the same tag size (one byte).
	for i := range c.MessageKeys {
		n += sizeBytesField(chMessageKeys, c.MessageKeys[i].size())
	}
	if c.KeyWriter != nil {
		n += c.KeyWriter.EncodedLen()
	}
	return n
}

func (k *ChainKey) size() int {
	return sizeVarint3(ckIndex, uint64(k.Index)) + sizeBytes3(ckKey, k.Key)
}

func (c *Chain) appendTo(b []byte) []byte {
	b = appendBytes3(b, chRatchetKey, c.RatchetKey)
	b = appendBytes3(b, chRatchetKeyPrivate, c.RatchetKeyPrivate)
	if k := c.ChainKey; k != nil {
		b = appendLen(b, chChainKey, k.size())
		b = appendVarint3(b, ckIndex, uint64(k.Index))
		b = appendBytes3(b, ckKey, k.Key)
	}
	for i := range c.MessageKeys {
		b = AppendMessageKeyField(b, &c.MessageKeys[i])
	}
	if c.KeyWriter != nil {
		b = c.KeyWriter.AppendTo(b)
	}
	return b
}

// merge decodes b into c. With deferKeys, c must be new: the message keys
// are counted and left encoded in c.deferred.
func (c *Chain) merge(b []byte, deferKeys bool) error {
	if deferKeys {
		c.deferred = b
	} else if n := countField(b, chMessageKeys); n > 0 {
		c.MessageKeys = slices.Grow(c.MessageKeys, n)
	}
	r := Reader{b: b, msg: "SessionStructure.Chain"}
	for r.More() {
		if deferKeys && len(r.b) >= 2 && r.b[0] == tagMessageKeys && r.b[1] < 0x80 && int(r.b[1]) <= len(r.b)-2 {
			// The usual message key, left encoded: count it.
			c.nDeferred++
			r.b = r.b[2+r.b[1]:]
			continue
		}
		num, typ, err := r.Tag()
		if err != nil {
			return err
		}
		var v []byte
		switch num {
		case chRatchetKey:
			c.RatchetKey, err = r.Bytes("sender_ratchet_key", typ)
		case chRatchetKeyPrivate:
			c.RatchetKeyPrivate, err = r.Bytes("sender_ratchet_key_private", typ)
		case chChainKey:
			if v, err = r.Raw("chain_key", typ); err == nil {
				if c.ChainKey == nil {
					c.ChainKey = new(ChainKey)
				}
				err = c.ChainKey.merge(v)
			}
		case chMessageKeys:
			if v, err = r.Raw("message_keys", typ); err == nil {
				if deferKeys {
					c.nDeferred++
				} else {
					c.MessageKeys = append(c.MessageKeys, MessageKey{})
					err = c.MessageKeys[len(c.MessageKeys)-1].merge(v)
				}
			}
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (k *ChainKey) merge(b []byte) error {
	r := Reader{b: b, msg: "SessionStructure.Chain.ChainKey"}
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return err
		}
		switch num {
		case ckIndex:
			k.Index, err = r.Uint32("index", typ)
		case ckKey:
			k.Key, err = r.Bytes("key", typ)
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// NumMessageKeys returns the number of message keys of c: those in
// MessageKeys and those ParseRecordDeferred left encoded.
func (c *Chain) NumMessageKeys() int { return len(c.MessageKeys) + c.nDeferred }

// DecodeMessageKeys calls seed or other with each message key of c, in
// order: those of MessageKeys, then those ParseRecordDeferred left encoded,
// which it decodes. Keys that hold just an index and a SeedKeySize-byte
// seed (what libsignal writes) go to seed, any other key to other. The
// arguments alias the record and are reused: they are valid only during
// the call. It stops at the first error, a callback's or a malformed key's
// (the error ParseRecord would have returned).
func (c *Chain) DecodeMessageKeys(seed func(index uint32, seed *[SeedKeySize]byte) error, other func(*MessageKey) error) error {
	for i := range c.MessageKeys {
		if err := c.MessageKeys[i].decoded(seed, other); err != nil {
			return err
		}
	}
	if c.nDeferred == 0 {
		return nil
	}
	var k *MessageKey // for the rare keys that are not just a seed
	b := c.deferred   // checked by merge: every field is well formed
	for len(b) > 0 {
		var v []byte
		if b[0] == tagMessageKeys && len(b) >= 2 && b[1] < 0x80 && int(b[1]) <= len(b)-2 {
			// The usual case: a message key shorter than 128 bytes.
			v, b = b[2:2+b[1]], b[2+b[1]:]
		} else {
			num, typ, n := protowire.ConsumeTag(b)
			if n < 0 {
				return protoErr("SessionStructure.Chain", n)
			}
			b = b[n:]
			if num != chMessageKeys {
				m := protowire.ConsumeFieldValue(num, typ, b)
				if m < 0 {
					return protoErr("SessionStructure.Chain", m)
				}
				b = b[m:]
				continue
			}
			var m int
			if v, m = protowire.ConsumeBytes(b); m < 0 {
				return protoErr("SessionStructure.Chain.message_keys", m)
			}
			b = b[m:]
		}
		if index, sd, ok := decodeSeedKey(v); ok {
			if err := seed(index, sd); err != nil {
				return err
			}
			continue
		}
		if k == nil {
			k = new(MessageKey)
		}
		*k = MessageKey{}
		if err := k.merge(v[:len(v):len(v)]); err != nil {
			return err
		}
		if err := k.decoded(seed, other); err != nil {
			return err
		}
	}
	return nil
}
