// Package sealedsender implements Signal's sealed sender: the envelope that
// hides who sent a message from the Signal service, byte-compatible with
// libsignal.
//
// A sealed-sender envelope carries a Content: the inner message (a session
// message, a sender-key message or a PlaintextContent), its type, a content
// hint, an optional group id, and the sender's SenderCertificate, which the
// service signed with a ServerCertificate that a trust root certified.
// Only the recipient can open the envelope, and opening it proves that the
// sender holds the certificate's identity key.
//
// Sealed sender v1 (version byte 0x11) encrypts to one recipient. Sealed
// sender v2 encrypts one message for many recipients: the sender uploads a
// multi-recipient "sent message" (0x23), the service splits it
// (ParseSentMessage, SentMessage.MessageFor) and hands each recipient a
// "received message" (0x22), which Open and Cipher.Decrypt read like a v1
// envelope. v2 uses AES-256-GCM-SIV (RFC 8452).
//
// Cipher joins these to the session layer: Cipher.Encrypt encrypts with a
// session.Manager and seals; Cipher.Decrypt opens, validates the
// certificate against the app's trust roots, refuses the app's own device,
// and decrypts the inner message with the same atomicity as the session
// layer (nothing is stored when any step fails). When the inner decryption
// fails, the error is an *InnerError that still names the authenticated
// sender and its content hint, so the app can ask for a resend.
package sealedsender
