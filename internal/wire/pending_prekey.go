package wire

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

// Field numbers of SessionStructure.PendingPreKey and PendingKyberPreKey.
const (
	ppPreKeyID       = 1
	ppBaseKey        = 2
	ppSignedPreKeyID = 3
	ppTimestamp      = 4

	pkpPreKeyID   = 1
	pkpCiphertext = 2
)

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

func (p *PendingPreKey) appendTo(b []byte) []byte {
	if p.HasPreKeyID {
		b = appendVarintField(b, ppPreKeyID, uint64(p.PreKeyID))
	}
	b = appendBytes3(b, ppBaseKey, p.BaseKey)
	b = appendVarint3(b, ppSignedPreKeyID, int32Wire(p.SignedPreKeyID))
	b = appendVarint3(b, ppTimestamp, p.Timestamp)
	return b
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
