package vectors

import (
	"bytes"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
)

//go:embed data/*.json
var data embed.FS

// FS returns the embedded vector files (data/*.json), for tests that want the
// raw JSON.
func FS() fs.FS {
	sub, err := fs.Sub(data, "data")
	if err != nil {
		panic(err) // unreachable: the directory is embedded
	}
	return sub
}

// Hex is a byte string that appears in the JSON files as lowercase hex.
type Hex []byte

// UnmarshalJSON decodes a hex string.
func (h *Hex) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("vectors: bad hex %q: %w", s, err)
	}
	*h = d
	return nil
}

// MarshalJSON encodes h as a hex string.
func (h Hex) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(h)) }

// String returns the hex encoding.
func (h Hex) String() string { return hex.EncodeToString(h) }

// Source names where a vector comes from: a repository file and test, or a
// specification section.
type Source struct {
	Repo    string `json:"repo,omitempty"`    // GitHub owner/name
	Commit  string `json:"commit,omitempty"`  // full commit hash
	Ref     string `json:"ref,omitempty"`     // git ref, when the commit is not on the main branch
	Path    string `json:"path,omitempty"`    // file in the repository
	Test    string `json:"test,omitempty"`    // test function(s) in that file
	RFC     string `json:"rfc,omitempty"`     // e.g. "RFC 7748"
	Section string `json:"section,omitempty"` // section of the RFC
	Title   string `json:"title,omitempty"`
	URL     string `json:"url,omitempty"`
}

// String returns a one-line citation.
func (s Source) String() string {
	if s.RFC != "" {
		if s.Section != "" {
			return s.RFC + " section " + s.Section
		}
		return s.RFC
	}
	out := s.Repo
	if s.Commit != "" {
		out += "@" + s.Commit
	}
	if s.Path != "" {
		out += ":" + s.Path
	}
	if s.Test != "" {
		out += " (" + s.Test + ")"
	}
	return out
}

