package recovery

import "errors"

// MaxMessageSize is the longest PlaintextContent or DecryptionErrorMessage
// the parsers accept, in bytes. A decryption-error message as this package
// and libsignal encode it is at most 52 bytes, and its PlaintextContent 56;
// the rest of the bound leaves room for fields a later version may add.
const MaxMessageSize = 1024

// Errors of this package. Each error returned wraps one of them; match with
// errors.Is.
var (
	// ErrInvalidMessage is returned for bytes that are not a
	// DecryptionErrorMessage or a PlaintextContent holding one, and for an
	// original message that does not parse as its type says. The wire
	// layer's cause is wrapped too.
	ErrInvalidMessage = errors.New("recovery: invalid message")
	// ErrInvalidArgument is returned for arguments no message can be made
	// of: a content type that is not an encrypted one (a PlaintextContent
	// is never answered with another), a timestamp before 1970 or beyond
	// 2^64-1 milliseconds, a nil message.
	ErrInvalidArgument = errors.New("recovery: invalid argument")
	// ErrNoReply is returned by ReplyFor and ReplyForInner for a failure
	// that must not be answered with a decryption-error message. The error
	// says why and also wraps the failure itself, so errors.Is finds
	// session.ErrDuplicateMessage and the like in it.
	ErrNoReply = errors.New("recovery: no decryption-error message for this failure")
)
