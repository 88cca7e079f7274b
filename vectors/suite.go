package vectors

import "fmt"

// Results of a generated vector ("result" in the JSON).
const (
	// Valid vectors must be accepted (and reproduced where they say so).
	Valid = "valid"
	// Invalid vectors must be rejected with the vector's Error.
	Invalid = "invalid"
	// Acceptable vectors may be accepted or rejected (with Error); their
	// flag says why (Wycheproof's "acceptable").
	Acceptable = "acceptable"
)

// Error names of invalid vectors ("error" in the JSON). They are stable
// strings; an implementation maps each to its own error (several names may
// map to one coarse error).
const (
	ErrNameBadSignature     = "bad_signature"      // a signature does not verify
	ErrNameBadMAC           = "bad_mac"            // a message does not authenticate
	ErrNameTruncated        = "truncated"          // a message ends early
	ErrNameLegacyVersion    = "legacy_version"     // message version below 3
	ErrNameUnknownVersion   = "unknown_version"    // message version above 4
	ErrNameWrongVersion     = "wrong_version"      // a known version that is not the session's
	ErrNameCounterTooFar    = "counter_too_far"    // counter more than 25,000 ahead of its chain
	ErrNameDuplicateMessage = "duplicate_message"  // the message was decrypted before
	ErrNameBadBaseKey       = "bad_base_key"       // invalid base key in a PreKey message
	ErrNameBadKEMCiphertext = "bad_kem_ciphertext" // KEM ciphertext of the wrong length or type
	ErrNameMissingKEM       = "missing_kem"        // v4 PreKey message without KEM fields
	// ErrNameReceiverChainDropped: a message on a receiving chain that was
	// dropped (at most 5 are kept).
	ErrNameReceiverChainDropped = "receiver_chain_dropped"
	// ErrNameSPQRMissing: a v4 SignalMessage without its SPQR field (SPQR
	// refuses it: minimum version V1, or version mismatch after
	// negotiation).
	ErrNameSPQRMissing = "spqr_missing"
	// ErrNameSPQREpoch: an SPQR message of an epoch the receiver cannot
	// handle (epoch out of range).
	ErrNameSPQREpoch = "spqr_epoch"
	// ErrNameSPQRMalformed: an SPQR field that does not parse.
	ErrNameSPQRMalformed = "spqr_malformed"
)

// SuiteHeader is the envelope every generated family file shares.
type SuiteHeader struct {
	// Family names the file's family: "xeddsa", "ratchet_kdf",
	// "transcript".
	Family string `json:"family"`
	// FormatVersion is 1; it changes only for incompatible changes.
	FormatVersion int    `json:"format_version"`
	Description   string `json:"description"`
	Source        string `json:"source"`
	// Conventions defines every field, in the file itself.
	Conventions map[string]string `json:"conventions"`
	// Flags explains each flag used by the file's vectors.
	Flags map[string]string `json:"flags"`
	// NumberOfVectors counts every vector, NumberInvalid the invalid ones
	// and NumberAcceptable those that may be accepted or rejected.
	NumberOfVectors  int `json:"number_of_vectors"`
	NumberInvalid    int `json:"number_invalid"`
	NumberAcceptable int `json:"number_acceptable"`
}

// --- xeddsa_suite.json ---

// XEdDSASuiteFile is data/xeddsa_suite.json: generated XEdDSA (both
// conventions) and VXEdDSA signatures with fixed Z, and invalid signatures.
type XEdDSASuiteFile struct {
	SuiteHeader
	Vectors []SignatureVector `json:"vectors"`
}

// Conventions of an XEdDSA SignatureVector.
const (
	// ConventionSignBit is libsignal's: the Edwards sign bit of the
	// signer's key in the top bit of signature byte 63.
	ConventionSignBit = "signal_sign_bit"
	// ConventionSpec is the specification's calculate_key_pair.
	ConventionSpec = "spec"
)