func load(name string, v any) error {
	b, err := data.ReadFile("data/" + name)
	if err != nil {
		return fmt.Errorf("vectors: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("vectors: %s: %w", name, err)
	}
	return nil
}

// CopiedFrom records that a file is a copy of a workspace file.
type CopiedFrom struct {
	Path string `json:"path"`
	Note string `json:"note"`
}

// XEdDSAFile is data/xeddsa.json: XEdDSA and VXEdDSA known answers from the
// libsignal family (libsignal-protocol-c and curve25519-java). See README.md.
type XEdDSAFile struct {
	Description string            `json:"description"`
	CopiedFrom  CopiedFrom        `json:"copied_from"`
	Conventions map[string]string `json:"conventions"`
	XEdDSA      []XEdDSAVector    `json:"xeddsa"`
	VXEdDSA     []VXEdDSAVector   `json:"vxeddsa"`
}

// Scheme names of XEdDSAVector.Scheme.
const (
	// SchemeSignal is the signature libsignal emits: the Edwards sign bit of
	// the signer's key in the top bit of byte 63 (xeddsa.SignBit).
	SchemeSignal = "signal_curve25519_sign"
	// SchemeSpec is the XEdDSA specification's convention (xeddsa.Spec).
	SchemeSpec = "xeddsa_spec"
)

// XEdDSAVector is one XEdDSA known answer.
type XEdDSAVector struct {
	ID        string `json:"id"`
	Source    Source `json:"source"`
	Operation string `json:"operation"` // "sign" (reproduce Signature from Random) or "verify"
	Scheme    string `json:"scheme"`    // SchemeSignal or SchemeSpec; empty for "verify" entries (libsignal's)
	Private   Hex    `json:"private"`
	Public    Hex    `json:"public"`    // 32-byte u, or empty
	Public33  Hex    `json:"public_33"` // 0x05 || u, or empty
	Message   Hex    `json:"message"`
	Random    Hex    `json:"random"` // 64-byte Z for "sign" entries
	Signature Hex    `json:"signature"`
	Valid     *bool  `json:"valid"`
	// NegativeCases says in words which modifications must be rejected.
	NegativeCases string `json:"negative_cases"`
	Note          string `json:"note"`
}

// PublicU returns the 32-byte u-coordinate of the entry's public key.
func (v *XEdDSAVector) PublicU() []byte {
	if len(v.Public33) == 33 {
		return v.Public33[1:]
	}
	return v.Public
}

// VXEdDSAVector is one VXEdDSA known answer.
type VXEdDSAVector struct {
	ID       string `json:"id"`
	Source   Source `json:"source"`
	Private  Hex    `json:"private"`
	Public   Hex    `json:"public"`
	Public33 Hex    `json:"public_33"`
	Message  Hex    `json:"message"`
	// Random is the 32-byte Z, when the source fixed it.
	Random Hex `json:"random"`
	// Signature is the 96-byte signature from the source, when it has one.
	Signature Hex `json:"signature"`
	// SignatureComputedHere is a signature that the source does not print,
	// produced from Private, Message and Random by libsignal-protocol-c.
	SignatureComputedHere Hex    `json:"signature_computed_here"`
	VRF                   Hex    `json:"vrf"`
	NegativeCases         string `json:"negative_cases"`
	Note                  string `json:"note"`
}

// PublicU returns the 32-byte u-coordinate of the entry's public key.
func (v *VXEdDSAVector) PublicU() []byte {
	if len(v.Public33) == 33 {
		return v.Public33[1:]
	}
	return v.Public
}

// ExpectedSignature returns the signature to reproduce from Random: the
// source's, or the one computed here, or nil if the entry has neither.
func (v *VXEdDSAVector) ExpectedSignature() []byte {
	if v.Signature != nil {
		return v.Signature
	}
	return v.SignatureComputedHere
}

// XEdDSA loads data/xeddsa.json.
func XEdDSA() (*XEdDSAFile, error) {
	f := new(XEdDSAFile)
	if err := load("xeddsa.json", f); err != nil {
		return nil, err
	}
	if len(f.XEdDSA) == 0 || len(f.VXEdDSA) == 0 {
		return nil, fmt.Errorf("vectors: xeddsa.json has no entries")
	}
	return f, nil
}

// RFC7748File is data/rfc7748.json: the X25519 known answers of RFC 7748
// sections 5.2 and 6.1.
type RFC7748File struct {
	Description string          `json:"description"`
	Source      Source          `json:"source"`
	ScalarMult  []X25519Vector  `json:"scalar_mult"`
	Iterated    X25519Iterated  `json:"iterated"`
	ECDH        X25519Agreement `json:"ecdh"`
}

// X25519Vector is one X25519(scalar, u) = output answer.
type X25519Vector struct {
	ID      string `json:"id"`
	Section string `json:"section"`
	Scalar  Hex    `json:"scalar"`
	U       Hex    `json:"u"`
	Output  Hex    `json:"output"`
	Note    string `json:"note"`
}

// X25519Iterated is RFC 7748's iterated test: starting from k = u = Start,
// repeat (k, u) = (X25519(k, u), k); after Iterations rounds k is K.
type X25519Iterated struct {
	ID      string `json:"id"`
	Section string `json:"section"`
	Start   Hex    `json:"start"`
	Results []struct {
		Iterations int    `json:"iterations"`
		K          Hex    `json:"k"`
		Note       string `json:"note"`
	} `json:"results"`
}

// X25519Agreement is a two-party X25519 key agreement.
type X25519Agreement struct {
	ID           string `json:"id"`
	Section      string `json:"section"`
	AlicePrivate Hex    `json:"alice_private"`
	AlicePublic  Hex    `json:"alice_public"`
	BobPrivate   Hex    `json:"bob_private"`
	BobPublic    Hex    `json:"bob_public"`
	Shared       Hex    `json:"shared"`
}

// RFC7748 loads data/rfc7748.json.
func RFC7748() (*RFC7748File, error) {
	f := new(RFC7748File)
	if err := load("rfc7748.json", f); err != nil {
		return nil, err
	}
	if len(f.ScalarMult) == 0 || len(f.Iterated.Results) == 0 || f.ECDH.Shared == nil {
		return nil, fmt.Errorf("vectors: rfc7748.json is incomplete")
	}
	return f, nil
}

// RFC8032File is data/rfc8032.json: the Ed25519 tests of RFC 8032 section 7.1.
type RFC8032File struct {
	Description string          `json:"description"`
	Source      Source          `json:"source"`
	Ed25519     []Ed25519Vector `json:"ed25519"`
}

// Ed25519Vector is one Ed25519 known answer. SecretKey is the RFC 8032
// 32-byte private key (crypto/ed25519's seed).
type Ed25519Vector struct {
	ID        string `json:"id"`
	RFCName   string `json:"rfc_name"`
	SecretKey Hex    `json:"secret_key"`
	PublicKey Hex    `json:"public_key"`
	Message   Hex    `json:"message"`
	Signature Hex    `json:"signature"`
}

// RFC8032 loads data/rfc8032.json.
func RFC8032() (*RFC8032File, error) {
	f := new(RFC8032File)
	if err := load("rfc8032.json", f); err != nil {
		return nil, err
	}
	if len(f.Ed25519) == 0 {
		return nil, fmt.Errorf("vectors: rfc8032.json has no entries")
	}
	return f, nil
}

// SignalRatchetFile is data/signal_ratchet.json: X25519 agreement and v3 key
// schedule answers from libsignal-protocol-c's tests. See README.md.
type SignalRatchetFile struct {
	Description string     `json:"description"`
	CopiedFrom  CopiedFrom `json:"copied_from"`
	Source      struct {
		Repo   string   `json:"repo"`
		Commit string   `json:"commit"`
		Paths  []string `json:"paths"`
	} `json:"source"`
	X25519Agreement   SignalAgreement         `json:"x25519_agreement"`
	ChainKeyV3        SignalChainKey          `json:"chain_key_v3"`
	RatchetingSession SignalRatchetingSession `json:"ratcheting_session_v3"`
}

// SignalAgreement is libsignal's X25519 agreement answer. Public keys are in
// the 33-byte wire form (0x05 || u).
type SignalAgreement struct {
	SourceTest    string `json:"source_test"`
	AlicePrivate  Hex    `json:"alice_private"`
	AlicePublic33 Hex    `json:"alice_public_33"`
	BobPrivate    Hex    `json:"bob_private"`
	BobPublic33   Hex    `json:"bob_public_33"`
	SharedSecret  Hex    `json:"shared_secret"`
}

// SignalMessageKeys is one derived message-key triple.
type SignalMessageKeys struct {
	Counter      int    `json:"counter"`
	CipherKey    Hex    `json:"cipher_key"`
	MACKey       Hex    `json:"mac_key"`
	IV           Hex    `json:"iv"`
	NextChainKey Hex    `json:"next_chain_key"` // only in NextMessageKeysComputedHere
	Note         string `json:"note"`
}

// SignalChainKey is the v3 chain-key derivation answer.
type SignalChainKey struct {
	SourceTest   string            `json:"source_test"`
	Construction string            `json:"construction"`
	ChainKey     Hex               `json:"chain_key"`
	Index        int               `json:"index"`
	MessageKeys  SignalMessageKeys `json:"message_keys"`
	NextChainKey Hex               `json:"next_chain_key"`
	// NextMessageKeysComputedHere is not in the source (see its Note).
	NextMessageKeysComputedHere SignalMessageKeys `json:"next_message_keys_computed_here"`
}

// SignalRatchetingSession is the X3DH-to-first-chain-key answer ("ratcheting
// session"). Public keys are 33-byte wire forms. Read the file's notes on
// the unclamped alice_base_private before using it.
type SignalRatchetingSession struct {
	SourceTest                          string `json:"source_test"`
	Construction                        string `json:"construction"`
	BobIdentityPrivate                  Hex    `json:"bob_identity_private"`
	BobIdentityPublic33                 Hex    `json:"bob_identity_public_33"`
	BobSignedPreKeyPrivate              Hex    `json:"bob_signed_prekey_private"`
	BobSignedPreKeyPublic33             Hex    `json:"bob_signed_prekey_public_33"`
	BobRatchetPrivate                   Hex    `json:"bob_ratchet_private"`
	BobRatchetPublic33                  Hex    `json:"bob_ratchet_public_33"`
	BobRatchetNote                      string `json:"bob_ratchet_note"`
	AliceIdentityPrivate                Hex    `json:"alice_identity_private"`
	AliceIdentityPublic33               Hex    `json:"alice_identity_public_33"`
	AliceBasePrivate                    Hex    `json:"alice_base_private"`
	AliceBasePublic33                   Hex    `json:"alice_base_public_33"`
	AliceBaseNote                       string `json:"alice_base_note"`
	ExpectedBobSenderChainKey           Hex    `json:"expected_bob_sender_chain_key"`
	ExpectedAliceReceiverChainUnclamped Hex    `json:"expected_alice_receiver_chain_key_unclamped_x25519"`
	ExpectedAliceReceiverChainRFC7748   Hex    `json:"expected_alice_receiver_chain_key_rfc7748_x25519"`
	RFC7748Note                         string `json:"rfc7748_note"`
	RootKeyComputedHere                 Hex    `json:"root_key_computed_here"`
	RootKeyNote                         string `json:"root_key_note"`
}

// SignalRatchet loads data/signal_ratchet.json.
func SignalRatchet() (*SignalRatchetFile, error) {
	f := new(SignalRatchetFile)
	if err := load("signal_ratchet.json", f); err != nil {
		return nil, err
	}
	if f.X25519Agreement.SharedSecret == nil || f.ChainKeyV3.ChainKey == nil {
		return nil, fmt.Errorf("vectors: signal_ratchet.json is incomplete")
	}
	return f, nil
}
