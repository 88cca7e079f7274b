package spqr

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns wraps one of them.
var (
	// ErrStateDecode: a stored state does not parse or is inconsistent.
	ErrStateDecode = errors.New("spqr: state decode failed")
	// ErrMessageDecode: a peer's SPQR message does not parse.
	ErrMessageDecode = errors.New("spqr: message decode failed")
	// ErrMAC: a header or ciphertext MAC from the peer did not verify.
	ErrMAC = errors.New("spqr: MAC verification failed")
	// ErrEpochOutOfRange: a message names an epoch we cannot handle.
	ErrEpochOutOfRange = errors.New("spqr: epoch out of range")
	// ErrVersionMismatch: the peer's version is below ours after negotiation ended.
	ErrVersionMismatch = errors.New("spqr: version mismatch after negotiation")
	// ErrMinimumVersion: the peer's version is below our minimum (libsignal
	// logs this as "post-quantum ratchet error: Minimum version").
	ErrMinimumVersion = errors.New("spqr: minimum version")
	// ErrKeyJump: a message index is too far ahead of the chain (see KeyError).
	ErrKeyJump = errors.New("spqr: key jump too large")
	// ErrKeyTrimmed: a message index is too old; its key was discarded.
	ErrKeyTrimmed = errors.New("spqr: key trimmed")
	// ErrKeyAlreadyRequested: the key for this index was already used (a duplicate).
	ErrKeyAlreadyRequested = errors.New("spqr: key already requested")
	// ErrErroneousData: the peer's encapsulation key does not match its header.
	ErrErroneousData = errors.New("spqr: erroneous data received from remote party")
	// ErrSendEpochDecreased: internal inconsistency of a stored state.
	ErrSendEpochDecreased = errors.New("spqr: send key epoch decreased")
	// ErrChainNotAvailable: the state has no chain to derive keys from.
	ErrChainNotAvailable = errors.New("spqr: chain not available")
	// ErrInvalidParams: bad arguments to NewState.
	ErrInvalidParams = errors.New("spqr: invalid params")
)

// KeyError reports a per-message key failure with the indexes involved. It
// unwraps to ErrKeyJump, ErrKeyTrimmed or ErrKeyAlreadyRequested.
type KeyError struct {
	Err     error  // one of the sentinels above
	Epoch   uint64 // chain epoch of the key
	Index   uint32 // requested index
	Current uint32 // chain counter (for ErrKeyJump)
	Limit   uint32 // MaxJump or MaxOutOfOrderKeys in force
}

// Error describes the failure with its indexes.
func (e *KeyError) Error() string {
	switch e.Err {
	case ErrKeyJump:
		return fmt.Sprintf("%v: epoch %d index %d, counter %d, limit %d", e.Err, e.Epoch, e.Index, e.Current, e.Limit)
	case ErrKeyTrimmed:
		return fmt.Sprintf("%v: epoch %d index %d (keeping %d old keys)", e.Err, e.Epoch, e.Index, e.Limit)
	}
	return fmt.Sprintf("%v: epoch %d index %d", e.Err, e.Epoch, e.Index)
}

// Unwrap returns the sentinel.
func (e *KeyError) Unwrap() error { return e.Err }

func epochError(ep uint64) error { return fmt.Errorf("%w: %d", ErrEpochOutOfRange, ep) }
