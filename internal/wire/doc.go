// Package wire holds the exact byte layouts of Signal's wire messages and
// stored session records, written and read with
// google.golang.org/protobuf/encoding/protowire (no generated code).
//
// The layouts follow libsignal's wire.proto (proto2) and storage.proto
// (proto3). This package knows bytes, field numbers and which fields are
// required; it does no cryptography. Callers compute and check MACs and
// signatures, and validate keys (for example with curve.ParsePublicKey).
//
// # Messages
//
// Every ciphertext message starts with one version byte,
// (message version << 4) | current version:
//
//	SignalMessage                 byte0 || protobuf || MAC (8 bytes)
//	PreKeySignalMessage           byte0 || protobuf (field 4 holds a whole SignalMessage)
//	SenderKeyMessage              0x33  || protobuf || XEdDSA signature (64 bytes)
//	SenderKeyDistributionMessage  0x33  || protobuf
//
// Encoders write fields in field-number order, exactly as libsignal (prost)
// and the official protobuf runtimes do, so an encoding is byte-for-byte the
// one libsignal would produce for the same values. Parsers accept fields in
// any order, skip unknown fields, let the last occurrence of a scalar win
// and merge repeated sub-messages, as protobuf requires. A known field with
// the wrong wire type is an error, as it is in libsignal.
//
// Parsers return the authenticated bytes exactly as received
// (ReceivedSignalMessage.MACInput, ReceivedSenderKeyMessage.SignatureInput):
// verify the MAC or signature over those, never over a re-encoding.
//
// # Records
//
// Record, SessionStructure, Chain and SenderKeyRecord mirror storage.proto.
// (The scannable safety-number payload of fingerprint.proto is package
// fingerprint's Scannable, which reads it with this package's Reader.)
// Encoding follows proto3 rules: zero scalars and empty byte strings are
// omitted, sub-messages are written when their pointer is non-nil (even if
// empty), repeated fields are written in order, every field in number order.
// The same values therefore encode to the bytes libsignal writes, and each
// side parses the other's records.
//
// # Secrets
//
// Types that hold private keys, chain keys or message keys print a
// redacted summary under every fmt verb. The byte slices themselves are
// ordinary memory: clearing them is the caller's (best-effort) business.
//
// # Memory
//
// Parse functions copy their input once and the byte-slice fields of the
// result point into that private copy, each with its capacity capped at its
// length (appending to one never overwrites another). The caller's buffer
// is never retained. Empty byte fields parse as nil. The exceptions are
// ParseRecordDeferred and ParseSessionStructureDeferred, for decoders that
// copy what they keep (the session layer): they do not copy, their results
// alias the input, and they leave the receiving chains' message keys
// encoded for Chain.DecodeMessageKeys. Encoders of many message keys can
// likewise write them without building MessageKeys (Chain.KeyWriter,
// AppendSeedMessageKey).
//
// Encoders are append-style (AppendXxx(dst) returns the extended dst) and
// compute sizes first, so encoding into a buffer with enough capacity does
// not allocate.
package wire
