// Command omemo writes vectors/data/omemo2.json: OMEMO 2 (XEP-0384 0.8,
// namespace urn:xmpp:omemo:2) known answers. The key schedule (X3DH with
// Ed25519 identity keys and the "OMEMO X3DH" info, the root and message
// chain KDFs, message keys, AES-256-CBC with a 16-byte truncated HMAC), the
// payload layer ("OMEMO Payload"), the protobuf encodings, whole sessions
// on the wire (key exchanges, empty messages, out-of-order delivery,
// messages held back across DH steps, the 1,000-key skip limit) with every
// key and random draw listed, and invalid messages and bundles, each with
// the error it must cause and the rule that refusing it changes nothing.
//
// Written from XEP-0384 (and the XEdDSA/X3DH/Double Ratchet specifications
// it cites) with Go standard-library primitives only: crypto/ecdh,
// crypto/ed25519, crypto/hkdf, crypto/hmac, crypto/aes, crypto/sha512,
// math/big (the Ed25519-to-X25519 map), math/rand/v2 (ChaCha8 draws). It
// imports none of the packages the vectors check. python-omemo (Debian
// python3-omemo 1.0.2 / python3-twomemo 1.0.3) decrypts these sessions and
// re-creates their messages byte for byte in interop/omemo_test.go.
//
// Usage (from vectors/, through go generate): go run ./internal/gen/omemo -o data/omemo2.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
)

func main() {
	out := flag.String("o", "", "output file")
	flag.Parse()
	if *out == "" {
		log.Fatal("-o is required")
	}
	if err := os.WriteFile(*out, generate(), 0o644); err != nil {
		log.Fatal(err)
	}
}

// File is the whole vector file.
type File struct {
	Family           string            `json:"family"`
	FormatVersion    int               `json:"format_version"`
	Description      string            `json:"description"`
	Source           string            `json:"source"`
	Conventions      map[string]string `json:"conventions"`
	Errors           map[string]string `json:"errors"`
	Flags            map[string]string `json:"flags"`
	NumberOfVectors  int               `json:"number_of_vectors"`
	NumberInvalid    int               `json:"number_invalid"`
	NumberAcceptable int               `json:"number_acceptable"`
	RootSteps        []RootStep        `json:"root_steps"`
	ChainSteps       []ChainStep       `json:"chain_steps"`
	Payloads         []PayloadVector   `json:"payloads"`
	Protobuf         []ProtoVector     `json:"protobuf"`
	Sessions         []Session         `json:"sessions"`
}

// RootStep is one KDF_RK step.
type RootStep struct {
	ID                 string `json:"id"`
	PreviousRootKey    string `json:"previous_root_key"`
	OurRatchetPrivate  string `json:"our_ratchet_private"`
	OurRatchetPublic   string `json:"our_ratchet_public"`
	TheirRatchetPublic string `json:"their_ratchet_public"`
	DHOutput           string `json:"dh"`
	RootKey            string `json:"root_key"`
	ChainKey           string `json:"chain_key"`
}

// ChainStep is one KDF_CK step with its message keys.
type ChainStep struct {
	ID           string `json:"id"`
	Index        int    `json:"index"`
	ChainKey     string `json:"chain_key"`
	MessageKey   string `json:"message_key"`
	NextChainKey string `json:"next_chain_key"`
	EncKey       string `json:"enc_key"`
	AuthKey      string `json:"auth_key"`
	IV           string `json:"iv"`
}

// PayloadVector is one payload encryption.
type PayloadVector struct {
	ID string `json:"id"`
	Payload
	KeyMaterial string `json:"key_material"`
}

// ProtoVector is one protobuf encoding.
type ProtoVector struct {
	ID      string         `json:"id"`
	Message string         `json:"message"`
	Fields  map[string]any `json:"fields"`
	Bytes   string         `json:"bytes"`
}

