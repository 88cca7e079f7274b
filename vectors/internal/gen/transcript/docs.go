package main

// The conventions, error names and flags the files document.

var conventions = map[string]string{
	"keys":            "Curve25519 private keys are 32 bytes before RFC 7748 clamping; public keys are 0x05 || u (33 bytes). kem_prekey_seed is the 64-byte ML-KEM seed d || z (an ML-KEM-1024 key pair is also a round-3 Kyber1024 key pair); kem_prekey_public and kem_ciphertext carry the type byte (0x08 Kyber1024, 0x0A ML-KEM-1024).",
	"random_draws":    "Every random draw is listed: alice.base_key and alice.kem_m (the handshake), alice.ratchet_keys[0] (drawn right after the handshake, her first ratchet key), and each further ratchet key that a party draws when it receives a message on a new ratchet key of the peer (a DH ratchet step; event.draws_ratchet_key gives its index). Bob's first ratchet key is his signed prekey. kem_m is the message m of FIPS 203 ML-KEM.Encaps_internal for both KEM types (for round-3 Kyber1024, m = SHA3-256(coins); the coins are not known, so a Kyber implementation that only takes coins cannot reproduce Alice's first message but can decrypt it). Prekey signatures are XEdDSA (libsignal's sign-bit convention) with the listed 64-byte Z.",
	"draw_seeds":      "The draws are ChaCha8 streams (C2SP chacha8rand, Go's math/rand/v2 ChaCha8, key = LE64(seed) || 24 zero bytes): base_key || kem_m (v4) || ratchet_keys[0] are the first 64 or 96 bytes of the stream of alice.handshake_draw_seed, and every other ratchet key is the first 32 bytes of the stream of its draw_seed. In a Go test, testing/cryptotest.SetGlobalRandom(t, seed) before the call that draws makes crypto/rand yield exactly these bytes. Other implementations use the listed keys directly.",
	"handshake":       "X3DH (v3) / PQXDH (v4) as in pqxdh.json: secret = 0xFF*32 || DH(IK_A, SPK_B) || DH(EK_A, IK_B) || DH(EK_A, SPK_B) [|| DH(EK_A, OPK_B)] [|| KEM shared secret]; HKDF-SHA256(salt none, info WhisperText or WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024) -> root_key || chain_key [|| auth_key].",
	"ratchet":         "Signal's Double Ratchet: Alice starts with (root, sending chain) = KDF_RK(root_key, DH(ratchet_keys[0], SPK_B)) and a receiving chain for SPK_B at chain_key; Bob starts with sending chain chain_key on SPK_B. KDF_RK = HKDF-SHA256(salt root, ikm DH, info WhisperRatchet, 64) -> root || chain. Chain step: seed = HMAC-SHA256(CK, 0x01), next CK = HMAC-SHA256(CK, 0x02). Message keys = HKDF-SHA256(salt none, seed, WhisperMessageKeys, 80) -> cipher_key || mac_key || iv. A receive on a new ratchet key: receiving chain from DH(current sending key, theirs), then a new ratchet key is drawn and the sending chain comes from DH(new key, theirs); previous_counter becomes (old sending index) - 1, at least 0. At most 5 receiving chains are kept.",
	"messages":        "body is the whole serialized message. SignalMessage (type 2): byte0 = version<<4 | version (0x33 or 0x44), protobuf {1 ratchet_key, 2 counter, 3 previous_counter, 4 AES-256-CBC/PKCS#7 ciphertext}, then HMAC-SHA256(mac_key, sender identity || receiver identity || byte0 || protobuf)[:8]. PreKeySignalMessage (type 3), sent by Alice until she has received a message: byte0 || {1 one-time prekey id (if any), 2 base key, 3 identity key, 4 SignalMessage, 5 registration id, 6 signed prekey id, 7 KEM prekey id, 8 KEM ciphertext}. Fields in number order, counters written even when 0. cipher_key, mac_key, iv are given for debugging.",
	"events":          "Replay the events in order: send (the sender's implementation, given the listed draws, should produce body byte for byte; a receive-only replay skips sends) and receive (decrypt body; the plaintext must be the listed one). Delivery is out of order in some transcripts (flags shuffled, reversed, held_back).",
	"invalid":         "Each invalid message is offered to party just before event before_event (before_event = number of events: after the last one). It must fail with error and must not change the party's session: the events that follow still succeed.",
	"invalid_bundles": "Bob's bundle with the listed fields replaced; an initiator must refuse it (error bad_signature) and build no session.",
	"spqr":            "not_applicable (v3), or absent: v4 transcripts carry no SPQR (no SignalMessage field 5; the message-key salt is empty, as in v3). Current libsignal requires SPQR (minimum version V1) and refuses these sessions, and so does this project's session layer since it runs SPQR: the v4 transcripts check PQXDH, the Double Ratchet and the v4 wire layout below the session layer, and that a session layer requiring SPQR refuses them. Transcripts with SPQR need an independent SPQR generator, which does not exist yet.",
	"ids":             "registration ids, device ids (1) and prekey ids are listed; names (alice, bob) are the addresses each side uses for the other.",
	"skipped_keys":    "The skipped_keys_bound transcript: Alice sends one message, Bob one, then Alice a chain of 2,005 (v3) or 2,003 (v4) messages with empty plaintexts. Bob receives counter 0, then (v3) counters 2000, 2002 and 2004 (jumps of at most 2,000, which libsignal-protocol-c and python-axolotl require) or (v4) counter 2002, so that 2,001 keys are skipped; at most 2,000 skipped keys are kept per chain (libsignal's MAX_MESSAGE_KEYS), so the oldest, counter 1, is evicted. That message is marked undelivered: it is offered as an invalid message (flag evicted_key) and must fail as a duplicate (libsignal: DuplicatedMessage, 'message with old counter'); every other skipped counter then decrypts. In v4 SPQR's chain has trimmed the same index (it keeps keys whose index + 2000 >= its newest), but libsignal looks the Double Ratchet key up first. cipher_key, mac_key and iv are omitted for most of the chain's messages (size).",
}

