// Package sealedsender implements Signal's sealed sender: the envelope that
// hides who sent a message from the Signal service, byte-compatible with
// libsignal (sealed sender v1 and v2, sender and server certificates, and
// the multi-recipient messages of group sends).
//
// # The envelope
//
// A sealed-sender envelope carries a Content: the inner message (a session
// message, a sender-key message or a PlaintextContent), its ContentType, a
// ContentHint, an optional group id, and the sender's SenderCertificate.
// Only the recipient's identity key opens it, and opening it proves that the
// sender holds the identity key its certificate names: a v1 envelope by a
// key agreement with the sender's identity key, a v2 message by an
// authentication tag from one.
//
//   - Sealed sender v1 (version byte 0x11, SealV1) encrypts for one
//     recipient: what Signal clients send 1:1.
//   - Sealed sender v2 encrypts the content once, with AES-256-GCM-SIV
//     (RFC 8452), under a random key that each recipient recovers from its
//     own 48 bytes of key material. The sender uploads a multi-recipient
//     "sent message" (0x23, SealV2 or Cipher.EncryptGroup) that lists the
//     recipients' service ids, devices and registration ids; the service
//     splits it (ParseSentMessage, SentMessage.MessageFor) and hands each
//     recipient a "received message" (0x22). Open and Cipher.Decrypt read a
//     received message like a v1 envelope.
//
// Readers look only at the high nibble of the version byte (the version a
// reader needs), as libsignal does.
//
// # Certificates
//
// The service certifies each device's identity key with a SenderCertificate
// (the sender's ACI, optional phone number, device id, identity key and an
// expiration time), signed with XEdDSA by a server key, whose
// ServerCertificate a trust root signed. Apps ship the trust root's public
// key and validate every envelope's certificate against it
// (SenderCertificate.Validate): the server certificate's key id must not be
// revoked (RevokedServerKeyIDs), one of the trust roots must have signed it
// (all are tried, so the time taken does not tell which), the server key
// must have signed the sender certificate, and the time must not be after
// its expiration. A sender certificate may name its server certificate by
// id instead of embedding it: KnownServerCertificates lists the ones
// libsignal knows. NewServerCertificate and NewSenderCertificate make
// certificates, for a server written in Go and for tests.
//
// # Cipher
//
// Cipher joins envelopes to the session layer. Cipher.Encrypt encrypts
// with a session.Manager and seals the result for the identity key of the
// session; Cipher.EncryptGroup encrypts once with a sender key (package
// senderkey) and seals it for every device of the group. Cipher.Decrypt
// opens an envelope, validates the certificate against the configured
// trust roots, refuses one from this very device (ErrSelfSend: the service
// may echo a message back), and decrypts the inner message with the
// Manager or the sender-key cipher, as from the certificate's UUID and
// device. It keeps the session layer's atomicity: nothing is stored unless
// every step succeeded, and Cipher.DecryptWith lets the app save the
// message before the new state is stored.
//
// # Errors
//
// Every error matches one of the package's sentinel errors with errors.Is:
// ErrInvalidMessage and ErrUnknownVersion for envelopes and sent messages,
// ErrInvalidCertificate (and, more precisely, ErrExpired, ErrUntrustedRoot,
// ErrRevoked, ErrUnknownServerCertificate) for certificates, ErrSelfSend,
// ErrInvalidArgument. When the envelope and the certificate are fine but
// the inner message fails (no session, a duplicate, a bad sender-key
// message), Decrypt returns an *InnerError, which wraps the session or
// sender-key error and still names the authenticated sender and the
// content hint, so that the app can ask that device to resend (package
// recovery) and decide whether to show an error.
//
// # What is and is not authenticated
//
// The recipient learns the sender from the certificate, authenticated by
// the envelope's key agreement and the trust root. The service-side fields
// of a sent message (recipients, devices, registration ids, excluded
// recipients) are for the service only: it checks them against its
// accounts, and recipients never see them. A Content's type, hint and group
// id are inside the encryption. The content hint and group id are the
// sender's claims about its own message.
//
// # Compatibility notes
//
// Public keys are read strictly (33 bytes, type 0x05), where libsignal
// accepts and ignores trailing bytes; no libsignal version writes them.
// Envelopes and sent messages above MaxEnvelopeSize are refused.
package sealedsender
