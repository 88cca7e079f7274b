package main

import (
	"encoding/json"
	"log"
	"strings"

	"github.com/forwardsecret/signal/vectors/internal/gen/internal/pqr"
)

// The JSON form of the transcript files.

// KeyJSON is a Curve25519 key pair: 32-byte private key before clamping,
// 33-byte public key 0x05 || u.
type KeyJSON struct {
	Private  string  `json:"private"`
	Public   string  `json:"public"`
	DrawSeed *uint64 `json:"draw_seed,omitempty"`
}

// Alice is the initiator's keys and random draws.
type Alice struct {
	RegistrationID uint32  `json:"registration_id"`
	DeviceID       uint32  `json:"device_id"`
	Name           string  `json:"name"`
	Identity       KeyJSON `json:"identity"`
	// HandshakeDrawSeed: base_key, kem_m (v4) and ratchet_keys[0] are
	// the consecutive 32-byte blocks of chacha8Stream(HandshakeDrawSeed).
	HandshakeDrawSeed uint64    `json:"handshake_draw_seed"`
	BaseKey           KeyJSON   `json:"base_key"`
	KEMM              string    `json:"kem_m,omitempty"`
	RatchetKeys       []KeyJSON `json:"ratchet_keys"`
}

// Bob is the responder's keys, bundle and random draws.
type Bob struct {
	RegistrationID        uint32    `json:"registration_id"`
	DeviceID              uint32    `json:"device_id"`
	Name                  string    `json:"name"`
	Identity              KeyJSON   `json:"identity"`
	SignedPreKeyID        uint32    `json:"signed_prekey_id"`
	SignedPreKey          KeyJSON   `json:"signed_prekey"`
	SignedPreKeyZ         string    `json:"signed_prekey_signature_Z"`
	SignedPreKeySignature string    `json:"signed_prekey_signature"`
	OneTimePreKeyID       *uint32   `json:"one_time_prekey_id,omitempty"`
	OneTimePreKey         *KeyJSON  `json:"one_time_prekey,omitempty"`
	KEMPreKeyID           *uint32   `json:"kem_prekey_id,omitempty"`
	KEMPreKeySeed         string    `json:"kem_prekey_seed,omitempty"`
	KEMPreKeyPublic       string    `json:"kem_prekey_public,omitempty"`
	KEMPreKeyZ            string    `json:"kem_prekey_signature_Z,omitempty"`
	KEMPreKeySignature    string    `json:"kem_prekey_signature,omitempty"`
	RatchetKeys           []KeyJSON `json:"ratchet_keys"`
}

// Handshake is the key agreement's result.
type Handshake struct {
	KEMCiphertext   string `json:"kem_ciphertext,omitempty"`
	KEMSharedSecret string `json:"kem_shared_secret,omitempty"`
	Secret          string `json:"secret"`
	RootKey         string `json:"root_key"`
	ChainKey        string `json:"chain_key"`
	AuthKey         string `json:"auth_key,omitempty"`
}

// Message is one message as sent.
type Message struct {
	ID              int    `json:"id"`
	Sender          string `json:"sender"`
	Type            int    `json:"type"`
	RatchetKey      string `json:"ratchet_key"`
	Counter         uint32 `json:"counter"`
	PreviousCounter uint32 `json:"previous_counter"`
	Plaintext       string `json:"plaintext"`
	CipherKey       string `json:"cipher_key,omitempty"` // omitted in the skipped-keys turn (size)
	MACKey          string `json:"mac_key,omitempty"`
	IV              string `json:"iv,omitempty"`
	Body            string `json:"body"`
	Result          string `json:"result"`
	// Undelivered marks the one message of the skipped-keys session that is
	// never decrypted: its key was evicted (it is offered as an invalid
	// message instead).
	Undelivered bool `json:"undelivered,omitempty"`
	// SPQR is the message's SPQR part (v4).
	SPQR *MessageSPQR `json:"spqr,omitempty"`
}

// MessageSPQR is what SPQR contributed to a message: the SignalMessage
// field 5 bytes, the 32-byte message key that salts the message keys, the
// parsed header, the sender's Braid state after sending, and the random
// draw or epoch secret of this send if any.
type MessageSPQR struct {
	Message     string       `json:"message"`
	Key         string       `json:"key"`
	Epoch       uint64       `json:"epoch"`
	Index       uint32       `json:"index"`
	Type        string       `json:"type"`
	ChunkIndex  *uint16      `json:"chunk_index,omitempty"`
	SenderState string       `json:"sender_state"`
	Draw        *SPQRDraw    `json:"draw,omitempty"`
	EpochSecret *EpochSecret `json:"epoch_secret,omitempty"`
}

