package wire

import "slices"

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

// Field numbers of RecordStructure.
const (
	recCurrent  = 1
	recPrevious = 2
)

func (r *Record) size() int {
	n := 0
	if r.Current != nil {
		n += sizeBytesField(recCurrent, r.Current.size())
	}
	return n + r.previousSize()
}

func (r *Record) previousSize() int {
	n := 0
	for _, p := range r.Previous {
		n += sizeBytesField(recPrevious, len(p))
	}
	return n
}

// EncodedLen is the length of the encoded record.
func (r *Record) EncodedLen() int { return r.size() }

// Append appends the encoded record to dst.
func (r *Record) Append(dst []byte) []byte {
	n := r.previousSize()
	cur := 0
	if r.Current != nil {
		cur = r.Current.size()
		n += sizeBytesField(recCurrent, cur)
	}
	dst = slices.Grow(dst, n)
	if r.Current != nil {
		dst = appendLen(dst, recCurrent, cur)
		dst = r.Current.appendTo(dst)
	}
	for _, p := range r.Previous {
		dst = appendBytesField(dst, recPrevious, p)
	}
	return dst
}

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