var errorNames = map[string]string{
	"bad_mac":                "the message does not authenticate (SignalMessage MAC, or a ciphertext the MAC covers).",
	"truncated":              "the message ends early (cannot be parsed, or what remains does not authenticate).",
	"legacy_version":         "message version (high nibble of byte 0) below 3.",
	"unknown_version":        "message version above 4.",
	"wrong_version":          "a supported version that is not the session's.",
	"counter_too_far":        "the counter is more than 25000 (MAX_FORWARD_JUMPS) ahead of the receiving chain; the MAC is valid.",
	"duplicate_message":      "the message was already decrypted.",
	"receiver_chain_dropped": "a new, correctly MACed message on a peer ratchet key whose receiving chain was dropped (at most 5 receiving chains are kept); an implementation that keeps no record of dropped chains sees an unauthenticated DH ratchet step.",
	"bad_base_key":           "the PreKey message's base key is not a valid public key (small order, not canonical).",
	"bad_kem_ciphertext":     "the KEM ciphertext has the wrong length or type byte.",
	"missing_kem":            "a v4 PreKey message without KEM prekey id and ciphertext.",
	"bad_signature":          "a prekey signature in the bundle does not verify.",
}

var flagDocs = map[string]string{
	"one_way": "only Alice sends.", "ping_pong": "one message per turn.", "bursts": "several messages per turn.",
	"alice_twice": "Alice sends two turns in a row (still PreKey messages).", "long_chain": "40 messages on one chain.",
	"many_turns": "more than five DH ratchet steps: old receiving chains are dropped.",
	"in_order":   "messages received in the order sent.", "shuffled": "each turn received in a shuffled order.",
	"reversed": "each turn received in reverse order.", "held_back": "the first message of each turn arrives only after the first message of the sender's next turn (or at the end).",
	"one_time_prekey": "Bob's bundle has a one-time prekey.", "no_one_time_prekey": "no one-time prekey.",
	"modified_mac": "a bit of the MAC flipped.", "modified_ciphertext": "a bit of the ciphertext flipped.",
	"truncated": "bytes removed from the end.", "counter_past_limit": "counter = next index + 25001.",
	"duplicate": "a replay.", "modified_signature": "a bit of the signed-prekey signature flipped.",
	"wrong_key": "another key under the signature.", "modified_kem_signature": "a bit of the KEM prekey signature flipped.",
	"modified_kem_key": "a bit of the KEM prekey flipped.", "kem_ciphertext_length": "KEM ciphertext one byte short or long.",
	"kem_ciphertext_type": "KEM ciphertext with the other type byte, or without one.", "kem_missing": "no KEM fields.",
	"receiver_chain_dropped": "a message on a receiving chain the party no longer holds.",
	"legacy_version":         "byte 0 set to 0x23 (message version 2).", "unknown_version": "byte 0 set to 0x53 (message version 5).",
	"wrong_version":      "a SignalMessage of the other supported version (0x44 in a v3 session, 0x33 in v4), correctly MACed.",
	"bad_base_key":       "the PreKey message's base key replaced by u = 0, u = 1, u = p + 9 (non-canonical) or the genuine key with bit 255 set.",
	"skipped_keys_bound": "a chain of more than 2,000 messages from Alice after one exchange (see conventions.skipped_keys).",
	"evict":              "the long chain is received so that 2,001 keys are skipped and the oldest is evicted (see conventions.skipped_keys).",
	"evicted_key":        "the message whose key the receiver evicted (more than 2,000 skipped keys on its chain): refused as a duplicate.",
}

