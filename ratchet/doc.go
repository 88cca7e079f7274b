// Package ratchet implements the Double Ratchet of the Signal specification
// (signal.org/docs/specifications/doubleratchet) with Signal's KDF chain.
// The specification's header-encryption variant, for applications that
// design their own protocol, is package [github.com/forwardsecret/signal/ratchet/he].
//
// The package knows nothing of wire formats. The session layer owns the
// encodings: it reads and writes the header fields a State exposes
// ([Header]: ratchet public key, counter, previous counter), serializes
// messages, and computes and checks their MACs over the bytes it builds.
//
// # Signal's suite ([State])
//
//   - Root step (create_chain): HKDF-SHA256(salt = root key, ikm = DH output,
//     info "WhisperRatchet", 64) -> new root key | chain key.
//   - Chain step: message-key seed HMAC-SHA256(CK, 0x01), next chain key
//     HMAC-SHA256(CK, 0x02).
//   - Message keys: HKDF-SHA256(salt, seed, info "WhisperMessageKeys", 80) ->
//     AES-256 key | HMAC-SHA256 key | IV. The salt is the per-message hook:
//     nil in v3 sessions (RFC 5869's default, 32 zero bytes), the SPQR
//     message key in v4. The session passes it to each Encrypt and Decrypt.
//   - Body: AES-256-CBC with PKCS#7 padding.
//   - The MAC is the session layer's: for a SignalMessage it is
//     HMAC-SHA256(MAC key, sender identity || receiver identity || version
//     byte || protobuf)[:8]. [State.SignalMAC] and [State.VerifySignalMAC]
//     compute it without allocating.
//
// Sending: [State.Encrypt] returns the header fields, the body and the MAC
// key; the session serializes the message and appends its tag.
//
// Receiving: the session parses the message and calls [State.Decrypt] with
// the header fields, the body, the salt and a verify function. Decrypt
// derives the message key (performing a DH ratchet step on a new ratchet
// key), hands the MAC key to verify, and only if verify returns nil
// decrypts the body and commits. Any failure leaves the state exactly as it
// was: Decrypt computes the candidate changes (new chain keys, new root,
// new ratchet key pair, skipped keys to store or remove) in scratch space
// and applies them only at the end, so it copies no stored keys.
//
// Counters follow libsignal, for wire compatibility: the first message of
// a chain has counter 0; on a DH ratchet step the previous-counter field
// becomes the old sending chain's index minus one, never below 0 (so a
// chain that sent n >= 1 messages reports n-1, and one that sent none
// reports 0). The receiver does not use the previous counter: as in
// libsignal, up to [MaxReceiverChains] receiving chains stay live, and a
// late message on an old chain advances that chain.
//
// # Other suites
//
// A [Suite] runs the same chain under another protocol's labels (HKDF info
// strings) and, optionally, with the specification's previous counter (the
// number of messages of the previous chain): package omemo uses it for
// OMEMO 2. The zero Suite is Signal's; see [Suite.NewAlice], [Suite.NewBob]
// and [State.SetSuite].
//
// # Bounds
//
// A counter more than [MaxForwardJump] ahead of its chain is refused before
// any chain step. Each receiving chain stores at most
// [MaxSkippedKeysPerChain] skipped keys (the oldest are dropped, and only
// the seeds of the keys that will be kept are computed); a state keeps at
// most [MaxReceiverChains] receiving chains (the oldest is dropped). The
// errors are [*LimitError] values that name the bound and wrap
// [ErrForwardJumpTooLarge], [ErrSkippedKeyDropped] or
// [ErrReceiverChainDropped].
//
// # Storage
//
// [State.Snapshot] and [FromSnapshot] expose the state as plain fields in the
// shape of libsignal's SessionStructure (root key, previous counter, sender
// chain, receiver chains with their stored keys), so the session layer can
// map states to and from libsignal's records. Skipped keys are stored as
// seeds, as new libsignal versions do: the message keys are derived when the
// message arrives, with its salt. [State.MarshalBinary] and
// [State.UnmarshalBinary] are this package's own versioned encoding, which
// rejects malformed input with an error wrapping [ErrInvalidState].
// Record codecs that must not copy every stored key twice use
// [State.View] (reads the state in place) and [Builder] (fills a new
// state's storage directly, with the checks of FromSnapshot);
// [State.Clone] copies a state without either.
//
// # Secrets
//
// Key types redact themselves in String and fmt output. Keys that the
// package discards are cleared where that is possible; Go gives no
// guarantee that no copy remains, so this is best effort. States are not
// safe for concurrent use.
package ratchet
