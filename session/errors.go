package session

import (
	"errors"
	"fmt"

	"github.com/forwardsecret/signal/curve"
)

// Errors returned by the session layer. Each is matchable with errors.Is;
// UntrustedIdentityError also with errors.As.
var (
	// ErrNoSession is returned when there is no usable session for an address.
	ErrNoSession = errors.New("session: no session")
	// ErrInvalidMessage is returned for a message that cannot be parsed or
	// does not authenticate under any session state of the record.
	ErrInvalidMessage = errors.New("session: invalid message")
	// ErrDuplicateMessage is returned for a message whose keys were already
	// used: it was decrypted before.
	ErrDuplicateMessage = errors.New("session: duplicate message")
	// ErrInvalidPreKeyID is returned when a PreKey message names a one-time,
	// signed or KEM prekey that the stores do not hold.
	ErrInvalidPreKeyID = errors.New("session: invalid prekey id")
	// ErrSignature is returned when a bundle's signed-prekey or KEM-prekey
	// signature does not verify.
	ErrSignature = errors.New("session: signature verification failed")
	// ErrUntrustedIdentity is matched by every *UntrustedIdentityError.
	ErrUntrustedIdentity = errors.New("session: untrusted identity")
	// ErrStaleSession is returned when encrypting with a session that has not
	// heard from the peer for longer than MaxUnacknowledgedSessionAge.
	ErrStaleSession = errors.New("session: unacknowledged session too old")
	// ErrVersion is returned for a message whose version byte is legacy
	// (below 3) or unknown (above 4). A message of the other supported
	// version than the session's is ErrInvalidMessage, as in libsignal.
	ErrVersion = errors.New("session: unsupported message version")
	// ErrMinimumVersion is returned when a bundle or a PreKey message would
	// start a session of a version below the Manager's minimum (see
	// WithMinimumVersion): for example a bundle whose KEM prekey was
	// stripped, which would downgrade the session to v3.
	ErrMinimumVersion = errors.New("session: session version below the minimum")
	// ErrDeviceMismatch is returned by ProcessBundle for a bundle whose
	// device id is not the device id of the address it is processed for:
	// the session would be stored under one device and speak to another.
	ErrDeviceMismatch = errors.New("session: bundle device id differs from the address's")
)

// UntrustedIdentityError reports that the identity store refused the identity
// key of a peer. The app decides whether to trust the new key (for example
// after the user has compared safety numbers) and retries.
type UntrustedIdentityError struct {
	Address  Address
	Identity curve.PublicKey
}

// Error names the address; the key is in Identity.
func (e *UntrustedIdentityError) Error() string {
	return fmt.Sprintf("session: untrusted identity for %s", e.Address)
}

// Is makes errors.Is(err, ErrUntrustedIdentity) true.
func (e *UntrustedIdentityError) Is(target error) bool { return target == ErrUntrustedIdentity }
