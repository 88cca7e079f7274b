// Package libsignal reads and writes the stored records of the official
// libsignal (signalapp/libsignal, the library of Signal's apps), so that a
// device's identity, prekeys, sessions and sender keys move between
// libsignal and this library, either way, without breaking a conversation.
//
// # Records
//
// Each kind of record has an Import function that reads libsignal's
// serialized form into this library's type and an Export function that
// writes it back:
//
//	record              libsignal type         this library's type
//	SessionRecord       SessionRecord          *session.Record
//	PreKeyRecord        PreKeyRecord           *x3dh.OneTimePreKey
//	SignedPreKeyRecord  SignedPreKeyRecord     *x3dh.SignedPreKey
//	KyberPreKeyRecord   KyberPreKeyRecord      *x3dh.KEMPreKey
//	SenderKeyRecord     SenderKeyRecord        *senderkey.Record
//	IdentityKeyPair     IdentityKeyPair        *curve.IdentityKeyPair
//	IdentityKey         IdentityKey            curve.PublicKey
//
// The layouts are libsignal's storage.proto (proto3) and, for identity
// keys, its 33-byte key encoding. Export writes what libsignal writes for
// the same values, so a record libsignal wrote exports back to the very
// bytes it was imported from (libsignal writes every record canonically:
// fields in order, zero values left out). Import accepts what libsignal's
// own parser accepts (fields in any order, unknown fields skipped) and then
// checks more than libsignal does, so that a record that imports is one the
// library can use: key lengths and types, public keys that belong to their
// private keys, and every session state, the archived ones included.
//
// A Kyber prekey's secret key is stored in libsignal's form, the KEM type
// byte and the 3,168-byte expanded decapsulation key (KyberSecretKeySize
// bytes in all); ExportKyberPreKeyRecord writes keys generated here in that
// form, and libsignal decapsulates with them.
//
// Session records carry the sparse post-quantum ratchet state of version 4
// sessions; it moves with the record. Records hold no addresses: the app
// stores what it imports under the address (session.Address, or sender and
// distribution id for sender keys) that it kept the record under, and its
// own registration id, which no record holds, with its identity.
//
// # Older libraries
//
// libsignal-protocol-c and -java, and python-axolotl, which share one
// LocalStorageProtocol.proto (the libraries of OMEMO clients, and of
// Signal's apps before libsignal), write their prekey, signed prekey,
// identity and sender-key records in libsignal's layout, and this package's
// importers read them (the known answers of libsignal-protocol-c 2.3.3 and
// python-axolotl 0.2.3 are read and, for the key records, re-exported byte
// for byte). Their session
// records have the older layout that ImportLegacySessionRecord reads: it
// turns them into records of the current layout, with the rules its
// documentation lists. Records of
// go.mau.fi/libsignal (whatsmeow) are JSON; package compat/gomau reads
// them.
//
// # Errors
//
// Import functions return errors wrapping compat.ErrInvalidRecord, or
// compat.ErrUnsupportedVersion for a session of a version this library does
// not speak; Export functions return errors wrapping compat.ErrInvalidKey.
// Imports are all or nothing: on error nothing is returned.
//
// # Secrets
//
// Records hold private keys. The values returned keep them as this
// library's types do (redacted from fmt output); the byte slices the Export
// functions return are the caller's to protect and, when done, to clear.
package libsignal
