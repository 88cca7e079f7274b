package wire

import "slices"

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
	// PQWriter, if not nil, writes the pq_ratchet_state value itself in
	// place of PQRatchetState, so an encoder need not build it first. The
	// parser never sets it.
	PQWriter BytesWriter
}

// A BytesWriter writes the value of a bytes field (without its tag and
// length) itself; see SessionStructure.PQWriter.
type BytesWriter interface {
	// EncodedLen returns the length of the value; 0 omits the field.
	EncodedLen() int
	// AppendTo appends the value to b.
	AppendTo(b []byte) []byte
}

// Field numbers of SessionStructure.
const (
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
)

func (s *SessionStructure) size() int {
	n := sizeVarint3(ssVersion, uint64(s.Version)) +
		sizeBytes3(ssLocalIdentity, s.LocalIdentityPublic) +
		sizeBytes3(ssRemoteIdentity, s.RemoteIdentityPublic) +
		sizeBytes3(ssRootKey, s.RootKey) +
		sizeVarint3(ssPreviousCounter, uint64(s.PreviousCounter)) +
		sizeVarint3(ssRemoteRegistrationID, uint64(s.RemoteRegistrationID)) +
		sizeVarint3(ssLocalRegistrationID, uint64(s.LocalRegistrationID)) +
		sizeBytes3(ssAliceBaseKey, s.AliceBaseKey)
	if s.PQWriter != nil {
		if pq := s.PQWriter.EncodedLen(); pq > 0 {
			n += sizeBytesField(ssPQRatchetState, pq)
		}
	} else {
		n += sizeBytes3(ssPQRatchetState, s.PQRatchetState)
	}
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
	if s.PQWriter != nil {
		if pq := s.PQWriter.EncodedLen(); pq > 0 {
			b = appendLen(b, ssPQRatchetState, pq)
			b = s.PQWriter.AppendTo(b)
		}
	} else {
		b = appendBytes3(b, ssPQRatchetState, s.PQRatchetState)
	}
	return b
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
