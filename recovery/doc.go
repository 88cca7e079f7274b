// Package recovery repairs a conversation after a message could not be
// decrypted, as Signal's clients do: the receiver sends the sender a
// DecryptionErrorMessage inside a PlaintextContent (the one inner message
// that travels unencrypted, sealed-sender content type
// sealedsender.TypePlaintext), and the sender archives the broken session,
// fetches a fresh bundle and resends. Without it, a session that one side
// lost (a restored backup, a reinstall that kept the identity, a bug on
// either side) stays broken: every message the other side sends fails.
// The messages are byte-compatible with libsignal's; Example_recovery
// shows the whole exchange.
//
// # The receiver: answering a failed decrypt
//
// When session.Manager.Decrypt, senderkey.Cipher.Decrypt or
// sealedsender.Cipher.Decrypt fails, ReplyFor (or ReplyForInner, for a
// *sealedsender.InnerError) decides whether the failure calls for a
// decryption-error message and builds it from the failed message's bytes,
// type, envelope timestamp and sending device (NewDecryptionErrorMessage,
// then NewPlaintextContent). It answers messages that cannot be decrypted
// and that a resend repairs (no session, a message no session state
// authenticates, a prekey that is gone, a missing or broken sender key),
// and refuses, with ErrNoReply, duplicates, untrusted identities, versions
// the device does not accept, envelopes without an authenticated sender, a
// PlaintextContent, and local faults (a failing store: decrypt again
// later). ReplyFor lists the rules. The app seals the result for the
// failed message's sender with content type sealedsender.TypePlaintext and
// the failed message's group id (SealReply does, for the identity key in
// the failed envelope's sender certificate: the broken session is not
// needed), and sends it to that sender's device; how the app shows the
// failed message depends on its content hint (sealedsender.InnerError.Hint;
// see ReplyFor). ExampleSealReply shows the sealed exchange.
//
// # The sender: handling a received error
//
// Received reads a decryption-error message out of a decrypted envelope of
// type TypePlaintext (sealedsender.Result.Type and Plaintext). Handle acts
// on it: if it is about a message this device sent and names the session's
// current sending ratchet key, it archives that session
// (session.Manager.ArchiveIfCurrent), so that the next Encrypt needs a
// fresh bundle; its Response tells the app to resend the message, after a
// new ProcessBundle if the session was archived, and after the group's
// sender-key distribution message if a sender-key message failed.
//
// # What an unauthenticated error can do
//
// A decryption-error message carries no MAC or signature: whoever
// delivers it chooses the timestamp, the device id and the ratchet key.
// Sealed sender authenticates the account and device that sent it (a
// valid sender certificate, and the envelope's key agreement with its
// identity key), and an unsealed envelope only the Signal service vouches
// for. So assume that the peer, and the service, can send any error they
// like from the peer's address. They can make this device:
//
//   - archive its session with that peer, and only that peer, if they name
//     its current sending ratchet key. That key is public: every message
//     of the session carries it, readable by the peer and, for unsealed
//     messages, by the service. The cost is a new session: one bundle
//     fetch, which uses up one of the peer's one-time prekeys, and PreKey
//     messages until the peer answers. No key or plaintext is revealed,
//     and the new session has fresh keys. If the service strips the KEM
//     prekey from the bundle it hands out, the new session is v3 unless
//     the Manager was made with session.WithMinimumVersion(x3dh.V4).
//   - resend to the peer a message the app sent to that same peer, if the
//     app resends what Handle tells it to. The peer could read that
//     message anyway. Bound the resends per message (Signal-Desktop
//     answers at most 5 requests for one message, up to 14 days old).
//
// They cannot make this device:
//
//   - archive anything for a ratchet key that is not the current one: an
//     error about an older ratchet step, an archived session, another
//     peer's session, or a made-up key changes nothing stored (Handle
//     consults only the session with the address the error came from);
//   - archive the session of a message another device of the account sent
//     (Handle ignores errors that name another device id);
//   - send anything to anyone but the peer, reveal a key or a plaintext,
//     or decrypt anything: the message starts no cryptographic operation.
//
// The receiver's side adds nothing to this: a forged message (for example
// one the service made up with a ratchet key copied from a real one) makes
// the receiver answer with an error naming the forgery's ratchet key,
// which costs the sender at most what is listed above. ReplyFor sends
// nothing for duplicates, so replaying a decrypted message triggers no
// error at all.
//
// # Layouts
//
//	DecryptionErrorMessage = protobuf { 1 ratchet_key (33 bytes, optional),
//	                                    2 timestamp (uint64 ms, required),
//	                                    3 device_id (uint32) }
//	PlaintextContent       = 0xC0 || Content { 8 decryption_error_message } || 0x80
//
// (libsignal's protocol.rs and service.proto). The parsers follow
// libsignal's rules (ParseDecryptionErrorMessage and
// PlaintextContent.DecryptionErrorMessage say which), and accept at most
// MaxMessageSize bytes.
package recovery
