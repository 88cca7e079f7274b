package fingerprint

import (
	"fmt"

	"github.com/forwardsecret/signal/internal/wire"
	"google.golang.org/protobuf/encoding/protowire"
)

// Scannable is the decoded scannable form, libsignal's CombinedFingerprints
// (proto2):
//
//	CombinedFingerprints {1 uint32 version;
//	                      2 LogicalFingerprint local_fingerprint;
//	                      3 LogicalFingerprint remote_fingerprint}
//	LogicalFingerprint   {1 bytes content}
//
// Local and Remote are from the point of view of whoever encoded it.
type Scannable struct {
	Version uint32
	Local   []byte
	Remote  []byte
}

// Protobuf field numbers of CombinedFingerprints and LogicalFingerprint.
const (
	fieldVersion = 1
	fieldLocal   = 2
	fieldRemote  = 3
	fieldContent = 1
)

// ParseScannable decodes a scannable fingerprint. All three fields are
// required (ErrMalformed otherwise); the hashes may have any length. As
// protobuf requires, fields may come in any order, unknown fields are
// skipped and the last occurrence of a field wins. The result does not
// alias b.
func ParseScannable(b []byte) (*Scannable, error) {
	p, err := parse(b)
	if err != nil {
		return nil, err
	}
	if !p.hasVersion {
		return nil, fmt.Errorf("%w: missing version", ErrMalformed)
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return &p.Scannable, nil
}

// Append appends the encoding of s to dst, all fields in field-number order
// as libsignal writes them.
func (s *Scannable) Append(dst []byte) []byte {
	dst = protowire.AppendTag(dst, fieldVersion, protowire.VarintType)
	dst = protowire.AppendVarint(dst, uint64(s.Version))
	dst = appendLogical(dst, fieldLocal, s.Local)
	return appendLogical(dst, fieldRemote, s.Remote)
}

// AppendBinary appends the encoding of s to dst. It implements
// encoding.BinaryAppender and never fails.
func (s *Scannable) AppendBinary(dst []byte) ([]byte, error) { return s.Append(dst), nil }

// MarshalBinary returns the encoding of s. It implements
// encoding.BinaryMarshaler and never fails.
func (s *Scannable) MarshalBinary() ([]byte, error) { return s.Append(nil), nil }

func appendLogical(dst []byte, num protowire.Number, content []byte) []byte {
	inner := protowire.SizeTag(fieldContent) + protowire.SizeBytes(len(content))
	dst = protowire.AppendTag(dst, num, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(inner))
	dst = protowire.AppendTag(dst, fieldContent, protowire.BytesType)
	return protowire.AppendBytes(dst, content)
}

// parsed is a decoded CombinedFingerprints with field presence.
type parsed struct {
	Scannable
	hasVersion, hasLocal, hasRemote bool
}

// check reports a missing hash.
func (p *parsed) check() error {
	switch {
	case !p.hasLocal:
		return fmt.Errorf("%w: missing local fingerprint", ErrMalformed)
	case !p.hasRemote:
		return fmt.Errorf("%w: missing remote fingerprint", ErrMalformed)
	}
	return nil
}

// parse decodes CombinedFingerprints with internal/wire's protobuf reader.
// A missing version reads as 0.
func parse(b []byte) (*parsed, error) {
	p := new(parsed)
	r := wire.NewReader(b, "CombinedFingerprints")
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return nil, malformed(err)
		}
		switch num {
		case fieldVersion:
			v, err := r.Uint32("version", typ) // protobuf keeps the low 32 bits
			if err != nil {
				return nil, malformed(err)
			}
			p.Version, p.hasVersion = v, true
		case fieldLocal, fieldRemote:
			name := "local_fingerprint"
			if num == fieldRemote {
				name = "remote_fingerprint"
			}
			v, err := r.Raw(name, typ)
			if err != nil {
				return nil, malformed(err)
			}
			content, ok, err := parseLogical(v)
			if err != nil {
				return nil, err
			}
			if !ok { // an occurrence without content merges as nothing
				continue
			}
			if num == fieldLocal {
				p.Local, p.hasLocal = content, true
			} else {
				p.Remote, p.hasRemote = content, true
			}
		default:
			if err := r.Skip(num, typ); err != nil {
				return nil, malformed(err)
			}
		}
	}
	return p, nil
}

// parseLogical decodes LogicalFingerprint and returns a copy of its last
// content field, if any.
func parseLogical(b []byte) (content []byte, ok bool, err error) {
	r := wire.NewReader(b, "LogicalFingerprint")
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return nil, false, malformed(err)
		}
		if num != fieldContent {
			if err := r.Skip(num, typ); err != nil {
				return nil, false, malformed(err)
			}
			continue
		}
		v, err := r.Raw("content", typ)
		if err != nil {
			return nil, false, malformed(err)
		}
		content, ok = append([]byte{}, v...), true
	}
	return content, ok, nil
}

// malformed wraps an error of the protobuf reader in ErrMalformed.
func malformed(err error) error { return fmt.Errorf("%w: %w", ErrMalformed, err) }
