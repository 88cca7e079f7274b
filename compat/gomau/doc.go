// Package gomau imports the records of go.mau.fi/libsignal, the Go Signal
// library under whatsmeow (WhatsApp), into this library's types.
//
// go.mau.fi/libsignal serializes its records with whatever serializer the
// app gives it; whatsmeow, like every user of the library seen so far, gives
// it serialize.NewProtoBufSerializer, which despite its name writes the
// records as JSON: Go's encoding/json of the library's record structures,
// field names as in its Go source, byte strings in standard base64. Only
// messages go out as protobuf. This package reads that JSON:
//
//   - ImportSessionRecord: the session record (current and archived
//     states, all session version 3), as whatsmeow stores it per address;
//   - ImportPreKeyRecord and ImportSignedPreKeyRecord: the prekey records;
//   - ImportSenderKeyRecord: the sender-key record of one (group, sender).
//
// Keys are in their libsignal encodings inside the JSON (public keys 0x05 ||
// u, private keys 32 bytes), and the states are those of the legacy
// libsignal layout that package libsignal imports
// (libsignal.ImportLegacySessionRecord), which this package hands them to
// with the same rules: see there.
//
// whatsmeow itself keeps some keys outside these records, in columns of its
// SQL store: the device's identity key pair and signed prekey, and its
// one-time prekeys, as raw 32-byte keys (public keys without the 0x05
// type byte). Those need no record format: curve.NewPrivateKey reads a
// private key, and x3dh.OneTimePreKey, x3dh.SignedPreKey and
// curve.NewIdentityKeyPair take it from there.
//
// There is no export: this library's records go to go.mau.fi/libsignal
// through a conversation, not a file. Errors wrap compat.ErrInvalidRecord or
// compat.ErrUnsupportedVersion.
package gomau
