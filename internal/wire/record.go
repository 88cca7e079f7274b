package wire

import (
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// MaxRecordSize is the longest input the record parsers accept. The largest
// record libsignal can build (41 session states, each with 6 chains of 2,000
// stored legacy message keys) is about 45 MiB; the cap only refuses absurd
// inputs.
const MaxRecordSize = 64 << 20

// Record is a session record (storage.proto RecordStructure):
//
//	{1 current_session SessionStructure, 2 repeated bytes previous_sessions}
type Record struct {
	// Current is the current session state; nil if the record has none.
	Current *SessionStructure
	// Previous holds the archived states, newest first, each an encoded
	// SessionStructure kept as bytes (as libsignal keeps them): parse one
	// with ParseSessionStructure when it is needed, and encode one with
	// SessionStructure.Append when archiving.
	Previous [][]byte
}

// SessionStructure is one session state (storage.proto SessionStructure),
// proto3. Field numbers, in the order they are written:
//
//	1 session_version, 2 local_identity_public, 3 remote_identity_public,
//	4 root_key, 5 previous_counter, 6 sender_chain, 7 receiver_chains,
//	9 pending_pre_key, 10 remote_registration_id, 11 local_registration_id,
//	13 alice_base_key, 14 pending_kyber_pre_key, 15 pq_ratchet_state
//
// (8 and 12 are retired; the parser skips them like any unknown field.)
type SessionStructure struct {
	Version              uint32
	LocalIdentityPublic  []byte
	RemoteIdentityPublic []byte
	RootKey              []byte
	PreviousCounter      uint32
	// SenderChain is the sending chain; nil if absent.
	SenderChain *Chain
	// ReceiverChains are the receiving chains, oldest first: libsignal
	// appends a new chain and trims from the front.
	ReceiverChains       []Chain
	PendingPreKey        *PendingPreKey      // nil if absent
	PendingKyberPreKey   *PendingKyberPreKey // nil if absent
	RemoteRegistrationID uint32
	LocalRegistrationID  uint32
	AliceBaseKey         []byte
	// PQRatchetState is the serialized SPQR state (opaque here).
	PQRatchetState []byte
}

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

// PendingPreKey records the pre-keys an unacknowledged session was started
// with: {1 pre_key_id (proto3 optional), 2 base_key, 3 signed_pre_key_id
// (int32), 4 timestamp}.
type PendingPreKey struct {
	PreKeyID    uint32
	HasPreKeyID bool // pre_key_id has explicit presence
	// SignedPreKeyID is written as a protobuf int32, as libsignal does
	// (ids of 2^31 and above become negative varints of 10 bytes).
	SignedPreKeyID uint32
	BaseKey        []byte
	// Timestamp is the session's creation time in seconds since the Unix
	// epoch.
	Timestamp uint64
}

// PendingKyberPreKey records the Kyber pre-key an unacknowledged session
// used: {1 pre_key_id, 2 ciphertext}.
type PendingKyberPreKey struct {
	PreKeyID   uint32
	Ciphertext []byte
}

// Field numbers.
const (
	recCurrent  = 1
	recPrevious = 2

	ssVersion              = 1
	ssLocalIdentity        = 2
	ssRemoteIdentity       = 3
	ssRootKey              = 4
	ssPreviousCounter      = 5
	ssSenderChain          = 6
	ssReceiverChains       = 7
	ssPendingPreKey        = 9
	ssRemoteRegistrationID = 10
	ssLocalRegistrationID  = 11
	ssAliceBaseKey         = 13
	ssPendingKyberPreKey   = 14
	ssPQRatchetState       = 15

	chRatchetKey        = 1
	chRatchetKeyPrivate = 2
	chChainKey          = 3
	chMessageKeys       = 4

	ckIndex = 1
	ckKey   = 2

	mkIndex     = 1
	mkCipherKey = 2
	mkMACKey    = 3
	mkIV        = 4
	mkSeed      = 5

	ppPreKeyID       = 1
	ppBaseKey        = 2
	ppSignedPreKeyID = 3
	ppTimestamp      = 4

	pkpPreKeyID   = 1
	pkpCiphertext = 2
)

// ---- sizes ----

func (r *Record) size() int {
	n := 0
	if r.Current != nil {
		n += sizeBytesField(recCurrent, r.Current.size())
	}
	for _, p := range r.Previous {
		n += sizeBytesField(recPrevious, len(p))
	}
	return n
}

func (s *SessionStructure) size() int {
	n := sizeVarint3(ssVersion, uint64(s.Version)) +
		sizeBytes3(ssLocalIdentity, s.LocalIdentityPublic) +
		sizeBytes3(ssRemoteIdentity, s.RemoteIdentityPublic) +
		sizeBytes3(ssRootKey, s.RootKey) +
		sizeVarint3(ssPreviousCounter, uint64(s.PreviousCounter)) +
		sizeVarint3(ssRemoteRegistrationID, uint64(s.RemoteRegistrationID)) +
		sizeVarint3(ssLocalRegistrationID, uint64(s.LocalRegistrationID)) +
		sizeBytes3(ssAliceBaseKey, s.AliceBaseKey) +
		sizeBytes3(ssPQRatchetState, s.PQRatchetState)
	if s.SenderChain != nil {
		n += sizeBytesField(ssSenderChain, s.SenderChain.size())
	}
	for i := range s.ReceiverChains {
		n += sizeBytesField(ssReceiverChains, s.ReceiverChains[i].size())
	}
	if s.PendingPreKey != nil {
		n += sizeBytesField(ssPendingPreKey, s.PendingPreKey.size())
	}
	if s.PendingKyberPreKey != nil {
		n += sizeBytesField(ssPendingKyberPreKey, s.PendingKyberPreKey.size())
	}
	return n
}

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

func (k *MessageKey) size() int {
	return sizeVarint3(mkIndex, uint64(k.Index)) +
		sizeBytes3(mkCipherKey, k.CipherKey) +
		sizeBytes3(mkMACKey, k.MACKey) +
		sizeBytes3(mkIV, k.IV) +
		sizeBytes3(mkSeed, k.Seed)
}

func (p *PendingPreKey) size() int {
	n := sizeBytes3(ppBaseKey, p.BaseKey) +
		sizeVarint3(ppSignedPreKeyID, int32Wire(p.SignedPreKeyID)) +
		sizeVarint3(ppTimestamp, p.Timestamp)
	if p.HasPreKeyID {
		n += sizeVarintField(ppPreKeyID, uint64(p.PreKeyID))
	}
	return n
}

func (p *PendingKyberPreKey) size() int {
	return sizeVarint3(pkpPreKeyID, uint64(p.PreKeyID)) + sizeBytes3(pkpCiphertext, p.Ciphertext)
}

// ---- encoding ----

// EncodedLen is the length of the encoded record.
func (r *Record) EncodedLen() int { return r.size() }

// Append appends the encoded record to dst.
func (r *Record) Append(dst []byte) []byte {
	dst = slices.Grow(dst, r.size())
	if r.Current != nil {
		dst = appendLen(dst, recCurrent, r.Current.size())
		dst = r.Current.appendTo(dst)
	}
	for _, p := range r.Previous {
		dst = appendBytesField(dst, recPrevious, p)
	}
	return dst
}

// EncodedLen is the length of the encoded session state.
func (s *SessionStructure) EncodedLen() int { return s.size() }

// Append appends the encoded session state to dst (the form stored in
// Record.Previous).
func (s *SessionStructure) Append(dst []byte) []byte {
	dst = slices.Grow(dst, s.size())
	return s.appendTo(dst)
}

func (s *SessionStructure) appendTo(b []byte) []byte {
	b = appendVarint3(b, ssVersion, uint64(s.Version))
	b = appendBytes3(b, ssLocalIdentity, s.LocalIdentityPublic)
	b = appendBytes3(b, ssRemoteIdentity, s.RemoteIdentityPublic)
	b = appendBytes3(b, ssRootKey, s.RootKey)
	b = appendVarint3(b, ssPreviousCounter, uint64(s.PreviousCounter))
	if s.SenderChain != nil {
		b = appendLen(b, ssSenderChain, s.SenderChain.size())
		b = s.SenderChain.appendTo(b)
	}
	for i := range s.ReceiverChains {
		c := &s.ReceiverChains[i]
		b = appendLen(b, ssReceiverChains, c.size())
		b = c.appendTo(b)
	}
	if s.PendingPreKey != nil {
		b = appendLen(b, ssPendingPreKey, s.PendingPreKey.size())
		b = s.PendingPreKey.appendTo(b)
	}
	b = appendVarint3(b, ssRemoteRegistrationID, uint64(s.RemoteRegistrationID))
	b = appendVarint3(b, ssLocalRegistrationID, uint64(s.LocalRegistrationID))
	b = appendBytes3(b, ssAliceBaseKey, s.AliceBaseKey)
	if s.PendingKyberPreKey != nil {
		p := s.PendingKyberPreKey
		b = appendLen(b, ssPendingKyberPreKey, p.size())
		b = appendVarint3(b, pkpPreKeyID, uint64(p.PreKeyID))
		b = appendBytes3(b, pkpCiphertext, p.Ciphertext)
	}
	b = appendBytes3(b, ssPQRatchetState, s.PQRatchetState)
	return b
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

func (p *PendingPreKey) appendTo(b []byte) []byte {
	if p.HasPreKeyID {
		b = appendVarintField(b, ppPreKeyID, uint64(p.PreKeyID))
	}
	b = appendBytes3(b, ppBaseKey, p.BaseKey)
	b = appendVarint3(b, ppSignedPreKeyID, int32Wire(p.SignedPreKeyID))
	b = appendVarint3(b, ppTimestamp, p.Timestamp)
	return b
}

// ---- parsing ----

// ParseRecord parses a session record. A repeated current_session is
// merged, as protobuf requires. The archived states are returned as bytes
// and not parsed. Unknown fields are skipped.
func ParseRecord(b []byte) (*Record, error) {
	if len(b) > MaxRecordSize {
		return nil, errRecordTooLarge
	}
	r := new(Record)
	if err := r.parse(clone(b), false); err != nil {
		return nil, err
	}
	return r, nil
}

// ParseRecordDeferred parses a session record as ParseRecord does, for
// decoders that copy what they keep, with two differences. The result
// aliases b, which is not copied: b must not change while the result is in
// use. And the message keys of the receiving chains are left encoded: their
// MessageKeys are empty, Chain.NumMessageKeys counts them and
// Chain.DecodeMessageKeys decodes them (and reports a malformed one, which
// ParseRecord would have reported). Everything else is checked as
// ParseRecord checks it.
func ParseRecordDeferred(b []byte) (*Record, error) {
	if len(b) > MaxRecordSize {
		return nil, errRecordTooLarge
	}
	r := new(Record)
	if err := r.parse(b, true); err != nil {
		return nil, err
	}
	return r, nil
}

func (rec *Record) parse(b []byte, deferKeys bool) error {
	if n := countField(b, recPrevious); n > 0 {
		rec.Previous = make([][]byte, 0, n)
	}
	r := Reader{b: b, msg: "RecordStructure"}
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return err
		}
		switch num {
		case recCurrent:
			var v []byte
			if v, err = r.Raw("current_session", typ); err != nil {
				return err
			}
			if rec.Current == nil {
				rec.Current = new(SessionStructure)
			}
			err = rec.Current.merge(v, deferKeys)
		case recPrevious:
			var v []byte
			v, err = r.Raw("previous_sessions", typ)
			rec.Previous = append(rec.Previous, v)
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ParseSessionStructure parses one session state, as found in
// Record.Previous. Unknown fields are skipped.
func ParseSessionStructure(b []byte) (*SessionStructure, error) {
	if len(b) > MaxRecordSize {
		return nil, errRecordTooLarge
	}
	s := new(SessionStructure)
	if err := s.merge(clone(b), false); err != nil {
		return nil, err
	}
	return s, nil
}

// ParseSessionStructureDeferred parses one session state as
// ParseSessionStructure does, with the differences of ParseRecordDeferred:
// the result aliases b, and the receiving chains' message keys are left
// encoded.
func ParseSessionStructureDeferred(b []byte) (*SessionStructure, error) {
	if len(b) > MaxRecordSize {
		return nil, errRecordTooLarge
	}
	s := new(SessionStructure)
	if err := s.merge(b, true); err != nil {
		return nil, err
	}
	return s, nil
}

// merge decodes b into s with protobuf merge semantics: scalars present in
// b overwrite, sub-messages merge, repeated fields append. The result
// aliases b. With deferKeys, the receiving chains' message keys are left
// encoded (see ParseRecordDeferred).
func (s *SessionStructure) merge(b []byte, deferKeys bool) error {
	if n := countField(b, ssReceiverChains); n > 0 {
		s.ReceiverChains = slices.Grow(s.ReceiverChains, n)
	}
	r := Reader{b: b, msg: "SessionStructure"}
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return err
		}
		var v []byte
		switch num {
		case ssVersion:
			s.Version, err = r.Uint32("session_version", typ)
		case ssLocalIdentity:
			s.LocalIdentityPublic, err = r.Bytes("local_identity_public", typ)
		case ssRemoteIdentity:
			s.RemoteIdentityPublic, err = r.Bytes("remote_identity_public", typ)
		case ssRootKey:
			s.RootKey, err = r.Bytes("root_key", typ)
		case ssPreviousCounter:
			s.PreviousCounter, err = r.Uint32("previous_counter", typ)
		case ssSenderChain:
			if v, err = r.Raw("sender_chain", typ); err == nil {
				if s.SenderChain == nil {
					s.SenderChain = new(Chain)
				}
				err = s.SenderChain.merge(v, false)
			}
		case ssReceiverChains:
			if v, err = r.Raw("receiver_chains", typ); err == nil {
				s.ReceiverChains = append(s.ReceiverChains, Chain{})
				err = s.ReceiverChains[len(s.ReceiverChains)-1].merge(v, deferKeys)
			}
		case ssPendingPreKey:
			if v, err = r.Raw("pending_pre_key", typ); err == nil {
				if s.PendingPreKey == nil {
					s.PendingPreKey = new(PendingPreKey)
				}
				err = s.PendingPreKey.merge(v)
			}
		case ssRemoteRegistrationID:
			s.RemoteRegistrationID, err = r.Uint32("remote_registration_id", typ)
		case ssLocalRegistrationID:
			s.LocalRegistrationID, err = r.Uint32("local_registration_id", typ)
		case ssAliceBaseKey:
			s.AliceBaseKey, err = r.Bytes("alice_base_key", typ)
		case ssPendingKyberPreKey:
			if v, err = r.Raw("pending_kyber_pre_key", typ); err == nil {
				if s.PendingKyberPreKey == nil {
					s.PendingKyberPreKey = new(PendingKyberPreKey)
				}
				err = s.PendingKyberPreKey.merge(v)
			}
		case ssPQRatchetState:
			s.PQRatchetState, err = r.Bytes("pq_ratchet_state", typ)
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	return nil
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

func (p *PendingPreKey) merge(b []byte) error {
	r := Reader{b: b, msg: "SessionStructure.PendingPreKey"}
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return err
		}
		switch num {
		case ppPreKeyID:
			p.PreKeyID, err = r.Uint32("pre_key_id", typ)
			p.HasPreKeyID = true
		case ppBaseKey:
			p.BaseKey, err = r.Bytes("base_key", typ)
		case ppSignedPreKeyID:
			p.SignedPreKeyID, err = r.Uint32("signed_pre_key_id", typ)
		case ppTimestamp:
			p.Timestamp, err = r.Varint("timestamp", typ)
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (p *PendingKyberPreKey) merge(b []byte) error {
	r := Reader{b: b, msg: "SessionStructure.PendingKyberPreKey"}
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return err
		}
		switch num {
		case pkpPreKeyID:
			p.PreKeyID, err = r.Uint32("pre_key_id", typ)
		case pkpCiphertext:
			p.Ciphertext, err = r.Bytes("ciphertext", typ)
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	return nil
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