// SPQRDraw is a random draw of an SPQR send: the ML-KEM-768 key-generation
// seed d || z (64 bytes) or the encapsulation message m (32 bytes), the
// first bytes of the ChaCha8 stream of DrawSeed.
type SPQRDraw struct {
	Kind     string `json:"kind"`
	Bytes    string `json:"bytes"`
	DrawSeed uint64 `json:"draw_seed"`
}

// EpochSecret is a new SPQR epoch's secret, mixed into the chain.
type EpochSecret struct {
	Epoch  uint64 `json:"epoch"`
	Secret string `json:"secret"`
}

// Event is one step of the replay: a party sends a message (its bytes are
// Messages[Message]) or receives one. A receive that performs a DH ratchet
// step draws the receiver's next ratchet key: DrawsRatchetKey is its index in
// the receiver's ratchet_keys.
type Event struct {
	Op              string `json:"op"` // "send" or "receive"
	Party           string `json:"party"`
	Message         int    `json:"message"`
	DrawsRatchetKey *int   `json:"draws_ratchet_key,omitempty"`
	// DrawSeed, on a send that draws SPQR randomness, is the ChaCha8 seed
	// of the draw (the message's spqr.draw).
	DrawSeed *uint64 `json:"draw_seed,omitempty"`
	// SPQRState is the receiver's Braid state after a receive (v4), and
	// SPQREpochSecret the epoch secret the receive completed, if any.
	SPQRState       string       `json:"spqr_state,omitempty"`
	SPQREpochSecret *EpochSecret `json:"spqr_epoch_secret,omitempty"`
}

// Invalid is an invalid message offered to Party just before event
// BeforeEvent; it must fail with Error and leave the session unchanged.
type Invalid struct {
	ID          int      `json:"id"`
	Name        string   `json:"name"`
	BeforeEvent int      `json:"before_event"`
	Party       string   `json:"party"`
	Type        int      `json:"type"`
	Body        string   `json:"body"`
	Result      string   `json:"result"`
	Flags       []string `json:"flags"`
	Error       string   `json:"error"`
	Comment     string   `json:"comment,omitempty"`
}

// InvalidBundle is Bob's bundle with one field changed; processing it must
// fail with Error.
type InvalidBundle struct {
	ID                    int      `json:"id"`
	Name                  string   `json:"name"`
	SignedPreKey          string   `json:"signed_prekey"`
	SignedPreKeySignature string   `json:"signed_prekey_signature"`
	KEMPreKeyPublic       string   `json:"kem_prekey_public,omitempty"`
	KEMPreKeySignature    string   `json:"kem_prekey_signature,omitempty"`
	Result                string   `json:"result"`
	Flags                 []string `json:"flags"`
	Error                 string   `json:"error"`
}

// Transcript is one whole session.
type Transcript struct {
	ID      int      `json:"id"`
	Name    string   `json:"name"`
	Version int      `json:"version"`
	KEM     string   `json:"kem,omitempty"`
	SPQR    string   `json:"spqr"`
	Flags   []string `json:"flags"`
	// BobFirstSendEvent (v4) is the index in events of Bob's first send
	// (len(events) if he never sends): events before it are Alice's sends
	// and Bob's receives only, the one-way prefix.
	BobFirstSendEvent *int `json:"bob_first_send_event,omitempty"`
	// SPQRFinal (v4) is both Braids' epochs and states after the last event.
	SPQRFinal      *SPQRFinal      `json:"spqr_final,omitempty"`
	Alice          Alice           `json:"alice"`
	Bob            Bob             `json:"bob"`
	Handshake      Handshake       `json:"handshake"`
	Messages       []Message       `json:"messages"`
	Events         []Event         `json:"events"`
	Invalid        []Invalid       `json:"invalid"`
	InvalidBundles []InvalidBundle `json:"invalid_bundles"`
}

// SPQRFinal is the parties' SPQR state after the last event: Braid epoch
// and state, and the newest epoch mixed into the chain.
type SPQRFinal struct {
	AliceEpoch      uint64         `json:"alice_epoch"`
	AliceState      string         `json:"alice_state"`
	AliceChainEpoch uint64         `json:"alice_chain_epoch"`
	BobEpoch        uint64         `json:"bob_epoch"`
	BobState        string         `json:"bob_state"`
	BobChainEpoch   uint64         `json:"bob_chain_epoch"`
	MessageTypes    map[string]int `json:"message_types"`
}

