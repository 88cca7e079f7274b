package sealedsender

import (
	"errors"
	"fmt"
)

// Errors of this package. Each is matchable with errors.Is; InnerError also
// with errors.As.
var (
	// ErrInvalidMessage is returned for an envelope, a content or a sent
	// message that does not parse or does not authenticate.
	ErrInvalidMessage = errors.New("sealedsender: invalid message")
	// ErrUnknownVersion is returned for an envelope or a sent message whose
	// version byte names a version this package does not read.
	ErrUnknownVersion = errors.New("sealedsender: unknown version")
	// ErrInvalidCertificate is returned for a server or sender certificate
	// that does not parse, or whose signature does not verify. ErrExpired,
	// ErrUntrustedRoot and ErrRevoked also match it.
	ErrInvalidCertificate = errors.New("sealedsender: invalid certificate")
	// ErrExpired is returned for a sender certificate used after its
	// expiration time.
	ErrExpired = fmt.Errorf("%w: expired", ErrInvalidCertificate)
	// ErrUntrustedRoot is returned when no trust root signed the server
	// certificate inside a sender certificate.
	ErrUntrustedRoot = fmt.Errorf("%w: not signed by a trust root", ErrInvalidCertificate)
	// ErrRevoked is returned for a server certificate whose key id is
	// revoked (see RevokedServerKeyIDs).
	ErrRevoked = fmt.Errorf("%w: revoked server key id", ErrInvalidCertificate)
	// ErrUnknownServerCertificate is returned for a sender certificate that
	// names its signer by an id that is not one of KnownServerCertificates.
	ErrUnknownServerCertificate = fmt.Errorf("%w: unknown server certificate id", ErrInvalidCertificate)
	// ErrSelfSend is returned by Cipher.Decrypt for an envelope whose valid
	// sender certificate names this very device: a message the server
	// echoed back, which must not reach the session layer.
	ErrSelfSend = errors.New("sealedsender: message from this device")
	// ErrInvalidArgument is returned for arguments that cannot be encoded:
	// a device id outside 1..127, a registration id above 14 bits, a name
	// that is not a service id, and the like.
	ErrInvalidArgument = errors.New("sealedsender: invalid argument")
)

// InnerError reports that an envelope opened and its sender certificate
// validated, but the message inside failed: the session or sender-key
// decryption, or the content's type. The sender and the content hint are
// authenticated (the envelope's key agreement binds the sender's identity
// key, and a trust root vouched for the certificate), so an app can ask
// this sender to resend (see package recovery) and choose, from Hint,
// whether to show an error at once (HintDefault), wait for the resend
// (HintResendable) or show nothing (HintImplicit).
type InnerError struct {
	// Sender is the validated sender certificate's content.
	Sender Sender
	// Type is the inner message's type.
	Type ContentType
	// Hint is the content hint the sender chose.
	Hint ContentHint
	// GroupID is the group the message was for, if the sender named one.
	GroupID []byte
	// Body is the inner message that failed, as sent: what
	// recovery.NewDecryptionErrorMessage takes.
	Body []byte
	// Err is the inner decryption's error.
	Err error
}

// Error names the sender's address and the cause.
func (e *InnerError) Error() string {
	return fmt.Sprintf("sealedsender: message from %s.%d (type %d) failed: %v", e.Sender.UUID, e.Sender.DeviceID, e.Type, e.Err)
}

// Unwrap returns the inner decryption's error.
func (e *InnerError) Unwrap() error { return e.Err }
