// Package session is the part of the Signal protocol that apps embed: a
// Manager that starts sessions from prekey bundles and PreKey messages and
// encrypts and decrypts for any number of peer devices, over stores that the
// app provides.
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
