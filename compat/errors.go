package compat

import "errors"

// Errors of package compat and its subpackages. Every error they return
// wraps one of these; match with errors.Is. Errors from the key parsers
// underneath (curve.ErrInvalidPublicKey, x3dh.ErrInvalidKEMKey, ...) and
// from the record layers (session.ErrInvalidRecord,
// senderkey.ErrInvalidRecord) are wrapped too.
var (
	// ErrInvalidRecord is returned by the Import functions for bytes that
	// are not a valid record of their format: a malformed encoding,
	// a missing field, a key of the wrong length or type, a public key that
	// is not its private key's, a session state that does not hold
	// together.
	ErrInvalidRecord = errors.New("compat: invalid record")
	// ErrUnsupportedVersion is returned by the session-record importers
	// for a current session state of a version this library does not
	// speak (version 2, used by TextSecure before 2014, or an unknown
	// version). Archived states of version 2 are dropped instead, see
	// the importers.
	ErrUnsupportedVersion = errors.New("compat: unsupported session version")
	// ErrInvalidKey is returned by the Export functions for a value that
	// cannot be written as a record: a nil key, a key pair without its
	// private key, a signature that is not 64 bytes.
	ErrInvalidKey = errors.New("compat: invalid key to export")
)