// SignatureVector is one XEdDSA or VXEdDSA test. Field names follow the
// specification's symbols.
type SignatureVector struct {
	ID         int    `json:"id"`
	Name       string `json:"name"`
	Scheme     string `json:"scheme"`     // "xeddsa" or "vxeddsa"
	Convention string `json:"convention"` // xeddsa: ConventionSignBit or ConventionSpec
	// Operation is "sign" (reproduce Signature and V from K, M and Z, then
	// verify) or "verify".
	Operation string `json:"operation"`
	K         Hex    `json:"k"` // raw X25519 private key (nil for verify-only vectors)
	U         Hex    `json:"u"` // X25519 public key, 32 bytes
	M         Hex    `json:"M"`
	Z         Hex    `json:"Z"` // 64 bytes (XEdDSA) or 32 (VXEdDSA)
	// Intermediates, for debugging.
	A  Hex `json:"A"` // Edwards public key (VXEdDSA: K)
	R  Hex `json:"R"`
	H  Hex `json:"h"`
	S  Hex `json:"s"`
	Bv Hex `json:"Bv"`
	Kv Hex `json:"Kv"`
	Rv Hex `json:"Rv"`

	Signature Hex      `json:"signature"`
	V         Hex      `json:"V"` // VXEdDSA output
	Result    string   `json:"result"`
	Flags     []string `json:"flags"`
	Error     string   `json:"error"`
}

// XEdDSASuite loads data/xeddsa_suite.json.
func XEdDSASuite() (*XEdDSASuiteFile, error) {
	f := new(XEdDSASuiteFile)
	if err := loadSuite("xeddsa_suite.json", "xeddsa", f, &f.SuiteHeader, func() int { return len(f.Vectors) }); err != nil {
		return nil, err
	}
	return f, nil
}

// --- ratchet_kdf.json ---

// RatchetKDFFile is data/ratchet_kdf.json: Signal's Double Ratchet KDF
// chains (root steps and message chains) over many steps.
type RatchetKDFFile struct {
	SuiteHeader
	RootChains    []RootChain    `json:"root_chains"`
	MessageChains []MessageChain `json:"message_chains"`
}

// RootChain is a sequence of KDF_RK steps along one conversation.
type RootChain struct {
	Name           string     `json:"name"`
	InitialRootKey Hex        `json:"initial_root_key"`
	Steps          []RootStep `json:"steps"`
}

// RootStep is (RootKey, ChainKey) = KDF_RK(PreviousRootKey,
// DH(OurRatchetPrivate, TheirRatchetPublic)).
type RootStep struct {
	ID                 int    `json:"id"`
	Step               int    `json:"step"`
	PreviousRootKey    Hex    `json:"previous_root_key"`
	OurRatchetPrivate  Hex    `json:"our_ratchet_private"`
	OurRatchetPublic   Hex    `json:"our_ratchet_public"`
	TheirRatchetPublic Hex    `json:"their_ratchet_public"`
	DH                 Hex    `json:"dh"`
	RootKey            Hex    `json:"root_key"`
	ChainKey           Hex    `json:"chain_key"`
	Result             string `json:"result"`
}

// MessageChain is one chain followed from index 0.
type MessageChain struct {
	Name   string      `json:"name"`
	Salted bool        `json:"salted"`
	Steps  []ChainStep `json:"steps"`
}

// ChainStep is message key Index of a chain, with a check ciphertext.
type ChainStep struct {
	ID         int    `json:"id"`
	Index      uint32 `json:"index"`
	ChainKey   Hex    `json:"chain_key"`
	Seed       Hex    `json:"seed"`
	Salt       Hex    `json:"salt"` // nil: no salt
	CipherKey  Hex    `json:"cipher_key"`
	MACKey     Hex    `json:"mac_key"`
	IV         Hex    `json:"iv"`
	Plaintext  Hex    `json:"plaintext"`
	Ciphertext Hex    `json:"ciphertext"`
	MAC        Hex    `json:"mac"` // HMAC-SHA256(MACKey, Ciphertext), 32 bytes
	Result     string `json:"result"`
}

