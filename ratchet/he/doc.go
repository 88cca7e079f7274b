// Package he implements the header-encryption variant of the Double Ratchet
// (signal.org/docs/specifications/doubleratchet, section 4), for
// applications that design their own protocol. Signal does not use it: its
// sessions run package ratchet's default suite.
//
// Headers are sealed with AES-256-GCM under a header key that serves a
// whole sending chain, so their nonces are random; bodies are sealed with
// AES-256-GCM under a key and nonce derived from the message key. See
// [State] and the comment on its construction. [State.Seal] and
// [State.Open] produce and consume complete messages, which reveal neither
// the ratchet key nor the counters.
//
// The suite shares package ratchet's chain step (KDF_CK), bounds
// ([ratchet.MaxForwardJump], [ratchet.MaxSkippedKeysPerChain],
// [ratchet.MaxReceiverChains]) and errors: Open and Seal return
// [ratchet.ErrInvalidMAC], [ratchet.ErrDuplicateMessage],
// [ratchet.ErrInvalidCiphertext], [ratchet.ErrNoSendingChain],
// [ratchet.ErrCounterOverflow] and [*ratchet.LimitError] values, the
// constructors [ratchet.ErrInvalidKey] and [State.UnmarshalBinary]
// [ratchet.ErrInvalidState], so code that handles both suites matches the
// same sentinels.
//
// # Secrets
//
// A State redacts itself in String and fmt output, and [State.MarshalBinary]
// holds all its secrets. Keys that the package discards are cleared where
// that is possible; Go gives no guarantee that no copy remains, so this is
// best effort. States are not safe for concurrent use.
package he
