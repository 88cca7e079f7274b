// Package compat moves a device's stored state between this library and
// other Signal libraries, so that an app can change libraries without its
// users' conversations noticing: the device's identity key pair, its
// prekeys, its sessions (mid-conversation, archived states and skipped
// message keys included) and its sender keys, as those libraries serialize
// them. The subpackages do the work, one per family of formats; this
// package holds the errors they share.
//
//	library                                format               package          direction
//	libsignal (Signal's own)               storage.proto        compat/libsignal import, export
//	libsignal-protocol-c, -java,           LocalStorageProtocol compat/libsignal import
//	python-axolotl (OMEMO clients)         (legacy sessions)
//	go.mau.fi/libsignal (whatsmeow)        JSON                 compat/gomau     import
//
// Package libsignal imports and exports every record the official libsignal
// stores (SessionRecord, PreKeyRecord, SignedPreKeyRecord, KyberPreKeyRecord,
// SenderKeyRecord, IdentityKeyPair, IdentityKey), byte for byte as libsignal
// writes them, and imports the session records of its predecessors, whose
// other records have libsignal's layout. Package gomau imports the JSON
// records of go.mau.fi/libsignal.
//
// # What a migration moves, and what the app adds
//
// Records hold keys and ratchet states, not the facts an app keeps around
// them, which a migration carries over from the old store itself: which
// address (or sender and distribution id) each record belongs to, the
// device's registration id, which Kyber prekey is the last-resort one
// (session.DeviceStore.AddLastResortKEMPreKey) and which are one-time, and
// the peers' identity keys that the app trusts (libsignal stores each as a
// serialized IdentityKey: libsignal.ImportIdentityKey, then
// session.DeviceStore.Trust). Every store of this library is a
// session.DeviceStore and a session.SessionStore, which take the imported
// values as they are; the Example shows a device moving from libsignal.
//
// Sessions of either version move: v4 (PQXDH, with the sparse post-quantum
// ratchet's state) with the official libsignal, v3 with the older libraries
// and go.mau.fi/libsignal.
//
// # Errors
//
// Every error of the subpackages wraps ErrInvalidRecord,
// ErrUnsupportedVersion or ErrInvalidKey; match with errors.Is.
package compat
