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
// and the generated families of this project's published suite (format and
// conventions in README.md; every file carries its own field definitions):
//
//   - [XEdDSASuite]: XEdDSA (both conventions) and VXEdDSA with fixed Z, and
//     invalid signatures
//   - [RatchetKDF]: Double Ratchet KDF chains over many steps
//   - [Transcripts]: whole v3 and v4 sessions on the wire with every key and
//     random draw, invalid messages and bundles with their expected errors
//
// Other Go implementations can run the suite through these loaders; this
// library's runner is go test -run 'TestSuite$' -v in this directory.
//
// Larger sets (Wycheproof) stay outside the module; [SharedDir] finds them.
//
// The vectors are their own module, github.com/forwardsecret/signal/vectors,
// so that the library's module stays small: only tests and other
// implementations need them. Package vectors imports nothing from the
// library. The module's tests check the library against them (the suite
// here, the other known answers in libtest); the library's own tests read
// the few files they need from vectors/data by path.
package vectors