// File is the whole of a transcript file.
type File struct {
	Family           string            `json:"family"`
	FormatVersion    int               `json:"format_version"`
	Version          int               `json:"version"`
	Description      string            `json:"description"`
	Source           string            `json:"source"`
	Conventions      map[string]string `json:"conventions"`
	Errors           map[string]string `json:"errors"`
	Flags            map[string]string `json:"flags"`
	NumberOfVectors  int               `json:"number_of_vectors"`
	NumberInvalid    int               `json:"number_invalid"`
	NumberAcceptable int               `json:"number_acceptable"`
	Transcripts      []Transcript      `json:"transcripts"`
}

func spqrJSON(pq *spqrSend) *MessageSPQR {
	m := pq.info.Message
	j := &MessageSPQR{Message: x(pq.msg), Key: x(pq.key), Epoch: m.Epoch, Index: m.Index, Type: m.Type.String(), SenderState: pq.info.Phase.String()}
	if m.Type != pqr.TypeNone && m.Type != pqr.TypeCt1Ack {
		ci := m.Chunk.Index
		j.ChunkIndex = &ci
	}
	if pq.info.Drawn != nil {
		kind := "mlkem768_keygen_seed"
		if len(pq.info.Drawn) == pqr.EncapsRandSize {
			kind = "mlkem768_encaps_m"
		}
		j.Draw = &SPQRDraw{Kind: kind, Bytes: x(pq.info.Drawn), DrawSeed: pq.seed}
	}
	if es := pq.info.Secret; es != nil {
		j.EpochSecret = &EpochSecret{Epoch: es.Epoch, Secret: x(es.Secret)}
	}
	return j
}

// encodeCompactLists writes f like json.MarshalIndent(f, "", " "), except
// that each element of a transcript's messages, events, invalid and
// invalid_bundles is one compact line: the v4 file stays under 6 MB and
// line-oriented.
func encodeCompactLists(f File) []byte {
	mustJSON := func(v any, indent bool) []byte {
		var b []byte
		var err error
		if indent {
			b, err = json.MarshalIndent(v, "", " ")
		} else {
			b, err = json.Marshal(v)
		}
		if err != nil {
			log.Fatal(err)
		}
		return b
	}
	lines := func(prefix string, n int, elem func(i int) any) string {
		if n == 0 {
			return "[]"
		}
		var sb strings.Builder
		sb.WriteString("[\n")
		for i := 0; i < n; i++ {
			sb.WriteString(prefix + " ")
			sb.Write(mustJSON(elem(i), false))
			if i < n-1 {
				sb.WriteByte(',')
			}
			sb.WriteByte('\n')
		}
		sb.WriteString(prefix + "]")
		return sb.String()
	}
	trs := f.Transcripts
	f.Transcripts = nil
	head := string(mustJSON(f, true))
	const placeholder = `"transcripts": null`
	if strings.Count(head, placeholder) != 1 {
		log.Fatal("transcripts placeholder")
	}
	var body strings.Builder
	body.WriteString("[\n")
	for i, t := range trs {
		ms, es, is, bs := t.Messages, t.Events, t.Invalid, t.InvalidBundles
		t.Messages, t.Events, t.Invalid, t.InvalidBundles = nil, nil, nil, nil
		tj, err := json.MarshalIndent(t, "  ", " ")
		if err != nil {
			log.Fatal(err)
		}
		text := "  " + string(tj)
		for _, r := range []struct {
			key  string
			list string
		}{
			{"messages", lines("   ", len(ms), func(i int) any { return ms[i] })},
			{"events", lines("   ", len(es), func(i int) any { return es[i] })},
			{"invalid", lines("   ", len(is), func(i int) any { return is[i] })},
			{"invalid_bundles", lines("   ", len(bs), func(i int) any { return bs[i] })},
		} {
			ph := `"` + r.key + `": null`
			if strings.Count(text, ph) != 1 {
				log.Fatalf("placeholder %s", ph)
			}
			text = strings.Replace(text, ph, `"`+r.key+`": `+r.list, 1)
		}
		body.WriteString(text)
		if i < len(trs)-1 {
			body.WriteByte(',')
		}
		body.WriteByte('\n')
	}
	body.WriteString(" ]")
	out := strings.Replace(head, placeholder, `"transcripts": `+body.String(), 1)
	var check File
	if err := json.Unmarshal([]byte(out), &check); err != nil || len(check.Transcripts) != len(trs) {
		log.Fatalf("compact encoding does not parse back: %v", err)
	}
	return []byte(out + "\n")
}