var conventions = map[string]string{
	"bytes":           "Byte strings are lowercase hex. X25519 keys (prekeys, ephemeral and ratchet keys) are raw 32-byte u-coordinates, private keys 32 bytes before RFC 7748 clamping. Identity keys are Ed25519: identity_seed is the RFC 8032 seed, identity_key the 32-byte public key (the wire form), identity_scalar the clamped SHA-512(seed)[0:32] that is also the X25519 private key, identity_x25519 = u = (1+y)/(1-y) mod p of identity_key.",
	"x3dh":            "handshake: DH1 = DH(IK_A, SPK_B), DH2 = DH(EK_A, IK_B), DH3 = DH(EK_A, SPK_B), DH4 = DH(EK_A, OPK_B) (identity keys through their X25519 form); ikm = 0xFF*32 || DH1 || DH2 || DH3 || DH4; sk = HKDF-SHA-256(salt = 32 zero bytes, ikm, info \"OMEMO X3DH\", 32); ad = IK_A || IK_B (Ed25519 forms, initiator first), the same AD for messages in both directions. The signed prekey signature is Ed25519 (RFC 8032, deterministic) by the identity key over the 32-byte SPK public key.",
	"root_steps":      "(root_key, chain_key) = HKDF-SHA-256(salt = previous_root_key, ikm = dh = X25519(our_ratchet_private, their_ratchet_public), info \"OMEMO Root Chain\", 64) split 32/32, along a conversation of alternating ratchet keys. In a session, the initial root key of a session is sk. Initiator: first ratchet key R_A, sending chain from DH(R_A, SPK_B). Responder: its first ratchet key is SPK_B; receiving chain from DH(SPK_B, R_A), then a drawn R_B and sending chain from DH(R_B, R_A).",
	"chain_steps":     "message_key = HMAC-SHA-256(chain_key, 0x01), next_chain_key = HMAC-SHA-256(chain_key, 0x02); enc_key || auth_key || iv = HKDF-SHA-256(salt = 32 zero bytes, ikm = message_key, info \"OMEMO Message Key Material\", 80).",
	"messages":        "omemo_message = OMEMOMessage{1 n, 2 pn, 3 dh_pub, 4 ciphertext = AES-256-CBC(enc_key, iv, PKCS#7(key_material))}; mac = HMAC-SHA-256(auth_key, ad || omemo_message)[0:16]; authenticated_message = OMEMOAuthenticatedMessage{1 mac, 2 omemo_message}; key_exchange = OMEMOKeyExchange{1 pk_id, 2 spk_id, 3 ik, 4 ek, 5 authenticated_message}. key is the <key> element's content (key_exchange when kex, else authenticated_message); xml the whole <encrypted> element for one recipient device. n counts from 0 in each sending chain; pn is the NUMBER of messages sent in the sender's previous sending chain. Fields are written in field-number order; uint32 fields always, even when 0.",
	"key_material":    "The ratchet plaintext: payload key (32) || payload tag (16) = 48 bytes; for an empty OMEMO message (no <payload>, e.g. python-omemo's key-exchange completion and heartbeat) 32 zero bytes.",
	"payloads":        "enc_key || auth_key || iv = HKDF-SHA-256(salt = 32 zero bytes, ikm = key, info \"OMEMO Payload\", 80); ciphertext = AES-256-CBC(enc_key, iv, PKCS#7(plaintext)); tag = HMAC-SHA-256(auth_key, ciphertext)[0:16].",
	"sessions":        "alice initiates with bob's bundle (bundle_xml). events is the replay order: send (the message is produced by its sender) or receive (the other party decrypts it). The initiator attaches the key exchange to every message until it has decrypted one from the responder (python-omemo's behaviour, allowed by the XEP); the responder must accept repeated key exchanges that build the same session. undelivered_before = k: the sender first sends k messages of the same chain that are never delivered (their content and draws are not listed); the listed message then makes the receiver skip k keys (k = 1000 is the limit, valid).",
	"draws":           "draw_seed is a ChaCha8 seed: the operation's random bytes are the start of math/rand/v2 ChaCha8 keyed with LE64(draw_seed) || 24 zero bytes, i.e. what crypto/rand yields in a Go test after testing/cryptotest.SetGlobalRandom(t, draw_seed). draws lists them in order: a send draws payload_key (32, non-empty messages only), then on the initiator's first send ephemeral_key (32) and ratchet_key (32); a receive that performs a DH ratchet step (dh_step) draws ratchet_key (32). ratchet_keys of a device lists every ratchet private key it draws, in order.",
	"invalid":         "invalid[] are messages offered to party just before events[before_event]; each must be refused with error and must change nothing (no session created, no prekey consumed, no message key skipped or used, no ratchet step), so that the events after it still replay as listed. payload is the <payload> content offered with it, if any.",
	"invalid_bundles": "Bundles of bob that alice must refuse before any session exists.",
	"result":          "valid, invalid (must be refused) or acceptable (either is conforming).",
}

