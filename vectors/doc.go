// Package vectors holds the known-answer test vectors the library is checked
// against, embedded as JSON and exposed through typed loaders. Every file
// names its source: a published specification (RFC 7748, RFC 8032), the
// libsignal family's own tests, or this project's generators.
//
// The files and their format are described in README.md beside this file:
//
//   - [RFC7748]: X25519 (RFC 7748 sections 5.2 and 6.1)
//   - [RFC8032]: Ed25519 (RFC 8032 section 7.1)
//   - [XEdDSA]: XEdDSA and VXEdDSA answers from libsignal-protocol-c and
//     curve25519-java
//   - [SignalRatchet]: libsignal's X25519 agreement and v3 key-schedule answers
//   - [PQXDH]: X3DH and PQXDH handshakes from this project's generator
//
// Larger sets (Wycheproof) stay outside the module; [SharedDir] finds them.
//
// The package imports nothing else from this module, so any package's tests,
// and other implementations, can use it.
package vectors
