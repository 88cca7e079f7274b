// Package compat moves a device's stored state between this library and
// other Signal libraries: its identity, its prekeys, its sessions and its
// sender keys, as those libraries serialize them. Its subpackages do the
// work, one per family of formats; this package holds what they share, the
// errors.
//
//   - Package libsignal reads and writes the records of the official
//     libsignal (storage.proto): SessionRecord with archived states and
//     post-quantum ratchet state, PreKeyRecord, SignedPreKeyRecord,
//     KyberPreKeyRecord, SenderKeyRecord, IdentityKeyPair and IdentityKey,
//     byte for byte both ways. It also reads the session records of the
//     libraries that came before it (libsignal-protocol-c and -java,
//     python-axolotl), whose other records have libsignal's layout.
//   - Package gomau reads the records of go.mau.fi/libsignal, the library
//     under whatsmeow, which stores them as JSON.
package compat