var errorNames = map[string]string{
	"bad_mac":               "the message's truncated HMAC does not verify",
	"malformed":             "the <key> content, OMEMOAuthenticatedMessage, OMEMOMessage or OMEMOKeyExchange does not parse as the XEP's protobuf (a required field missing, truncation, a key of the wrong length)",
	"duplicate_message":     "the message key was used already",
	"too_many_skipped":      "reaching the message would skip more than 1,000 message keys",
	"identity_mismatch":     "the key exchange names another identity key than the sender's known one (a receiver that does not know it yet fails with bad_mac: the identity enters the X3DH and the AD)",
	"unknown_prekey":        "the key exchange names a one-time prekey the receiver does not hold",
	"unknown_signed_prekey": "the key exchange names a signed prekey the receiver does not hold",
	"bad_payload_mac":       "the payload's truncated HMAC does not verify",
	"bad_padding":           "the payload decrypts to invalid PKCS#7 padding (its HMAC is valid)",
	"bad_signature":         "the bundle's signed prekey signature does not verify",
}

var flagDocs = map[string]string{
	"modified_mac":                     "one bit of the 16-byte mac flipped",
	"modified_ciphertext":              "one bit of the OMEMOMessage ciphertext flipped, mac unchanged",
	"modified_counter":                 "n + 1, re-encoded, mac unchanged",
	"modified_dh_pub":                  "another valid ratchet key, mac unchanged",
	"truncated":                        "the last bytes cut off",
	"missing_mac":                      "OMEMOAuthenticatedMessage without field 1",
	"short_mac":                        "an 8-byte mac (the first 8 bytes of the right one)",
	"missing_dh_pub":                   "OMEMOMessage without its required field 3",
	"dh_pub_33_bytes":                  "dh_pub with OMEMO 0.3's 0x05 prefix",
	"valid_mac":                        "the mac is correct for the (malformed) bytes",
	"valid_payload_mac":                "the payload tag is correct",
	"counter_too_far":                  "n is 1,001 past the receiver's next expected message of that chain",
	"empty_key":                        "an empty <key> element",
	"modified_payload":                 "genuine key, one bit of the payload flipped",
	"bad_padding":                      "the payload's last plaintext byte is 0x11",
	"kex":                              "a key-exchange (kex=\"true\") message",
	"other_identity":                   "ik replaced by another valid Ed25519 key",
	"unknown_prekey_id":                "pk_id + 100000",
	"unknown_signed_prekey_id":         "spk_id + 100000",
	"modified_ek":                      "another valid ephemeral key",
	"short_ek":                         "a 31-byte ek",
	"missing_message":                  "OMEMOKeyExchange without field 5",
	"garbage":                          "40 arbitrary bytes",
	"replay":                           "a message the party decrypted before",
	"modified_signature":               "one bit of the signed prekey signature flipped",
	"signature_by_other_identity":      "signed by another identity key",
	"signature_over_0x05_prefixed_key": "signed over 0x05 || SPK (OMEMO 0.3's encoding) instead of the raw 32 bytes",
}

