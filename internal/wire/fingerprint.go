package wire

import "slices"

// CombinedFingerprints is the payload of a scannable safety number
// (fingerprint.proto, proto2):
//
//	{1 version, 2 local_fingerprint {1 content}, 3 remote_fingerprint {1 content}}
//
// Local and Remote are the 32-byte fingerprints from the encoder's point of
// view: the scanner compares their Local with its own Remote and vice
// versa. All fields are always written, as libsignal does.
type CombinedFingerprints struct {
	Version uint32
	Local   []byte
	Remote  []byte
}

const (
	cfVersion = 1
	cfLocal   = 2
	cfRemote  = 3
	lfContent = 1
)

// EncodedLen is the length of the encoded payload.
func (f *CombinedFingerprints) EncodedLen() int {
	return sizeVarintField(cfVersion, uint64(f.Version)) +
		sizeBytesField(cfLocal, sizeBytesField(lfContent, len(f.Local))) +
		sizeBytesField(cfRemote, sizeBytesField(lfContent, len(f.Remote)))
}

// Append appends the encoded payload to dst.
func (f *CombinedFingerprints) Append(dst []byte) []byte {
	dst = slices.Grow(dst, f.EncodedLen())
	dst = appendVarintField(dst, cfVersion, uint64(f.Version))
	dst = appendLen(dst, cfLocal, sizeBytesField(lfContent, len(f.Local)))
	dst = appendBytesField(dst, lfContent, f.Local)
	dst = appendLen(dst, cfRemote, sizeBytesField(lfContent, len(f.Remote)))
	return appendBytesField(dst, lfContent, f.Remote)
}

// ParseCombinedFingerprints parses a scanned safety-number payload. The
// version and both contents are required (ErrMissingField), as in
// libsignal; comparing versions and contents is the caller's job.
func ParseCombinedFingerprints(b []byte) (*CombinedFingerprints, error) {
	const msg = "CombinedFingerprints"
	if len(b) > MaxMessageSize {
		return nil, ErrTooLarge
	}
	f := new(CombinedFingerprints)
	var haveVersion, haveLocal, haveRemote bool
	r := reader{b: clone(b), msg: msg}
	for r.more() {
		num, typ, err := r.tag()
		if err != nil {
			return nil, err
		}
		var v []byte
		switch num {
		case cfVersion:
			f.Version, err = r.uint32("version", typ)
			haveVersion = true
		case cfLocal:
			if v, err = r.raw("local_fingerprint", typ); err == nil {
				err = mergeLogicalFingerprint(v, &f.Local, &haveLocal)
			}
		case cfRemote:
			if v, err = r.raw("remote_fingerprint", typ); err == nil {
				err = mergeLogicalFingerprint(v, &f.Remote, &haveRemote)
			}
		default:
			err = r.skip(num, typ)
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case !haveVersion:
		return nil, missing(msg, "version")
	case !haveLocal:
		return nil, missing(msg, "local_fingerprint.content")
	case !haveRemote:
		return nil, missing(msg, "remote_fingerprint.content")
	}
	return f, nil
}

// mergeLogicalFingerprint decodes a LogicalFingerprint {1 content}. A
// repeated occurrence merges: content is replaced only if present.
func mergeLogicalFingerprint(b []byte, content *[]byte, have *bool) error {
	r := reader{b: b, msg: "LogicalFingerprint"}
	for r.more() {
		num, typ, err := r.tag()
		if err != nil {
			return err
		}
		switch num {
		case lfContent:
			*content, err = r.bytes("content", typ)
			*have = true
		default:
			err = r.skip(num, typ)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