// v4Conventions replace or add conventions in the v4 file (the v3 file
// keeps the base texts).
var v4Conventions = map[string]string{
	"random_draws": "Every random draw is listed: alice.base_key and alice.kem_m (the handshake), alice.ratchet_keys[0] (drawn right after the handshake, her first ratchet key), each further ratchet key that a party draws when it receives a message on a new ratchet key of the peer (a DH ratchet step; event.draws_ratchet_key gives its index), and SPQR's draws on send: an ML-KEM-768 key-generation seed d || z (64 bytes) when the sender's Braid leaves KeysUnsampled, or an encapsulation message m (32 bytes) when it leaves HeaderReceived (message spqr.draw, event draw_seed). Bob's first ratchet key is his signed prekey. kem_m is the message m of FIPS 203 ML-KEM.Encaps_internal for both KEM types (for round-3 Kyber1024, m = SHA3-256(coins); the coins are not known, so a Kyber implementation that only takes coins cannot reproduce Alice's first message but can decrypt it). Prekey signatures are XEdDSA (libsignal's sign-bit convention) with the listed 64-byte Z. Sends draw only SPQR randomness, receives only ratchet keys.",
	"draw_seeds":   "The draws are ChaCha8 streams (C2SP chacha8rand, Go's math/rand/v2 ChaCha8, key = LE64(seed) || 24 zero bytes): base_key || kem_m || ratchet_keys[0] are the first 96 bytes of the stream of alice.handshake_draw_seed, every other ratchet key is the first 32 bytes of the stream of its draw_seed, and an SPQR draw is the first 64 or 32 bytes of the stream of its send event's draw_seed. In a Go test, testing/cryptotest.SetGlobalRandom(t, seed) before the call that draws (ProcessBundle, the Decrypt of a receive with draws_ratchet_key, the Encrypt of a send with draw_seed) makes crypto/rand yield exactly these bytes. Other implementations use the listed keys and draws directly.",
	"messages":     "body is the whole serialized message. SignalMessage (type 2): byte0 = 0x44, protobuf {1 ratchet_key, 2 counter, 3 previous_counter, 4 AES-256-CBC/PKCS#7 ciphertext, 5 SPQR message (spqr.message)}, then HMAC-SHA256(mac_key, sender identity || receiver identity || byte0 || protobuf)[:8] (the MAC covers field 5). Message keys = HKDF-SHA256(salt = spqr.key, seed, WhisperMessageKeys, 80). PreKeySignalMessage (type 3), sent by Alice until she has received a message: byte0 || {1 one-time prekey id (if any), 2 base key, 3 identity key, 4 SignalMessage, 5 registration id, 6 signed prekey id, 7 KEM prekey id, 8 KEM ciphertext}. Fields in number order, counters written even when 0. cipher_key, mac_key, iv are given for debugging.",
	"spqr":         "v1: every v4 transcript runs SPQR v1 (the ML-KEM Braid with its chain, signal.org/docs/specifications/mlkembraid), as libsignal >= 0.92 does (version V1, minimum version V1). Alice starts in KeysUnsampled (she sends the ML-KEM-768 encapsulation key), Bob in NoHeaderReceived, both in epoch 1, with the handshake's auth_key. Each message's spqr object lists: message (field 5: 0x01 || varint epoch || varint index || type byte (0 None, 1 Hdr, 2 Ek, 3 EkCt1Ack, 4 Ct1Ack, 5 Ct1, 6 Ct2) || for chunk types varint chunk index || 32-byte chunk), key (the 32-byte message key, the salt of the message-key HKDF), epoch, index, type, chunk_index, sender_state (the sender's Braid state after sending), draw (its random draw, if any) and epoch_secret (the new epoch's secret when this send encapsulated). Receive events list spqr_state (the receiver's Braid state after it) and spqr_epoch_secret when the receive completed an epoch (decapsulation). Chunks: the header rho || SHA3-256(ek) with its 32-byte MAC (96 bytes), ek's 1152-byte vector t, ct1 (960 bytes) and ct2 with its MAC (160 bytes), Reed-Solomon coded over GF(2^16) (x^16 + x^12 + x^3 + x + 1) in 32-byte chunks (chunk c = the 16 interleaved polynomials at x = c; the first chunks are the data). spqr_final gives both Braids' epochs and states after the last event and how many messages of each type were sent. bob_first_send_event is the index of Bob's first send event (len(events) if none): the events before it are a one-way prefix (Alice sends, Bob receives) that a receive-only Bob can replay. The SPQR values come from the generators' own SPQR (vectors/internal/gen/internal/pqr, standard library only).",
	"events":       "Replay the events in order: send (the sender's implementation, given the listed draws, should produce body byte for byte; a receive-only replay skips sends) and receive (decrypt body; the plaintext must be the listed one). Delivery is out of order in some transcripts (flags shuffled, reversed, held_back). A receive-only Bob (an implementation whose randomness cannot be set) replays the events before bob_first_send_event.",
}

