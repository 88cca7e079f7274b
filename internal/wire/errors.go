package wire

import (
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// Errors returned by this package. Parse errors wrap one of them; match with
// errors.Is.
var (
	// ErrTruncated reports input that ends too early: shorter than the
	// fixed-size parts of a message, or a protobuf field cut short.
	ErrTruncated = errors.New("wire: truncated input")
	// ErrMalformed reports bytes that are not a valid protobuf encoding of
	// the expected message (bad varint, bad tag, wrong wire type, ...), or
	// input longer than MaxMessageSize or MaxRecordSize.
	ErrMalformed = errors.New("wire: malformed encoding")
	// ErrMissingField reports a required field that is absent. The error
	// is a *FieldError naming the field.
	ErrMissingField = errors.New("wire: missing required field")
	// ErrInvalidField reports a field whose value breaks the layout (a
	// distribution id that is not 16 bytes, a Kyber pre-key id without a
	// ciphertext, ...). Encoders return it too, for a struct that cannot be
	// encoded (a version outside 3..4, a chain key of the wrong length).
	// The error is a *FieldError naming the field.
	ErrInvalidField = errors.New("wire: invalid field")
	// ErrLegacyVersion reports a message whose version (high nibble of
	// the first byte) is older than this package supports.
	ErrLegacyVersion = errors.New("wire: legacy message version")
	// ErrUnknownVersion reports a message whose version is newer than
	// this package knows.
	ErrUnknownVersion = errors.New("wire: unknown message version")
)

// Inputs over the size limits. They wrap ErrMalformed.
var (
	errMessageTooLarge = fmt.Errorf("%w: input longer than MaxMessageSize", ErrMalformed)
	errRecordTooLarge  = fmt.Errorf("%w: input longer than MaxRecordSize", ErrMalformed)
)

// FieldError describes a problem with one field of one message. It wraps
// ErrMissingField, ErrInvalidField, ErrTruncated or ErrMalformed.
type FieldError struct {
	Message string // protobuf message name, e.g. "SignalMessage"
	Field   string // protobuf field name, e.g. "ciphertext"
	Err     error  // the sentinel
	Detail  string // optional extra context; never contains field values
}

// Error returns "wire: <problem>: <Message>.<Field>" and any detail.
func (e *FieldError) Error() string {
	s := e.Err.Error() + ": " + e.Message + "." + e.Field
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Unwrap returns the sentinel.
func (e *FieldError) Unwrap() error { return e.Err }

// VersionError reports an unsupported version byte. It wraps
// ErrLegacyVersion or ErrUnknownVersion.
type VersionError struct {
	Message string // "SignalMessage", ...
	Version uint8  // the high nibble that was received
	Err     error
}

// Error names the version and the message.
func (e *VersionError) Error() string {
	return fmt.Sprintf("%v %d in %s", e.Err, e.Version, e.Message)
}

// Unwrap returns the sentinel.
func (e *VersionError) Unwrap() error { return e.Err }

func missing(msg, field string) error {
	return &FieldError{Message: msg, Field: field, Err: ErrMissingField}
}

func invalid(msg, field, detail string) error {
	return &FieldError{Message: msg, Field: field, Err: ErrInvalidField, Detail: detail}
}

// protoErr turns a negative protowire length into an error that wraps
// ErrTruncated or ErrMalformed and the protowire error itself.
func protoErr(msg string, n int) error {
	perr := protowire.ParseError(n)
	sentinel := ErrMalformed
	if errors.Is(perr, io.ErrUnexpectedEOF) {
		sentinel = ErrTruncated
	}
	return fmt.Errorf("%w: %s: %w", sentinel, msg, perr)
}

func wireTypeErr(msg, field string, got protowire.Type) error {
	return &FieldError{Message: msg, Field: field, Err: ErrMalformed,
		Detail: fmt.Sprintf("wire type %d", got)}
}

func tooShort(msg string, n int) error {
	return fmt.Errorf("%w: %s of %d bytes", ErrTruncated, msg, n)
}