func generate() []byte {
	f := File{
		Family:        "omemo2",
		FormatVersion: 1,
		Description:   "OMEMO 2 (XEP-0384 0.8, urn:xmpp:omemo:2): key schedule, payload layer, protobuf encodings and whole sessions on the wire with every key and random draw, plus invalid messages and bundles with their expected errors.",
		Source:        "Generated by vectors/internal/gen/omemo from XEP-0384 0.8 with Go standard-library primitives; not from any library's code. Cross-checked live against python-omemo 1.0.2 / twomemo 1.0.3 (interop/omemo_test.go). Regenerate with go generate in vectors/.",
		Conventions:   conventions,
		Errors:        errorNames,
		Flags:         flagDocs,
	}
	count := 0
	invalid := 0

	// Root chain along a conversation of alternating ratchet keys.
	rk := fixed("root initial", 32)
	keys := []x25519Key{x25519FromRaw(fixed("root ratchet 0", 32))}
	for i := 1; i <= 20; i++ {
		keys = append(keys, x25519FromRaw(fixed(fmt.Sprintf("root ratchet %d", i), 32)))
		d := dh(keys[i], keys[i-1].pub)
		root, chain := kdfRK(rk, d)
		f.RootSteps = append(f.RootSteps, RootStep{ID: fmt.Sprintf("root-%d", i), PreviousRootKey: x(rk),
			OurRatchetPrivate: x(keys[i].raw), OurRatchetPublic: x(keys[i].pub), TheirRatchetPublic: x(keys[i-1].pub),
			DHOutput: x(d), RootKey: x(root), ChainKey: x(chain)})
		rk = root
		count++
	}
	// One message chain from a fixed key.
	ck := fixed("chain initial", 32)
	for i := range 40 {
		next, mk := kdfCK(ck)
		enc, auth, iv := messageKeys(mk)
		f.ChainSteps = append(f.ChainSteps, ChainStep{ID: fmt.Sprintf("chain-%d", i), Index: i, ChainKey: x(ck), MessageKey: x(mk), NextChainKey: x(next), EncKey: x(enc), AuthKey: x(auth), IV: x(iv)})
		ck = next
		count++
	}
	for i, n := range []int{0, 1, 15, 16, 17, 64, 255, 1000} {
		key := fixed(fmt.Sprintf("payload key %d", i), 32)
		pt := fixed(fmt.Sprintf("payload plaintext %d", i), n)
		p, _, tag := makePayload(key, pt)
		f.Payloads = append(f.Payloads, PayloadVector{ID: fmt.Sprintf("payload-%d", i), Payload: p, KeyMaterial: x(append(key, tag...))})
		count++
	}
	f.Protobuf = protoVectors()
	count += len(f.Protobuf)

	for _, sc := range scripts() {
		t := newSess(sc.id, &invalid)
		sc.run(t)
		s := t.result(sc.desc)
		if sc.bundles {
			s.InvalidBundles = t.bundleInvalids()
		}
		count += len(s.Messages)
		f.Sessions = append(f.Sessions, s)
	}
	f.NumberOfVectors = count + invalid
	f.NumberInvalid = invalid
	out, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		log.Fatal(err)
	}
	return append(out, '\n')
}

func protoVectors() []ProtoVector {
	dhPub := x25519FromRaw(fixed("proto dh", 32)).pub
	ct := fixed("proto ct", 48)
	mac := fixed("proto mac", 16)
	ik := newIdentity("proto").edPub
	ek := x25519FromRaw(fixed("proto ek", 32)).pub
	om := omemoMessage(0, 0, dhPub, ct)
	am := authenticatedMessage(mac, om)
	return []ProtoVector{
		{ID: "proto-1", Message: "OMEMOMessage", Fields: map[string]any{"n": 0, "pn": 0, "dh_pub": x(dhPub), "ciphertext": x(ct)}, Bytes: x(om)},
		{ID: "proto-2", Message: "OMEMOMessage", Fields: map[string]any{"n": 300, "pn": 4294967295, "dh_pub": x(dhPub), "ciphertext": x(ct)}, Bytes: x(omemoMessage(300, 4294967295, dhPub, ct))},
		{ID: "proto-3", Message: "OMEMOMessage", Fields: map[string]any{"n": 5, "pn": 127, "dh_pub": x(dhPub)}, Bytes: x(omemoMessage(5, 127, dhPub, nil))},
		{ID: "proto-4", Message: "OMEMOAuthenticatedMessage", Fields: map[string]any{"mac": x(mac), "message": x(om)}, Bytes: x(am)},
		{ID: "proto-5", Message: "OMEMOKeyExchange", Fields: map[string]any{"pk_id": 1, "spk_id": 2147483647, "ik": x(ik), "ek": x(ek), "message": x(am)}, Bytes: x(keyExchange(1, 2147483647, ik, ek, am))},
	}
}
