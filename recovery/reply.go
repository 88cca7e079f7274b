package recovery

import (
	"errors"
	"fmt"
	"time"

	"github.com/forwardsecret/signal/sealedsender"
	"github.com/forwardsecret/signal/senderkey"
	"github.com/forwardsecret/signal/session"
)

// ReplyFor decides whether a failed decrypt is answered with a
// decryption-error message, and makes it. failure is what the decrypt
// returned: an error of session.Manager.Decrypt or DecryptWith, of
// senderkey.Cipher.Decrypt, or of sealedsender.Cipher.Decrypt (for an
// *sealedsender.InnerError, ReplyForInner passes the rest for you).
// original, typ, timestamp and originalSenderDevice are the failed
// message's bytes, type, envelope timestamp and sending device, as
// NewDecryptionErrorMessage takes them.
//
// It returns the PlaintextContent to send back to the failed message's
// sender (the address it came from), sealed with content type
// sealedsender.TypePlaintext, or an error wrapping ErrNoReply (and the
// failure) that says why nothing is sent. The rules, which follow what
// Signal's clients do:
//
// Send one for a message that could not be decrypted and that a resend
// can repair: session.ErrNoSession (no session, for example after a
// restore from a backup), session.ErrInvalidMessage (no state of the
// session authenticates it, or it lies beyond a bound),
// session.ErrInvalidPreKeyID (the PreKey message names a prekey this device
// no longer holds), senderkey.ErrNoSenderKey (the sender's distribution
// message never arrived), and senderkey.ErrInvalidMessage,
// ErrInvalidSignature, ErrForwardJump and ErrDecrypt.
//
// Send none (ErrNoReply) for:
//   - session.ErrDuplicateMessage and senderkey.ErrDuplicateMessage: the
//     message was decrypted before; this is a redelivery.
//   - an *session.UntrustedIdentityError: the peer's identity key changed,
//     and the message decrypts once the user has accepted the new key; a
//     resend would bring the same key again. (Signal's apps trust every
//     new key on receipt and warn afterwards, so they never see this error
//     on a decrypt.)
//   - session.ErrVersion and session.ErrMinimumVersion: a version this
//     device does not speak or accept; a resend would be no different.
//   - a PlaintextContent (typ is TypePlaintext): it is not encrypted, and
//     answering one with another could loop.
//   - an envelope that failed before its sender was known and
//     authenticated: sealedsender's ErrInvalidMessage, ErrUnknownVersion,
//     ErrInvalidCertificate (and its ErrExpired, ErrUntrustedRoot,
//     ErrRevoked) and ErrSelfSend outside an InnerError. There is nobody
//     to send the error to, or the sender is this device.
//   - a failing store (session.ErrInvalidRecord, senderkey.ErrInvalidRecord
//     or a store's own error) or a cancelled context: the fault is local;
//     decrypt the message again later. So is every error not listed here.
//   - a SignalMessage or PreKeySignalMessage that does not even parse:
//     there is no ratchet key to name (libsignal refuses too).
//
// How the app treats the failed message in its interface depends on the
// content hint the sender chose (sealedsender.InnerError.Hint):
// HintResendable, wait for the resend (Signal shows a placeholder);
// HintDefault, show an error at once; HintImplicit (receipts, typing
// notifications), show nothing. The decryption-error message is sent in
// each case. It is sealed for the identity key of the failed message's
// sender (its sender certificate's, sealedsender.InnerError.Sender) with
// the failed message's group id, if any (SealReply); Signal-Android seals
// it with HintImplicit, Signal-Desktop with HintDefault, and no receiver
// acts on the hint of a PlaintextContent. Send at most a few per failed
// message (Signal-Desktop: 5 per sender, device and timestamp).
func ReplyFor(failure error, original []byte, typ sealedsender.ContentType, timestamp time.Time, originalSenderDevice uint32) (*PlaintextContent, error) {
	if why := noReply(failure, typ); why != "" {
		if failure == nil {
			return nil, fmt.Errorf("%w: %s", ErrNoReply, why)
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrNoReply, why, failure)
	}
	m, err := NewDecryptionErrorMessage(original, typ, timestamp, originalSenderDevice)
	if errors.Is(err, ErrInvalidMessage) {
		return nil, fmt.Errorf("%w: %w (the decrypt: %w)", ErrNoReply, err, failure)
	}
	if err != nil {
		return nil, err
	}
	return NewPlaintextContent(m)
}

// ReplyForInner is ReplyFor for a sealed-sender envelope whose inner
// message failed: the failure, the message, its type and its sender's
// device come from e, and timestamp is the envelope's. Send the result to
// e.Sender's address (UUID and DeviceID), sealed for e.Sender.IdentityKey
// with e.GroupID.
func ReplyForInner(e *sealedsender.InnerError, timestamp time.Time) (*PlaintextContent, error) {
	if e == nil {
		return nil, fmt.Errorf("%w: nil InnerError", ErrInvalidArgument)
	}
	return ReplyFor(e.Err, e.Body, e.Type, timestamp, e.Sender.DeviceID)
}

// noReply returns why failure must not be answered, or "" if it must.
func noReply(failure error, typ sealedsender.ContentType) string {
	if failure == nil {
		return "nothing failed"
	}
	if typ == sealedsender.TypePlaintext {
		return "a PlaintextContent is not encrypted"
	}
	var inner *sealedsender.InnerError
	if errors.As(failure, &inner) {
		// The envelope and the certificate were fine: judge the inner
		// failure alone.
		failure = inner.Err
		if failure == nil {
			return "nothing failed"
		}
	} else if errors.Is(failure, sealedsender.ErrSelfSend) {
		return "the message is from this device"
	} else if errors.Is(failure, sealedsender.ErrInvalidMessage) ||
		errors.Is(failure, sealedsender.ErrUnknownVersion) ||
		errors.Is(failure, sealedsender.ErrInvalidCertificate) {
		return "the envelope has no authenticated sender"
	}
	switch {
	case errors.Is(failure, session.ErrDuplicateMessage), errors.Is(failure, senderkey.ErrDuplicateMessage):
		return "a duplicate of a decrypted message"
	case errors.Is(failure, session.ErrUntrustedIdentity):
		return "the peer's identity key is not trusted (decrypt again once the user accepts it)"
	case errors.Is(failure, session.ErrVersion), errors.Is(failure, session.ErrMinimumVersion):
		return "a message version this device does not accept"
	case errors.Is(failure, session.ErrInvalidRecord), errors.Is(failure, senderkey.ErrInvalidRecord):
		return "a local store holds an invalid record (decrypt again later)"
	case errors.Is(failure, session.ErrNoSession),
		errors.Is(failure, session.ErrInvalidMessage),
		errors.Is(failure, session.ErrInvalidPreKeyID),
		errors.Is(failure, senderkey.ErrNoSenderKey),
		errors.Is(failure, senderkey.ErrInvalidMessage),
		errors.Is(failure, senderkey.ErrInvalidSignature),
		errors.Is(failure, senderkey.ErrForwardJump),
		errors.Is(failure, senderkey.ErrDecrypt):
		return ""
	}
	return "not a decryption failure (a store or context error: decrypt again later)"
}