// RatchetKDF loads data/ratchet_kdf.json.
func RatchetKDF() (*RatchetKDFFile, error) {
	f := new(RatchetKDFFile)
	count := func() int {
		n := 0
		for _, c := range f.RootChains {
			n += len(c.Steps)
		}
		for _, c := range f.MessageChains {
			n += len(c.Steps)
		}
		return n
	}
	if err := loadSuite("ratchet_kdf.json", "ratchet_kdf", f, &f.SuiteHeader, count); err != nil {
		return nil, err
	}
	return f, nil
}

// --- transcript_v3.json, transcript_v4.json ---

// TranscriptFile is data/transcript_v3.json or transcript_v4.json: whole
// sessions on the wire with every key and random draw, and invalid messages
// and bundles.
type TranscriptFile struct {
	SuiteHeader
	// Version is the session version of every transcript in the file.
	Version int `json:"version"`
	// Errors explains each error name used by the file.
	Errors      map[string]string `json:"errors"`
	Transcripts []Transcript      `json:"transcripts"`
}

// KeyPair is a Curve25519 key pair: Private is 32 bytes before clamping,
// Public is 0x05 || u.
type KeyPair struct {
	Private Hex `json:"private"`
	Public  Hex `json:"public"`
	// DrawSeed, for a drawn ratchet key, is the ChaCha8 seed whose stream
	// starts with Private (see the file's draw_seeds convention).
	DrawSeed *uint64 `json:"draw_seed"`
}

// TranscriptAlice is the initiator's keys and random draws.
type TranscriptAlice struct {
	RegistrationID uint32  `json:"registration_id"`
	DeviceID       uint32  `json:"device_id"`
	Name           string  `json:"name"`
	Identity       KeyPair `json:"identity"`
	// HandshakeDrawSeed is the ChaCha8 seed whose stream is BaseKey.Private
	// || KEMM (v4) || RatchetKeys[0].Private. In a Go test,
	// testing/cryptotest.SetGlobalRandom(t, seed) makes crypto/rand yield it.
	HandshakeDrawSeed uint64  `json:"handshake_draw_seed"`
	BaseKey           KeyPair `json:"base_key"`
	// KEMM is the encapsulation's message m (FIPS 203 Encaps_internal) for
	// both KEM types (v4).
	KEMM Hex `json:"kem_m"`
	// RatchetKeys are her ratchet keys in the order she draws them.
	RatchetKeys []KeyPair `json:"ratchet_keys"`
}

// TranscriptBob is the responder's keys, bundle and random draws.
type TranscriptBob struct {
	RegistrationID        uint32   `json:"registration_id"`
	DeviceID              uint32   `json:"device_id"`
	Name                  string   `json:"name"`
	Identity              KeyPair  `json:"identity"`
	SignedPreKeyID        uint32   `json:"signed_prekey_id"`
	SignedPreKey          KeyPair  `json:"signed_prekey"`
	SignedPreKeyZ         Hex      `json:"signed_prekey_signature_Z"`
	SignedPreKeySignature Hex      `json:"signed_prekey_signature"`
	OneTimePreKeyID       *uint32  `json:"one_time_prekey_id"`
	OneTimePreKey         *KeyPair `json:"one_time_prekey"`
	KEMPreKeyID           *uint32  `json:"kem_prekey_id"`
	KEMPreKeySeed         Hex      `json:"kem_prekey_seed"`
	KEMPreKeyPublic       Hex      `json:"kem_prekey_public"`
	KEMPreKeyZ            Hex      `json:"kem_prekey_signature_Z"`
	KEMPreKeySignature    Hex      `json:"kem_prekey_signature"`
	// RatchetKeys are his ratchet keys in the order he draws them (his
	// first ratchet key is the signed prekey, not listed here).
	RatchetKeys []KeyPair `json:"ratchet_keys"`
}

// TranscriptHandshake is the key agreement's result.
type TranscriptHandshake struct {
	KEMCiphertext   Hex `json:"kem_ciphertext"`
	KEMSharedSecret Hex `json:"kem_shared_secret"`
	Secret          Hex `json:"secret"`
	RootKey         Hex `json:"root_key"`
	ChainKey        Hex `json:"chain_key"`
	AuthKey         Hex `json:"auth_key"`
}

