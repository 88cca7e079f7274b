package omemo

import (
	"errors"
	"strconv"
)

// Errors of the package. Every error it returns wraps one of these (or an
// error of package session, x3dh or ratchet, or a store's), matchable with
// errors.Is. A peer identity key that the identity store does not trust
// gives a *session.UntrustedIdentityError (errors.Is(err,
// session.ErrUntrustedIdentity)), in both versions.
var (
	// ErrInvalidKey: a key of the wrong length or not a valid point.
	ErrInvalidKey = errors.New("omemo: invalid key")
	// ErrInvalidXML: an XML element (bundle, device list, encrypted
	// message) that does not parse or lacks a required part.
	ErrInvalidXML = errors.New("omemo: invalid XML element")
	// ErrInvalidMessage: a protobuf message (OMEMOMessage,
	// OMEMOAuthenticatedMessage, OMEMOKeyExchange) that does not parse, or a
	// message that no session state authenticates.
	ErrInvalidMessage = errors.New("omemo: invalid message")
	// ErrInvalidPayload: a payload that does not decrypt (wrong tag, bad
	// padding, key material of the wrong length), or a message without a
	// payload whose key material is that of a message with one (OMEMO 2
	// only: the payload was removed on the way; OMEMO 0.3 reads key || tag
	// without a payload as an empty message, as oldmemo does).
	ErrInvalidPayload = errors.New("omemo: payload does not decrypt")
	// ErrBadSignature: a bundle's signed prekey signature does not verify.
	ErrBadSignature = errors.New("omemo: bad signed prekey signature")
	// ErrNotForUs: an encrypted message without a key for this device.
	ErrNotForUs = errors.New("omemo: message has no key for this device")
	// ErrNoSession: encrypting to a device without a session (process its
	// bundle first), or an authenticated (non key exchange) message from a
	// device without one.
	ErrNoSession = errors.New("omemo: no session")
	// ErrUnknownPreKey: a key exchange names a signed prekey or one-time
	// prekey this device does not hold (used, or replaced).
	ErrUnknownPreKey = errors.New("omemo: key exchange names an unknown prekey")
	// ErrVersion: a value of one namespace given to the other's Manager, or
	// an unknown Version.
	ErrVersion = errors.New("omemo: wrong OMEMO version")
	// ErrNilStore: NewManager without a Store.
	ErrNilStore = errors.New("omemo: nil store")
	// ErrTooLarge: an input beyond one of the package's limits; the error
	// is a *LimitError naming it.
	ErrTooLarge = errors.New("omemo: input beyond a limit")
)

// A LimitError reports an input beyond one of the package's named limits.
// It matches ErrTooLarge.
type LimitError struct {
	// Limit is the name of the constant, such as "MaxXMLSize".
	Limit string
	// Max is its value; Got the offending quantity.
	Max, Got int
}

// Error names the limit.
func (e *LimitError) Error() string {
	return "omemo: " + strconv.Itoa(e.Got) + " exceeds " + e.Limit + " (" + strconv.Itoa(e.Max) + ")"
}

// Unwrap returns ErrTooLarge.
func (e *LimitError) Unwrap() error { return ErrTooLarge }

func limit(name string, max, got int) error { return &LimitError{Limit: name, Max: max, Got: got} }
