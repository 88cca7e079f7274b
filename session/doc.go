// Package session is the part of the Signal protocol that apps embed: a
// Manager that starts sessions from prekey bundles and PreKey messages and
// encrypts and decrypts for any number of peer devices, over stores that the
// app provides.
//
// The examples of this package, of package prekey and of package senderkey
// run as tests and render with the documentation (pkg.go.dev, or locally
// with go doc -http).
//
// # Setting up a device
//
// A device has an identity key pair (curve.GenerateIdentityKeyPair) and a
// registration id (prekey.NewRegistrationID), made once at install and kept
// for as long as the install lasts, and stores for its keys and sessions.
// One call opens a device's stores and creates its identity on first start:
// sqlite.OpenDevice (package sqlstore/sqlite) or postgres.OpenDevice
// (sqlstore/postgres) for a database, memstore.NewDevice for tests and
// small tools; an app's own stores implement the interfaces below. Every
// store of ours also implements DeviceStore, the one interface that writes
// prekeys and trust decisions. Package prekey generates the prekeys
// (prekey.Generate, prekey.Initial), writes them into any DeviceStore
// (prekey.Store) and gives what to upload (Set.Public); its Policy says when
// to replace which. One Manager (NewManager over StoresOf(store)) then
// serves every peer.
//
// # Starting a session
//
// A session with a peer device starts one of two ways. The initiator fetches
// the device's bundle from the server (prekey.ParsePreKeyResponse reads
// Signal-Server's JSON; an x3dh.Bundle can also be built or decoded
// directly) and calls ProcessBundle with the device's Address: Name is the
// account (for Signal a service id), DeviceID must be the bundle's
// (ErrDeviceMismatch otherwise). Encrypt then sends PreKey messages
// (TypePreKey) until the peer answers. The responder needs no call: its
// Decrypt of a PreKey message starts the session, consuming the one-time
// keys the message names. An account with several devices has one session
// per device: fetch every device's bundle and encrypt to each (EncryptMany
// does that in parallel).
//
// Message carries a ciphertext with its type; MarshalBinary gives one byte
// string for a transport, UnmarshalBinary reads it back.
//
// # Versions
//
// A bundle with a KEM (Kyber) prekey gives a v4 session (PQXDH and the
// sparse post-quantum ratchet, what the official libsignal speaks); one
// without gives v3 (X3DH, what libsignal-protocol-c, python-axolotl,
// go.mau.fi/libsignal and npm libsignal speak). Info reports a session's
// version. By default a Manager accepts both. An app whose peers all run
// the official libsignal should pass WithMinimumVersion(x3dh.V4): otherwise
// a server that strips the KEM prekey from a bundle downgrades the session
// without notice. ProcessBundle and Decrypt then refuse v3 with
// ErrMinimumVersion.
//
// # Trust and identity changes
//
// The IdentityStore decides which identity key of a peer to trust, in each
// Direction. memstore (and sqlstore) trust a key on first use and then only
// that key. When a peer's key changes (a reinstall, or an attack),
// ProcessBundle, Encrypt and Decrypt fail with an *UntrustedIdentityError
// (errors.Is(err, ErrUntrustedIdentity)) that carries the new key and
// change nothing. The app shows its user the new safety number
// (fingerprint.New over both identity keys; Info.RemoteIdentity gives the
// current one), and once the user accepts, stores the new key as trusted
// (DeviceStore.Trust, which memstore and sqlstore implement, or the app's
// IdentityStore)
// and retries. The
// examples ExampleUntrustedIdentityError and Example_safetyNumber show both.
//
// # Decrypt and DecryptWith
//
// Decrypt stores the new session state before it returns the plaintext: if
// the app crashes before it has saved the message, the message is lost (its
// keys are gone). DecryptWith hands the plaintext to a function before
// anything is stored and stores nothing if that function fails, so an app
// that saves the message there gets it at least once. With a Locker store
// the function runs inside the store's transaction. DecryptBatch does the
// same for many messages of one sender at once (the catch-up after a time
// offline): one lock, one transaction, one load and one store of the
// record, a handler call per message; a message that fails stops the
// batch, the ones before it committed.
//
// # Errors and what to do
//
// Every error wraps one of the package's sentinels (errors.Is) or is an
// *UntrustedIdentityError:
//
//   - ErrNoSession (Encrypt): no session; fetch a bundle and ProcessBundle.
//   - ErrStaleSession (Encrypt): the peer has not answered for
//     MaxUnacknowledgedSessionAge; fetch a new bundle.
//   - *UntrustedIdentityError: the peer's identity key changed; see above.
//   - ErrInvalidMessage (Decrypt): malformed, forged, or for a session this
//     device no longer has. Drop it; if the peer keeps sending such
//     messages, archive the session (ArchiveSession) so the next exchange
//     starts a new one.
//   - ErrDuplicateMessage (Decrypt): a message already decrypted (a
//     redelivery). Drop it.
//   - ErrInvalidPreKeyID (Decrypt): a PreKey message names a prekey this
//     device no longer holds (used, or replaced and expired). Drop it; the
//     peer's next bundle fetch recovers.
//   - ErrVersion, ErrMinimumVersion: a version this Manager does not speak
//     or accept. Drop the message, or refuse the bundle.
//   - ErrSignature, x3dh.ErrInvalidBundle, ErrDeviceMismatch
//     (ProcessBundle): a bad bundle; do not use it.
//   - any other error is a store's (wrapped as "session: ... store: ..."):
//     retry later. With a Locker store the failed operation wrote nothing.
//
// # Stores and their contracts
//
// Stores lists the five stores; StoresOf fills them from one value that is
// every store. The SessionStore's StoreSession writes a record and removes
// the prekeys the decrypt consumed (Consumed) in one atomic write, and
// refuses a one-time key that is already gone or a replayed use of a
// last-resort KEM prekey: that is what makes each one-time key usable once.
// A store shared by several processes (a database) implements Locker: the
// Manager then runs each operation on an address inside LockAddress's
// transaction. A Locker whose lock is costly to hold while a decrypt
// computes (SQLite's database-wide write lock) also implements Snapshotter,
// and the Manager decrypts on a snapshot and locks only to write.
// storetest.Run checks an implementation against these contracts.
//
// # Concurrency
//
// A Manager is safe for concurrent use: calls for one address run one at a
// time, calls for different addresses in parallel. Several Managers may
// share one store if it is a Locker (memstore's and sqlstore's are);
// otherwise use one Manager per store.
//
// # Randomness
//
// Every random draw comes from crypto/rand, in a fixed order that is
// libsignal's (and libsignal-protocol-c's, for v3), so that a test can make
// crypto/rand replay another implementation's seeded draws
// (testing/cryptotest.SetGlobalRandom) and compare transcripts byte for
// byte, as package vectors does:
//
//   - Manager.ProcessBundle draws the base key (32 bytes, clamped as
//     RFC 7748 clamps a private key), then for a v4 session the KEM
//     encapsulation's message m (32 bytes; Kyber1024 and ML-KEM-1024 alike),
//     then the first ratchet key (32 bytes).
//   - Manager.Encrypt draws nothing in a v3 session (the CBC IV comes from
//     the message key). In a v4 session the sparse post-quantum ratchet
//     draws when its state asks for it: an ML-KEM-768 key generation seed
//     (d || z, 64 bytes) when it starts a new epoch's key, or an
//     encapsulation message m (32 bytes) once it has the peer's header.
//     The transcripts in package vectors list which send draws what.
//   - Manager.Decrypt and Manager.DecryptWith draw one ratchet key (32
//     bytes) for a message that carries a new ratchet key of the peer (a
//     Double Ratchet step), including the responder's first PreKey message,
//     and nothing otherwise. Answering a PreKey message draws nothing else:
//     the responder's first ratchet key is its signed prekey.
//
// Nothing else in the package draws randomness; prekeys and their
// signatures are made by package prekey and package x3dh.
package session