var v4Errors = map[string]string{
	"spqr_missing":   "a v4 SignalMessage without the SPQR field (field 5 removed, MAC unchanged): SPQR refuses it (minimum version V1 while negotiating, version mismatch after) before the MAC is checked.",
	"spqr_epoch":     "the SPQR message names an epoch two past the receiver's Braid epoch (MAC unchanged): SPQR refuses it (epoch out of range).",
	"spqr_malformed": "the SPQR field does not parse (a chunk one byte short; MAC unchanged).",
}

var v4Flags = map[string]string{
	"long_one_way": "50 messages from Alice before Bob's first send.", "long_one_way_twice": "Alice sends two turns of 24 before Bob's first send.",
	"epochs":         "40 exchanges of three messages each way: SPQR completes two epochs and starts a third.",
	"modified_spqr":  "a bit of the SPQR chunk flipped, or the SPQR index changed; SPQR accepts it, the MAC (which covers field 5) fails.",
	"spqr_malformed": "the SPQR field cut by one byte.", "spqr_epoch": "the SPQR epoch set two past the receiver's.",
	"spqr_unknown_version": "the SPQR field's version byte set to 2: SPQR ignores a message of a newer version (no key), so the message keys are unsalted and the MAC fails.",
	"spqr_missing":         "SignalMessage field 5 removed.",
	"spqr_trimmed":         "a replay whose SPQR index is more than 2,000 behind the receiver's SPQR chain: SPQR has trimmed it, the Double Ratchet knows it as used; libsignal checks the latter first and reports a duplicate.",
}
