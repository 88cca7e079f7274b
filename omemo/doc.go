// Package omemo implements OMEMO (XEP-0384), the Signal protocol's X3DH and
// Double Ratchet carried over XMPP, for Go XMPP clients and bots, in both
// namespaces in use:
//
//   - OMEMO 2 ([V2], urn:xmpp:omemo:2, XEP-0384 0.8 and later; python-omemo's
//     twomemo): X3DH with identity keys published in Ed25519 form (Ed25519
//     signatures on signed prekeys; Diffie-Hellman with the Montgomery form
//     of the same keys) and info "OMEMO X3DH"; the Double Ratchet with
//     labels "OMEMO Root Chain" and "OMEMO Message Key Material" and the
//     specification's previous counter; AES-256-CBC with HMAC-SHA-256
//     truncated to 16 bytes over the Ed25519 identity keys and the
//     OMEMOMessage; its protobuf messages ([Message], [AuthenticatedMessage],
//     [KeyExchange]); at most [MaxSkipV2] skipped keys per message.
//   - OMEMO 0.3 ([V03], eu.siacs.conversations.axolotl; python-omemo's
//     oldmemo, Conversations, Dino, Gajim, Monal): Signal's v3 session
//     (package session: X3DH with "WhisperText", libsignal's message
//     formats), with OMEMO's payload encryption.
//
// It is not an XMPP client: it reads and writes the XEP's XML elements
// ([Bundle], [DeviceList], [Encrypted]) as bytes, and the app moves them
// over its XMPP library (PEP nodes, message stanzas).
//
// # The payload layer
//
// OMEMO encrypts a message's content once, with a fresh key, and sends the
// key material to every recipient device (the recipient's other devices
// and the sender's own) through that device's session: [Manager.Encrypt]
// takes the content and a list of devices and returns one [Encrypted]
// element. OMEMO 2 encrypts the XEP-0420 SCE envelope with AES-256-CBC and
// HMAC-SHA-256 (key material: 32-byte key || 16-byte tag,
// [EncryptPayloadV2]); OMEMO 0.3 encrypts the body with AES-128-GCM (key
// material: 16-byte key || 16-byte tag; the 12-byte IV goes in the header,
// [EncryptPayloadV03]).
//
// # Who can forge a payload
//
// Every recipient device learns the whole key material (key and tag):
// the payload is sent once, for all of them. What a recipient can do with
// it differs between the versions; in both, forging needs a stanza
// delivered as the sender's (a server or MUC service, possibly colluding
// with a recipient), since each recipient's key material comes through
// the sender's own session and cannot be changed.
//
//   - OMEMO 0.3: AES-GCM does not commit to its key. A co-recipient who
//     knows key, IV and tag can compute GCM's hash key and keystream and
//     build another payload (all of it of her choosing but one 16-byte
//     block, which then looks random) that decrypts without error under
//     the original key and tag: the other recipients take it for the
//     sender's message. The payload of an OMEMO 0.3 message is
//     authenticated only against those who did not receive it. This is
//     the format's property (python-omemo's oldmemo makes the same GCM
//     check, so it accepts such a payload too) and cannot be fixed without breaking interoperability; apps
//     that need more use OMEMO 2. (The package refuses the 16-byte key
//     format with the tag in the payload, [DecryptPayloadV03], which made
//     it trivial on the key of an empty message.)
//   - OMEMO 2: the tag is HMAC-SHA-256 over the payload, truncated to 16
//     bytes, under a key derived from the payload key. A co-recipient
//     knows that HMAC key too, but to keep the sender's tag she needs a
//     second payload with the same 128-bit truncated HMAC, a second
//     preimage (about 2^128 HMAC computations): OMEMO 2 payloads cannot be
//     forged by co-recipients (short of breaking HMAC-SHA-256).
//
// Neither version makes all recipients see the same content: the sender
// chooses each device's key material, so she can show different devices
// different messages.
//
// # A device
//
// A device has an identity key pair (a curve.IdentityKeyPair, or
// [IdentityFromSeed] for an Ed25519 seed), a device id, a signed prekey
// ([GenerateSignedPreKey], signed the way the version signs) and one-time
// prekeys (x3dh.GenerateOneTimePreKey), kept in a [Store] ([MemStore] for
// tests and examples; any session.AllStores plus [SessionStoreV2]).
// [NewBundle] makes the bundle to publish. A device that speaks both
// versions uses one Store and one [Manager] per version, with the same
// identity key pair, as python-omemo does.
//
// # Sessions
//
// [Manager.ProcessBundle] starts a session from a peer device's bundle,
// with one of its one-time prekeys chosen at random; [Manager.Encrypt] then sends key
// exchanges (kex='true', prekey='true' in 0.3) to that device until it
// answers. [Manager.Decrypt] starts the responder's session from a key
// exchange, consuming the one-time prekey, and decrypts everything else
// with the stored session. A failed Decrypt stores nothing.
// [Manager.DecryptMessage] also says when XEP-0384 asks for a heartbeat
// (an empty message, Encrypt with nil content): after a key exchange, so
// the peer stops sending key exchanges, and (OMEMO 2) on the first
// message of a chain with a counter of [HeartbeatCounter] or more, once
// per chain. python-omemo sends one after every message past that
// counter, in both versions; this package reports none for OMEMO 0.3
// other than after key exchanges.
//
// A key exchange's one-time prekey is deleted at once (python-omemo hides
// it until a history catch-up ends, so a second key exchange with the same
// prekey during the catch-up is refused here with ErrUnknownPreKey). The
// app republishes its bundle after key exchanges, adding one-time prekeys
// when few are left (python-omemo refills to 100), and replaces its signed
// prekey from time to time, keeping the old one a while for key exchanges
// already under way.
//
// A message's keys are matched to the Manager's own JID byte for byte
// (<keys jid='Bob@Example.org'/> is not for bob@example.org): give
// NewManager the bare JID as the app's XMPP library normalizes it, as
// python-omemo also compares strings.
//
// # Trust
//
// Trust goes through the identity store (session.IdentityStore): the
// Manager asks IsTrustedIdentity before it encrypts to or decrypts from a
// device, with the identity key in Montgomery form (for OMEMO 2, the
// converted Ed25519 key: the same key, without the sign bit that signatures
// already pin), and records the key (SaveIdentity) when a session starts.
// A refused key gives a *session.UntrustedIdentityError. XEP-0384 asks
// clients not to send over a new session before the user has decided about
// its device: that decision is the identity store's.
//
// BTBV ("blind trust before verification", the policy of Conversations
// and Dino) is an app policy on top: an identity store whose
// IsTrustedIdentity returns true for every device of a JID as long as the
// user has verified none of that JID's keys, and once one is verified (by
// comparing fingerprints: the hex of the Ed25519 key for OMEMO 2), only
// for verified keys; newly seen keys of a JID with verified keys wait for
// the user. Wrap MemStore (or any Store) and override IsTrustedIdentity
// with that rule, keeping a set of verified keys per JID; the memstore
// default is trust on first use per device.
//
// A received key exchange names its sender's identity key itself, and the
// Manager, which never sees bundles, checks it only through
// IsTrustedIdentity. python-omemo also requires it to equal the identity
// key of the bundle it fetched for that device. For the same check, give
// the identity store the identity keys of the bundles the app fetched and
// make IsTrustedIdentity (session.Receiving) refuse another key for that
// device; with trust on first use or BTBV alone, whoever can send as the
// JID (its server) can start a session with a key of its choosing for a
// device the store has not seen.
//
// # Limits and errors
//
// Parsers refuse input beyond named limits ([MaxMessageSize],
// [MaxBundleXMLSize], [MaxEncryptedXMLSize], [MaxPayloadSize], ...) with a
// *[LimitError] (ErrTooLarge). Every error wraps one of the package's
// sentinels, package session's or package ratchet's, matchable with
// errors.Is and errors.As. No input makes the package panic; secrets never
// appear in String or fmt output.
//
// What to do with Decrypt's errors, as XEP-0384 asks: a message decrypted
// before (errors.Is(err, ratchet.ErrDuplicateMessage) in OMEMO 2,
// session.ErrDuplicateMessage in 0.3) is dropped silently; any other
// session failure (ErrInvalidMessage, ErrNoSession, ErrUnknownPreKey)
// calls for a new key exchange: DeleteSession, then ProcessBundle with a
// freshly fetched bundle and an empty message (Encrypt with nil content).
// A payload that does not decrypt (ErrInvalidPayload) is not a reason
// for one.
//
// An OMEMO 2 message may skip at most [MaxSkipV2] (1000) message keys, the
// XEP's MAX_SKIP and python-omemo's bound. Skipped keys are stored within
// package ratchet's bounds (ratchet.MaxSkippedKeysPerChain per chain,
// ratchet.MaxReceiverChains chains), which keep more than the XEP's
// recommended "around 1000" per session: a late message is decryptable a
// little longer than with python-omemo.
//
// # Interoperability
//
// The interop module (interop/, with Debian's python-omemo packages) runs
// live conversations with python-omemo in both namespaces and both
// directions, with key exchanges, out-of-order delivery and messages to
// several devices of two users.
//
// # python-omemo's quirks
//
// oldmemo (python-omemo's OMEMO 0.3) reads libsignal's previous-counter
// field (the index of the last message of the previous chain) as a count,
// so it cannot decrypt the last message of a chain from a libsignal-family
// sender (this package's V03 included) once the next chain has started;
// it requires a one-time prekey and sends no registration id. OMEMO 2 has
// no such mismatch: this package sends the count. oldmemo, like this
// package, accepts a payload forged by a co-recipient of an OMEMO 0.3
// message (see "Who can forge a payload").
package omemo
