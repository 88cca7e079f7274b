// Package x3dh implements the key agreements that start a Signal session:
// X3DH (session version 3) and PQXDH (version 4), byte for byte as libsignal
// and its relatives run them, plus the general form of both from the
// specifications (signal.org/docs/specifications/x3dh and .../pqxdh).
//
// # Roles
//
// Bob publishes a Bundle: his identity key, a SignedPreKey, optionally a
// OneTimePreKey and, for PQXDH, a KEMPreKey, each prekey signed with XEdDSA by
// his identity key. Alice fetches the bundle and calls Initiate, which
// verifies both signatures, makes a fresh base key, and returns the
// SessionKeys together with the Message she sends in her first (PreKey)
// message. Bob looks up the prekeys that message names and calls Respond,
// which checks Alice's values and derives the same SessionKeys.
//
// # Key schedule
//
//	secret = 0xFF×32 || DH(IK_A, SPK_B) || DH(EK_A, IK_B) || DH(EK_A, SPK_B)
//	         [|| DH(EK_A, OPK_B)] [|| KEM shared secret]           (V4 only)
//	okm    = HKDF-SHA256(salt = 32 zero bytes, ikm = secret, info)
//
// V3 uses info InfoV3 ("WhisperText") and 64 bytes: root key, chain key.
// V4 uses info InfoV4 ("WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024") and
// 96 bytes: root key, chain key, SPQR authentication key. V4 works with
// Kyber1024 prekeys (what Signal uses) and with MLKEM1024 prekeys; see V4 for
// the info string of the latter.
//
// The chain key is Bob's first sending chain key, with his signed prekey as
// his first ratchet key. Alice's first step in the Double Ratchet (a fresh
// ratchet key and a DH ratchet step against Bob's signed prekey) belongs to
// the ratchet layer, not to this package.
//
// # Generic form
//
// [Generic] runs the same handshake in the specifications' general form,
// for applications that build their own protocol on it: a chosen hash
// (SHA-256 or SHA-512) and info string, output SK and AD instead of
// Signal's session keys. It takes the same [Bundle], [Message] and
// [ResponderKeys] and makes the same checks, so it lives here rather than
// in a package of its own, which would have to re-export or wrap all of
// them. Its VerifySignedPreKey hook lets a protocol that signs prekeys
// another way keep every other check: XEP-0384's OMEMO 2 (package omemo)
// publishes Ed25519 identity keys and signs the prekey's 32-byte u with
// Ed25519.
//
// # Checks
//
// Every rejection wraps one sentinel error, matchable with errors.Is:
// ErrBadSignedPreKeySignature and ErrBadKEMSignature for bundles;
// ErrInvalidBaseKey (a base key that is not canonical or has torsion),
// curve.ErrZeroSharedSecret (any all-zero Diffie-Hellman output),
// ErrMissingKEMPreKey, ErrKEMCiphertextLength, ErrKEMCiphertextType,
// ErrUnknownKEMType and ErrUnexpectedKEM for the responder; see errors.go for
// the rest.
//
// # Randomness
//
// The API takes no randomness source: keys come from crypto/rand. Known-answer
// tests and vector generators fix the base key and the KEM randomness through
// package x3dh/x3dhtest, which is kept apart the way crypto/mlkem/mlkemtest is.
//
// Secrets never appear in String or fmt output. Nothing here promises to
// erase memory; intermediate secrets are cleared on a best-effort basis.
package x3dh
