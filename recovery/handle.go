package recovery

import (
	"context"
	"fmt"
	"time"

	"github.com/forwardsecret/signal/session"
)

// Response is what Handle did about a received decryption-error message,
// and what the app does next.
type Response struct {
	// Ours reports whether the failed message was sent by this device
	// (the message's DeviceID is the local one). When it is false, Handle
	// did nothing and the app does nothing: another device of the account
	// sent the message, and it answers the same request on its own.
	Ours bool
	// Archived reports that the error named the current sending ratchet
	// key of the session with the peer, and that Handle archived that
	// session: the next Encrypt to the peer fails with
	// session.ErrNoSession until the app has fetched a fresh bundle of the
	// peer's device and called ProcessBundle (or until the peer's own
	// PreKey message starts a new session).
	Archived bool
	// SenderKey reports that the failed message was a sender-key (group)
	// message (the error carries no ratchet key): before resending, send
	// the peer the group's sender-key distribution message over the
	// pairwise session (senderkey.Cipher.CreateDistributionMessage
	// returns it), since the peer lacks the sender key or has a broken
	// one. The group is the one the error's envelope names
	// (sealedsender.Result.GroupID).
	SenderKey bool
	// Timestamp is the failed message's timestamp: the message to resend.
	Timestamp time.Time
}

// Handle is the sender's side of a decryption-error message m that
// arrived from peer (the address of the device that could not decrypt:
// the sealed-sender Result's Address, or the envelope's source). localDevice
// is this device's id.
//
// When m names another device (m.DeviceID != localDevice), Handle does
// nothing (Response.Ours is false). Otherwise, when m has a ratchet key,
// Handle archives the session with peer if, and only if, that key is the
// session's current sending ratchet key (session.Manager.ArchiveIfCurrent):
// an error about a message of an earlier ratchet step, of an archived
// session, or one whose key was made up changes nothing stored. Without a
// ratchet key (a sender-key message failed), nothing is stored either.
//
// Then the app acts on the Response: if it still has the message it sent
// to peer at Response.Timestamp (Signal-Desktop keeps a log of what it
// sent and answers requests up to 14 days old), it resends it to peer: over
// a new session from a fresh bundle if Archived, after the group's
// sender-key distribution message if SenderKey, over the current session
// otherwise. If it no longer has the message and Archived, it should still
// send something (Signal clients send a null message) so that the peer
// gets the new session soon. Signal-Desktop answers at most 5 requests for
// one message; an app should bound resends per message likewise.
//
// Handle's only errors are those of the session store, and
// ErrInvalidArgument for a nil m or Manager.
func Handle(ctx context.Context, m *session.Manager, peer session.Address, localDevice uint32, dem *DecryptionErrorMessage) (Response, error) {
	if m == nil || dem == nil {
		return Response{}, fmt.Errorf("%w: Handle needs a Manager and a message", ErrInvalidArgument)
	}
	if dem.DeviceID != localDevice {
		return Response{}, nil
	}
	r := Response{Ours: true, Timestamp: dem.Timestamp, SenderKey: !dem.HasRatchetKey}
	if dem.HasRatchetKey {
		archived, err := m.ArchiveIfCurrent(ctx, peer, dem.RatchetKey)
		if err != nil {
			return Response{}, err
		}
		r.Archived = archived
	}
	return r, nil
}