// TranscriptMessage is one message as sent.
type TranscriptMessage struct {
	ID              int    `json:"id"`
	Sender          string `json:"sender"` // "alice" or "bob"
	Type            int    `json:"type"`   // 2 SignalMessage, 3 PreKeySignalMessage
	RatchetKey      Hex    `json:"ratchet_key"`
	Counter         uint32 `json:"counter"`
	PreviousCounter uint32 `json:"previous_counter"`
	Plaintext       Hex    `json:"plaintext"`
	CipherKey       Hex    `json:"cipher_key"`
	MACKey          Hex    `json:"mac_key"`
	IV              Hex    `json:"iv"`
	Body            Hex    `json:"body"`
	Result          string `json:"result"`
	// Undelivered marks a message that is sent but never decrypted: in the
	// skipped-keys sessions, the one whose key the receiver evicted (it is
	// offered as an invalid message, flag "evicted_key", instead).
	Undelivered bool `json:"undelivered"`
	// SPQR is the message's SPQR part (v4; nil in v3).
	SPQR *TranscriptSPQR `json:"spqr"`
}

// TranscriptSPQR is what SPQR v1 contributed to a v4 message.
type TranscriptSPQR struct {
	// Message is SignalMessage field 5.
	Message Hex `json:"message"`
	// Key is the 32-byte SPQR message key: the salt of the message-key HKDF.
	Key Hex `json:"key"`
	// Epoch, Index, Type ("None", "Hdr", "Ek", "EkCt1Ack", "Ct1Ack", "Ct1",
	// "Ct2") and ChunkIndex are Message parsed.
	Epoch      uint64  `json:"epoch"`
	Index      uint32  `json:"index"`
	Type       string  `json:"type"`
	ChunkIndex *uint16 `json:"chunk_index"`
	// SenderState is the sender's Braid state after sending.
	SenderState string `json:"sender_state"`
	// Draw is the send's random draw, if any.
	Draw *TranscriptSPQRDraw `json:"draw"`
	// EpochSecret is the new epoch's secret when this send encapsulated.
	EpochSecret *TranscriptEpochSecret `json:"epoch_secret"`
}

// TranscriptSPQRDraw is an SPQR send's random draw: Kind
// "mlkem768_keygen_seed" (64 bytes d || z) or "mlkem768_encaps_m" (32
// bytes), the start of the ChaCha8 stream of DrawSeed.
type TranscriptSPQRDraw struct {
	Kind     string `json:"kind"`
	Bytes    Hex    `json:"bytes"`
	DrawSeed uint64 `json:"draw_seed"`
}

// TranscriptEpochSecret is a new SPQR epoch's secret.
type TranscriptEpochSecret struct {
	Epoch  uint64 `json:"epoch"`
	Secret Hex    `json:"secret"`
}

// TranscriptEvent is one replay step.
type TranscriptEvent struct {
	Op      string `json:"op"`    // "send" or "receive"
	Party   string `json:"party"` // who acts
	Message int    `json:"message"`
	// DrawsRatchetKey is, for a receive that performs a DH ratchet step,
	// the index in the receiver's RatchetKeys of the key it draws.
	DrawsRatchetKey *int `json:"draws_ratchet_key"`
	// DrawSeed is, for a v4 send whose SPQR draws randomness, the ChaCha8
	// seed of that draw (the message's SPQR.Draw).
	DrawSeed *uint64 `json:"draw_seed"`
	// SPQRState is the receiver's Braid state after a v4 receive, and
	// SPQREpochSecret the epoch secret the receive completed, if any.
	SPQRState       string                 `json:"spqr_state"`
	SPQREpochSecret *TranscriptEpochSecret `json:"spqr_epoch_secret"`
}

// TranscriptInvalid is an invalid message offered to Party before event
// BeforeEvent; it must fail with Error and leave the session unchanged.
type TranscriptInvalid struct {
	ID          int      `json:"id"`
	Name        string   `json:"name"`
	BeforeEvent int      `json:"before_event"`
	Party       string   `json:"party"`
	Type        int      `json:"type"`
	Body        Hex      `json:"body"`
	Result      string   `json:"result"`
	Flags       []string `json:"flags"`
	Error       string   `json:"error"`
}

