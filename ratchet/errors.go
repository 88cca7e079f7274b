package ratchet

import (
	"errors"
	"strconv"
)

// Errors returned by the package. Each is matchable with errors.Is; the
// errors about bounds are *LimitError values that wrap one of these and name
// the limit.
var (
	// ErrInvalidMAC is returned by VerifySignalMAC (and so, usually, by
	// Decrypt) when a message's authentication tag is wrong, and by package
	// ratchet/he when no key opens a header or body. It is the
	// one error for every authentication failure, so it reveals nothing
	// about which check failed.
	ErrInvalidMAC = errors.New("ratchet: message authentication failed")
	// ErrDuplicateMessage is returned when the message key of a counter has
	// already been used (the message was decrypted before).
	ErrDuplicateMessage = errors.New("ratchet: duplicate message (message key already used)")
	// ErrForwardJumpTooLarge is returned (inside a *LimitError) when a
	// counter lies more than MaxForwardJump messages ahead of its chain.
	ErrForwardJumpTooLarge = errors.New("ratchet: message too far into the future")
	// ErrSkippedKeyDropped is returned (inside a *LimitError) when the key
	// of an old counter is no longer stored: either it was used, or it was
	// dropped because a chain holds at most MaxSkippedKeysPerChain keys.
	// The error also matches ErrDuplicateMessage, since the two cannot be
	// told apart once the key is gone.
	ErrSkippedKeyDropped = errors.New("ratchet: skipped message key no longer stored")
	// ErrReceiverChainDropped is returned (inside a *LimitError) for a
	// message on a ratchet key whose receiving chain was dropped because at
	// most MaxReceiverChains are kept.
	ErrReceiverChainDropped = errors.New("ratchet: receiving chain no longer stored")
	// ErrCounterOverflow is returned when a counter would pass 2^32-1.
	ErrCounterOverflow = errors.New("ratchet: message counter out of range")
	// ErrInvalidCiphertext is returned for a body that is not a non-empty
	// multiple of the AES block size, or (after the MAC verified) whose
	// padding is wrong.
	ErrInvalidCiphertext = errors.New("ratchet: invalid ciphertext")
	// ErrNoSendingChain is returned by Encrypt on a state without a sending
	// chain (possible only for states imported from a record).
	ErrNoSendingChain = errors.New("ratchet: no sending chain")
	// ErrInvalidKey is returned by the constructors for a missing or
	// malformed key, and by Decrypt for a peer ratchet key that yields an
	// all-zero shared secret.
	ErrInvalidKey = errors.New("ratchet: invalid key")
	// ErrInvalidState is returned by UnmarshalBinary and FromSnapshot for an
	// encoding or snapshot that is not a valid state.
	ErrInvalidState = errors.New("ratchet: invalid state")
)

// A LimitError reports that a message lies beyond one of the package's
// bounds. It wraps one of ErrForwardJumpTooLarge, ErrSkippedKeyDropped or
// ErrReceiverChainDropped and names the bound and its value.
type LimitError struct {
	// Err is the sentinel the error wraps.
	Err error
	// Limit is the name of the bound: "MaxForwardJump",
	// "MaxSkippedKeysPerChain" or "MaxReceiverChains".
	Limit string
	// Max is the bound's value.
	Max uint64
	// Got is the offending quantity: the forward jump, or the counter whose
	// key is gone; 0 for ErrReceiverChainDropped.
	Got uint64
}

// Error names the bound, for example "ratchet: message too far into the
// future: jump of 25001 exceeds MaxForwardJump (25000)".
func (e *LimitError) Error() string {
	s := e.Err.Error()
	switch e.Err {
	case ErrForwardJumpTooLarge:
		s += ": jump of " + strconv.FormatUint(e.Got, 10) + " exceeds"
	case ErrSkippedKeyDropped:
		s += ": counter " + strconv.FormatUint(e.Got, 10) + " was used or dropped under"
	default:
		s += ": beyond"
	}
	return s + " " + e.Limit + " (" + strconv.FormatUint(e.Max, 10) + ")"
}

// Unwrap returns the sentinel.
func (e *LimitError) Unwrap() error { return e.Err }

// Is reports that an ErrSkippedKeyDropped error also matches
// ErrDuplicateMessage.
func (e *LimitError) Is(target error) bool {
	return e.Err == ErrSkippedKeyDropped && target == ErrDuplicateMessage
}