// TranscriptInvalidBundle is Bob's bundle with fields replaced; an
// initiator must refuse it.
type TranscriptInvalidBundle struct {
	ID                    int      `json:"id"`
	Name                  string   `json:"name"`
	SignedPreKey          Hex      `json:"signed_prekey"`
	SignedPreKeySignature Hex      `json:"signed_prekey_signature"`
	KEMPreKeyPublic       Hex      `json:"kem_prekey_public"`
	KEMPreKeySignature    Hex      `json:"kem_prekey_signature"`
	Result                string   `json:"result"`
	Flags                 []string `json:"flags"`
	Error                 string   `json:"error"`
}

// Transcript is one whole session.
type Transcript struct {
	ID      int    `json:"id"`
	Name    string `json:"name"`
	Version int    `json:"version"`
	KEM     string `json:"kem"` // "Kyber1024", "ML-KEM-1024" or "" (v3)
	// SPQR is "not_applicable" (v3) or "v1" (v4 with SPQR v1).
	SPQR  string   `json:"spqr"`
	Flags []string `json:"flags"`
	// BobFirstSendEvent (v4) is the index in Events of Bob's first send,
	// len(Events) if he never sends: the events before it are the one-way
	// prefix (Alice sends, Bob receives) that a receive-only Bob replays.
	BobFirstSendEvent *int `json:"bob_first_send_event"`
	// SPQRFinal (v4) is both parties' SPQR state after the last event.
	SPQRFinal      *TranscriptSPQRFinal      `json:"spqr_final"`
	Alice          TranscriptAlice           `json:"alice"`
	Bob            TranscriptBob             `json:"bob"`
	Handshake      TranscriptHandshake       `json:"handshake"`
	Messages       []TranscriptMessage       `json:"messages"`
	Events         []TranscriptEvent         `json:"events"`
	Invalid        []TranscriptInvalid       `json:"invalid"`
	InvalidBundles []TranscriptInvalidBundle `json:"invalid_bundles"`
}

// TranscriptSPQRFinal is both Braids' epoch and state, and the newest
// epoch mixed into each chain, after a transcript's last event, with the
// number of SPQR messages of each type sent.
type TranscriptSPQRFinal struct {
	AliceEpoch      uint64         `json:"alice_epoch"`
	AliceState      string         `json:"alice_state"`
	AliceChainEpoch uint64         `json:"alice_chain_epoch"`
	BobEpoch        uint64         `json:"bob_epoch"`
	BobState        string         `json:"bob_state"`
	BobChainEpoch   uint64         `json:"bob_chain_epoch"`
	MessageTypes    map[string]int `json:"message_types"`
}

// Transcripts loads data/transcript_v3.json (version 3) or
// data/transcript_v4.json (version 4).
func Transcripts(version int) (*TranscriptFile, error) {
	if version != 3 && version != 4 {
		return nil, fmt.Errorf("vectors: no transcripts of version %d", version)
	}
	f := new(TranscriptFile)
	count := func() int {
		n := 0
		for _, t := range f.Transcripts {
			n += len(t.Messages) + len(t.Invalid) + len(t.InvalidBundles)
		}
		return n
	}
	name := fmt.Sprintf("transcript_v%d.json", version)
	if err := loadSuite(name, "transcript", f, &f.SuiteHeader, count); err != nil {
		return nil, err
	}
	if f.Version != version {
		return nil, fmt.Errorf("vectors: %s says version %d", name, f.Version)
	}
	return f, nil
}

// loadSuite loads a generated family file and checks its envelope and its
// vector count.
func loadSuite(name, family string, v any, h *SuiteHeader, count func() int) error {
	if err := load(name, v); err != nil {
		return err
	}
	if h.Family != family || h.FormatVersion != 1 {
		return fmt.Errorf("vectors: %s: family %q format %d, want %q format 1", name, h.Family, h.FormatVersion, family)
	}
	if n := count(); n == 0 || n != h.NumberOfVectors {
		return fmt.Errorf("vectors: %s: %d vectors, header says %d", name, n, h.NumberOfVectors)
	}
	return nil
}
