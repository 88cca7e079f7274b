// Command transcript writes vectors/data/transcript_v3.json and
// transcript_v4.json: whole Signal sessions on the wire (X3DH or PQXDH
// handshake, Double Ratchet, SignalMessage and PreKeySignalMessage bytes)
// with every private key and random draw of both parties listed, so that
// another implementation can replay them, plus invalid messages (tampered
// MAC, truncation, wrong versions, counters past the limit, bad base keys,
// bad KEM ciphertexts) and bundles with bad signatures, each with the error
// it must cause.
//
// It is written from the X3DH, PQXDH, Double Ratchet and ML-KEM Braid specifications and
// the wire facts in PROTOCOL.md with standard-library primitives (crypto/ecdh,
// crypto/hkdf, crypto/hmac, crypto/aes, crypto/mlkem + mlkemtest, crypto/sha3)
// and the generators' own XEdDSA (vectors/internal/gen/internal/xed) for the
// prekey signatures; it imports none of the packages the vectors check.
//
// v4 transcripts run SPQR v1 (the sparse post-quantum ratchet) through the
// generators' own implementation, vectors/internal/gen/internal/pqr: every
// SignalMessage carries field 5 and its message keys are salted with the
// SPQR message key, as in libsignal >= 0.92.
//
// Usage (from vectors/): go run ./internal/gen/transcript -v3 data/transcript_v3.json -v4 data/transcript_v4.json
package main

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/mlkem"
	"crypto/mlkem/mlkemtest"
	"crypto/sha256"
	"crypto/sha3"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"maps"
	"math/big"
	"math/rand/v2"
	"os"
	"slices"
	"strings"

	"github.com/forwardsecret/signal/vectors/internal/gen/internal/pqr"
	"github.com/forwardsecret/signal/vectors/internal/gen/internal/xed"
)

// Protocol constants (PROTOCOL.md).
const (
	maxForwardJump    = 25000
	maxReceiverChains = 5
	maxMessageKeys    = 2000 // skipped keys kept per receiving chain; the oldest goes first
	typeSignal        = 2
	typePreKey        = 3
	infoV3            = "WhisperText"
	infoV4            = "WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024"
)

var x = hex.EncodeToString

// fixed returns n deterministic bytes for a label.
func fixed(label string, n int) []byte {
	out := make([]byte, 0, n)
	for i := 0; len(out) < n; i++ {
		h := sha256.Sum256([]byte(fmt.Sprintf("transcript vector %s %d", label, i)))
		out = append(out, h[:]...)
	}
	return out[:n]
}

// ---- primitives ----

type keyPair struct {
	raw  []byte
	priv *ecdh.PrivateKey
	pub  []byte // 33 bytes
}

func newKey(label string) keyPair { return keyFromRaw(fixed(label, 32)) }

// drawSeed is the ChaCha8 seed of one group of random draws (below 2^52, so
// that every JSON reader holds it exactly).
func drawSeed(label string) uint64 {
	h := sha256.Sum256([]byte("transcript draw seed " + label))
	return binary.LittleEndian.Uint64(h[:8]) & (1<<52 - 1)
}

// chacha8Stream returns the first n bytes of math/rand/v2's ChaCha8 (C2SP
// chacha8rand) keyed with the 32-byte seed LE64(seed) || 24 zero bytes:
// exactly what crypto/rand yields in a Go test after
// testing/cryptotest.SetGlobalRandom(t, seed).
func chacha8Stream(seed uint64, n int) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:8], seed)
	b := make([]byte, n)
	rand.NewChaCha8(key).Read(b)
	return b
}

func keyFromRaw(raw []byte) keyPair {
	priv, err := ecdh.X25519().NewPrivateKey(raw)
	if err != nil {
		log.Fatal(err)
	}
	return keyPair{raw: raw, priv: priv, pub: append([]byte{0x05}, priv.PublicKey().Bytes()...)}
}

func (k keyPair) json() KeyJSON { return KeyJSON{Private: x(k.raw), Public: x(k.pub)} }

func (k keyPair) jsonSeed(seed *uint64) KeyJSON {
	j := k.json()
	j.DrawSeed = seed
	return j
}

func dh(a keyPair, pub []byte) []byte {
	p, err := ecdh.X25519().NewPublicKey(pub[1:])
	if err != nil {
		log.Fatal(err)
	}
	s, err := a.priv.ECDH(p)
	if err != nil {
		log.Fatal(err)
	}
	return s
}

func hkdfKey(secret, salt []byte, info string, n int) []byte {
	k, err := hkdf.Key(sha256.New, secret, salt, info, n)
	if err != nil {
		log.Fatal(err)
	}
	return k
}

func hmacSHA256(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// rootStep is the Double Ratchet's KDF_RK in Signal's suite.
func rootStep(root, dhOut []byte) (newRoot, chain []byte) {
	k := hkdfKey(dhOut, root, "WhisperRatchet", 64)
	return k[:32], k[32:]
}

// chainStep returns the message-key seed and the next chain key.
func chainStep(ck []byte) (seed, next []byte) {
	return hmacSHA256(ck, []byte{1}), hmacSHA256(ck, []byte{2})
}

type msgKeys struct{ cipher, mac, iv []byte }

// messageKeys derives the message keys from a chain's seed; salt is the
// SPQR message key (v4) or nil (v3: HKDF's default salt).
func messageKeys(seed, salt []byte) msgKeys {
	k := hkdfKey(seed, salt, "WhisperMessageKeys", 80)
	return msgKeys{k[:32], k[32:64], k[64:80]}
}

func cbcEncrypt(k msgKeys, pt []byte) []byte {
	b, _ := aes.NewCipher(k.cipher)
	n := 16 - len(pt)%16
	buf := append(append([]byte(nil), pt...), bytes.Repeat([]byte{byte(n)}, n)...)
	cipher.NewCBCEncrypter(b, k.iv).CryptBlocks(buf, buf)
	return buf
}

func cbcDecrypt(k msgKeys, ct []byte) ([]byte, error) {
	if len(ct) == 0 || len(ct)%16 != 0 {
		return nil, errors.New("bad ciphertext length")
	}
	b, _ := aes.NewCipher(k.cipher)
	buf := append([]byte(nil), ct...)
	cipher.NewCBCDecrypter(b, k.iv).CryptBlocks(buf, buf)
	n := int(buf[len(buf)-1])
	if n == 0 || n > 16 {
		return nil, errors.New("bad padding")
	}
	return buf[:len(buf)-n], nil
}

// ---- protobuf (proto2 wire format, fields in number order) ----

func pbVarint(b []byte, field int, v uint64) []byte {
	b = binary.AppendUvarint(b, uint64(field<<3)) // wire type 0 (varint)
	return binary.AppendUvarint(b, v)
}

func pbBytes(b []byte, field int, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(field<<3|2))
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// signalMessage returns byte0 || protobuf (without the MAC); pq, if not
// empty, is the SPQR message of field 5.
func signalMessage(version int, ratchetKey []byte, counter, prev uint32, ct, pq []byte) []byte {
	b := []byte{byte(version<<4 | version)}
	b = pbBytes(b, 1, ratchetKey)
	b = pbVarint(b, 2, uint64(counter))
	b = pbVarint(b, 3, uint64(prev))
	b = pbBytes(b, 4, ct)
	if len(pq) > 0 {
		b = pbBytes(b, 5, pq)
	}
	return b
}

type preKeyFields struct {
	version        int
	hasPreKeyID    bool
	preKeyID       uint32
	baseKey        []byte
	identityKey    []byte
	message        []byte
	registrationID uint32
	signedPreKeyID uint32
	kyberID        uint32
	kyberCT        []byte
}

func (f preKeyFields) encode() []byte {
	b := []byte{byte(f.version<<4 | f.version)}
	if f.hasPreKeyID {
		b = pbVarint(b, 1, uint64(f.preKeyID))
	}
	b = pbBytes(b, 2, f.baseKey)
	b = pbBytes(b, 3, f.identityKey)
	b = pbBytes(b, 4, f.message)
	b = pbVarint(b, 5, uint64(f.registrationID))
	b = pbVarint(b, 6, uint64(f.signedPreKeyID))
	if len(f.kyberCT) > 0 {
		b = pbVarint(b, 7, uint64(f.kyberID))
		b = pbBytes(b, 8, f.kyberCT)
	}
	return b
}

// ---- KEM ----

// encapsulate runs the KEM with the message m of ML-KEM.Encaps_internal
// for both types. (Round-3 Kyber computes m = SHA3-256(coins) from its
// random coins; the transcripts give m itself, which is what an
// implementation built on crypto/mlkem draws.)
func encapsulate(kem string, ek *mlkem.EncapsulationKey1024, m []byte) (ct, ss []byte) {
	k, c, err := mlkemtest.Encapsulate1024(ek, m)
	if err != nil {
		log.Fatal(err)
	}
	typ := byte(0x0A)
	if kem == "Kyber1024" {
		typ = 0x08
		hc := sha3.Sum256(c)
		s := sha3.NewSHAKE256()
		s.Write(k)
		s.Write(hc[:])
		k = make([]byte, 32)
		s.Read(k)
	}
	return append([]byte{typ}, c...), k
}

// ---- JSON ----

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

// ---- the two parties ----

type recvChain struct {
	their   []byte
	ck      []byte
	n       uint32
	skipped map[uint32][]byte // seeds
}

type party struct {
	seeds       []*uint64
	name        string
	identity    keyPair
	other       *party
	ratchetPool []keyPair
	drawn       int
	root        []byte
	sendKey     keyPair
	sendCK      []byte
	sendN       uint32
	prev        uint32
	recv        []*recvChain
	pending     *preKeyFields // Alice, until she receives
	version     int
	hasSession  bool
	pq          *pqr.State // v4
	authKey     []byte     // v4: the SPQR auth key of the handshake
	drawLabel   string     // label prefix of the SPQR draw seeds
	sends       int
}

// spqrSend is what one SPQR send produced.
type spqrSend struct {
	msg, key []byte
	info     pqr.SendInfo
	seed     uint64 // draw seed, meaningful when info.Drawn is set
}

// pqSend runs SPQR for the next outgoing message (v4). Randomness comes
// from the ChaCha8 stream of a per-send seed.
func (p *party) pqSend() *spqrSend {
	if p.pq == nil {
		return nil
	}
	seed := drawSeed(fmt.Sprintf("%s spqr send %d", p.drawLabel, p.sends))
	p.sends++
	stream := chacha8Stream(seed, 96)
	used := 0
	msg, key, info, err := p.pq.Send(func(n int) ([]byte, error) {
		b := stream[used : used+n]
		used += n
		return b, nil
	})
	if err != nil {
		log.Fatalf("%s: SPQR send: %v", p.name, err)
	}
	if used != 0 && used != pqr.KeygenSeedSize && used != pqr.EncapsRandSize {
		log.Fatalf("%s: SPQR drew %d bytes", p.name, used)
	}
	return &spqrSend{msg: msg, key: key, info: info, seed: seed}
}

func (p *party) draw() (keyPair, int) {
	k := p.ratchetPool[p.drawn]
	p.drawn++
	return k, p.drawn - 1
}

func (p *party) findRecv(their []byte) *recvChain {
	for _, c := range p.recv {
		if bytes.Equal(c.their, their) {
			return c
		}
	}
	return nil
}

func (p *party) encrypt(pt []byte) (typ int, body []byte, mk msgKeys, counter uint32, pq *spqrSend) {
	pq = p.pqSend()
	var salt, pqMsg []byte
	if pq != nil {
		salt, pqMsg = pq.key, pq.msg
	}
	seed, next := chainStep(p.sendCK)
	mk = messageKeys(seed, salt)
	counter = p.sendN
	p.sendCK, p.sendN = next, p.sendN+1
	ct := cbcEncrypt(mk, pt)
	sm := signalMessage(p.version, p.sendKey.pub, counter, p.prev, ct, pqMsg)
	mac := hmacSHA256(mk.mac, p.identity.pub, p.other.identity.pub, sm)[:8]
	sm = append(sm, mac...)
	if p.pending != nil {
		f := *p.pending
		f.message = sm
		return typePreKey, f.encode(), mk, counter, pq
	}
	return typeSignal, sm, mk, counter, pq
}

// receive decrypts a SignalMessage (already unwrapped), given its fields.
// It returns the plaintext, the index of the ratchet key it drew (or -1)
// and what SPQR reported (v4).
func (p *party) receive(their []byte, counter uint32, sm []byte) ([]byte, int, *pqr.RecvInfo) {
	var salt []byte
	var pqInfo *pqr.RecvInfo
	if p.pq != nil {
		key, info, err := p.pq.Recv(field(sm[:len(sm)-8], 5))
		if err != nil {
			log.Fatalf("%s: SPQR receive: %v", p.name, err)
		}
		salt, pqInfo = key, &info
	}
	drew := -1
	c := p.findRecv(their)
	if c == nil {
		dr1 := dh(p.sendKey, their)
		root, rck := rootStep(p.root, dr1)
		nk, idx := p.draw()
		drew = idx
		root, sck := rootStep(root, dh(nk, their))
		p.root = root
		if p.sendN > 0 {
			p.prev = p.sendN - 1
		} else {
			p.prev = 0
		}
		p.sendKey, p.sendCK, p.sendN = nk, sck, 0
		c = &recvChain{their: their, ck: rck, skipped: map[uint32][]byte{}}
		p.recv = append(p.recv, c)
		if len(p.recv) > maxReceiverChains {
			p.recv = p.recv[1:]
		}
	}
	var seed []byte
	if counter < c.n {
		s, ok := c.skipped[counter]
		if !ok {
			log.Fatalf("%s: no skipped key %d", p.name, counter)
		}
		seed = s
		delete(c.skipped, counter)
	} else {
		for c.n < counter {
			s, next := chainStep(c.ck)
			c.skipped[c.n] = s
			c.ck, c.n = next, c.n+1
			if len(c.skipped) > maxMessageKeys {
				delete(c.skipped, slices.Min(slices.Collect(maps.Keys(c.skipped))))
			}
		}
		s, next := chainStep(c.ck)
		seed = s
		c.ck, c.n = next, c.n+1
	}
	mk := messageKeys(seed, salt)
	body, mac := sm[:len(sm)-8], sm[len(sm)-8:]
	if !hmac.Equal(mac, hmacSHA256(mk.mac, p.other.identity.pub, p.identity.pub, body)[:8]) {
		log.Fatalf("%s: MAC check failed on own transcript", p.name)
	}
	pt, err := cbcDecrypt(mk, field(body, 4))
	if err != nil {
		log.Fatal(err)
	}
	p.pending = nil
	return pt, drew, pqInfo
}

// field returns the value of length-delimited field num of byte0 ||
// protobuf as this generator writes it (nil if absent).
func field(b []byte, num uint64) []byte {
	i := 1
	for i < len(b) {
		tag, n := binary.Uvarint(b[i:])
		i += n
		switch tag & 7 {
		case 0:
			_, n := binary.Uvarint(b[i:])
			i += n
		case 2:
			l, n := binary.Uvarint(b[i:])
			i += n
			if tag>>3 == num {
				return b[i : i+int(l)]
			}
			i += int(l)
		}
	}
	return nil
}

// ---- conversation scripts ----

type turn struct {
	sender string
	count  int
}

type spec struct {
	name     string
	version  int
	kem      string
	oneTime  bool
	turns    []turn
	delivery string // "in_order", "reversed", "shuffled", "held_back", "evict"
	flags    []string
}

func patterns() map[string][]turn {
	return map[string][]turn{
		"one_way":     {{"alice", 12}},
		"ping_pong":   {{"alice", 1}, {"bob", 1}, {"alice", 1}, {"bob", 1}, {"alice", 1}, {"bob", 1}, {"alice", 1}, {"bob", 1}, {"alice", 1}, {"bob", 1}},
		"bursts":      {{"alice", 3}, {"bob", 4}, {"alice", 5}, {"bob", 2}, {"alice", 4}, {"bob", 3}},
		"alice_twice": {{"alice", 2}, {"alice", 3}, {"bob", 2}, {"alice", 2}, {"alice", 1}, {"bob", 1}},
		"long_chain":  {{"alice", 3}, {"bob", 40}, {"alice", 2}},
		"many_turns":  {{"alice", 2}, {"bob", 1}, {"alice", 1}, {"bob", 2}, {"alice", 1}, {"bob", 1}, {"alice", 2}, {"bob", 1}, {"alice", 1}, {"bob", 1}, {"alice", 1}, {"bob", 1}, {"alice", 1}, {"bob", 1}, {"alice", 1}},
		// v4 only (SPQR): a long one-way prefix before Bob's first send,
		// in one turn or two.
		"long_one_way":       {{"alice", 50}, {"bob", 2}, {"alice", 2}, {"bob", 1}},
		"long_one_way_twice": {{"alice", 24}, {"alice", 24}, {"bob", 3}, {"alice", 1}},
		// v4 only: enough traffic for several SPQR epochs.
		"epochs": epochTurns(),
		// Both versions: a chain of 2,005 messages (v3; v4 2,003, see the
		// evict delivery).
		"skipped_keys_bound": {{"alice", 1}, {"bob", 1}, {"alice", maxMessageKeys + 5}},
	}
}

// epochTurns is 40 exchanges of three messages each way.
func epochTurns() []turn {
	var t []turn
	for i := 0; i < 40; i++ {
		t = append(t, turn{"alice", 3}, turn{"bob", 3})
	}
	return t
}

// spqrSpecs are the v4-only transcripts (Kyber1024, which the official
// libsignal accepts): long one-way prefixes and several SPQR epochs.
var spqrSpecs = []struct {
	pattern, delivery string
	oneTime           bool
}{
	{"long_one_way", "shuffled", true},
	{"long_one_way_twice", "held_back", false},
	{"epochs", "in_order", true},
	{"epochs", "reversed", false},
}

var patternOrder = []string{"one_way", "ping_pong", "bursts", "alice_twice", "long_chain", "many_turns"}

// deliveryOrder returns the order in which a turn's messages (0..n-1) are
// received, and which ones are held back until after the next turn.
func deliveryOrder(mode string, n, seed int) (order []int, held []int) {
	for i := 0; i < n; i++ {
		order = append(order, i)
	}
	switch mode {
	case "reversed":
		for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
			order[i], order[j] = order[j], order[i]
		}
	case "shuffled":
		h := fixed(fmt.Sprintf("shuffle %d %d", seed, n), 2*n+2)
		for i := n - 1; i > 0; i-- {
			j := int(h[i]) % (i + 1)
			order[i], order[j] = order[j], order[i]
		}
	case "held_back":
		if n >= 2 {
			held = []int{order[0]}
			order = order[1:]
		}
	}
	return order, held
}

type gen struct {
	nextInvalid int
	messages    int
	invalid     int
}

// sent is a message with what the generator needs to make variants of it.
type sent struct {
	typ     int
	body    []byte
	sm      []byte // the SignalMessage (inner message of a PreKey message)
	their   []byte // sender's ratchet public key
	counter uint32
	prev    uint32
	ck      []byte // sender's chain key at counter
	sender  *party
	pk      *preKeyFields // the PreKey fields, for type 3
	pq      []byte        // SPQR message (field 5), v4
	salt    []byte        // SPQR message key, v4
}

func (g *gen) transcript(tid int, s spec) Transcript {
	v := s.version
	label := func(l string) string { return fmt.Sprintf("%s %s", s.name, l) }
	aliceID, bobID := newKey(label("alice identity")), newKey(label("bob identity"))
	hsSeed := drawSeed(label("alice handshake"))
	hs := chacha8Stream(hsSeed, 96)
	base := keyFromRaw(hs[:32])
	kemM := hs[32:64]
	spk := newKey(label("bob signed prekey"))
	alice := &party{name: "alice", identity: aliceID, version: v, drawLabel: label("alice")}
	bob := &party{name: "bob", identity: bobID, version: v, drawLabel: label("bob")}
	alice.other, bob.other = bob, alice
	first := hs[32:64]
	if v == 4 {
		first = hs[64:96]
	}
	alice.ratchetPool = append(alice.ratchetPool, keyFromRaw(first))
	alice.seeds = append(alice.seeds, nil)
	for i := 0; i < 40; i++ {
		for _, p := range []*party{alice, bob} {
			seed := drawSeed(label(fmt.Sprintf("%s ratchet %d", p.name, len(p.ratchetPool))))
			p.ratchetPool = append(p.ratchetPool, keyFromRaw(chacha8Stream(seed, 32)))
			p.seeds = append(p.seeds, &seed)
		}
	}
	t := Transcript{ID: tid, Name: s.name, Version: v, KEM: s.kem, Flags: s.flags, Invalid: []Invalid{}, InvalidBundles: []InvalidBundle{}}
	t.SPQR = "not_applicable"
	if v == 4 {
		t.SPQR = "v1"
	}
	t.Alice = Alice{RegistrationID: uint32(1000 + tid), DeviceID: 1, Name: "alice", Identity: aliceID.json(), HandshakeDrawSeed: hsSeed, BaseKey: base.json()}
	spkZ := fixed(label("spk signature Z"), 64)
	spkSig := xed.Sign(bobID.raw, spk.pub, spkZ, true).Signature
	t.Bob = Bob{RegistrationID: uint32(2000 + tid), DeviceID: 1, Name: "bob", Identity: bobID.json(),
		SignedPreKeyID: uint32(7 + tid), SignedPreKey: spk.json(), SignedPreKeyZ: x(spkZ), SignedPreKeySignature: x(spkSig)}

	// Handshake (X3DH / PQXDH), Alice's side.
	secret := bytes.Repeat([]byte{0xFF}, 32)
	secret = append(secret, dh(aliceID, spk.pub)...)
	secret = append(secret, dh(base, bobID.pub)...)
	secret = append(secret, dh(base, spk.pub)...)
	pk := &preKeyFields{version: v, baseKey: base.pub, identityKey: aliceID.pub,
		registrationID: t.Alice.RegistrationID, signedPreKeyID: t.Bob.SignedPreKeyID}
	var opk keyPair
	if s.oneTime {
		opk = newKey(label("bob one-time prekey"))
		id := uint32(100 + tid)
		j := opk.json()
		t.Bob.OneTimePreKeyID, t.Bob.OneTimePreKey = &id, &j
		secret = append(secret, dh(base, opk.pub)...)
		pk.hasPreKeyID, pk.preKeyID = true, id
	}
	info, n := infoV3, 64
	var kemPublic []byte
	var dk *mlkem.DecapsulationKey1024
	if v == 4 {
		seed := fixed(label("bob kem seed"), mlkem.SeedSize)
		var err error
		if dk, err = mlkem.NewDecapsulationKey1024(seed); err != nil {
			log.Fatal(err)
		}
		typ := byte(0x08)
		if s.kem == "ML-KEM-1024" {
			typ = 0x0A
		}
		kemPublic = append([]byte{typ}, dk.EncapsulationKey().Bytes()...)
		kz := fixed(label("kem signature Z"), 64)
		id := uint32(300 + tid)
		t.Bob.KEMPreKeyID, t.Bob.KEMPreKeySeed, t.Bob.KEMPreKeyPublic = &id, x(seed), x(kemPublic)
		t.Bob.KEMPreKeyZ, t.Bob.KEMPreKeySignature = x(kz), x(xed.Sign(bobID.raw, kemPublic, kz, true).Signature)
		ct, ss := encapsulate(s.kem, dk.EncapsulationKey(), kemM)
		t.Alice.KEMM = x(kemM)
		t.Handshake.KEMCiphertext, t.Handshake.KEMSharedSecret = x(ct), x(ss)
		secret = append(secret, ss...)
		pk.kyberID, pk.kyberCT = id, ct
		info, n = infoV4, 96
	}
	okm := hkdfKey(secret, nil, info, n)
	t.Handshake.Secret, t.Handshake.RootKey, t.Handshake.ChainKey = x(secret), x(okm[:32]), x(okm[32:64])
	if v == 4 {
		t.Handshake.AuthKey = x(okm[64:])
	}
	// Bob's side of the agreement, to check the generator against itself.
	bsecret := bytes.Repeat([]byte{0xFF}, 32)
	bsecret = append(bsecret, dh(spk, aliceID.pub)...)
	bsecret = append(bsecret, dh(bobID, base.pub)...)
	bsecret = append(bsecret, dh(spk, base.pub)...)
	if s.oneTime {
		bsecret = append(bsecret, dh(opk, base.pub)...)
	}
	if v == 4 {
		ss, err := dk.Decapsulate(pk.kyberCT[1:])
		if err != nil {
			log.Fatal(err)
		}
		if s.kem == "Kyber1024" {
			hc := sha3.Sum256(pk.kyberCT[1:])
			sh := sha3.NewSHAKE256()
			sh.Write(ss)
			sh.Write(hc[:])
			ss = make([]byte, 32)
			sh.Read(ss)
		}
		bsecret = append(bsecret, ss...)
	}
	if !bytes.Equal(secret, bsecret) {
		log.Fatalf("%s: the two sides of the handshake disagree", s.name)
	}

	// Alice's session: receiving chain for SPK_B at the handshake's chain
	// key; sending chain from her first ratchet key.
	a0, _ := alice.draw()
	alice.recv = []*recvChain{{their: spk.pub, ck: okm[32:64], skipped: map[uint32][]byte{}}}
	alice.root, alice.sendCK = rootStep(okm[:32], dh(a0, spk.pub))
	alice.sendKey = a0
	alice.pending = pk
	alice.hasSession = true
	if v == 4 {
		alice.pq = pqr.New(okm[64:96], true)
		alice.authKey, bob.authKey = okm[64:96], okm[64:96]
	}

	parties := map[string]*party{"alice": alice, "bob": bob}
	typeCount := map[string]int{}
	var msgs []sent
	var held []int
	invalidsFor := map[string]int{} // per receiver: how many messages got invalid variants

	receiveEvent := func(receiver *party, mi int) {
		m := msgs[mi]
		if m.typ == typePreKey && !receiver.hasSession {
			bob.root = okm[:32]
			bob.sendKey, bob.sendCK, bob.sendN = spk, okm[32:64], 0
			bob.hasSession = true
			if v == 4 {
				bob.pq = pqr.New(okm[64:96], false)
			}
		}
		pt, drew, pqInfo := receiver.receive(m.their, m.counter, m.sm)
		if x(pt) != t.Messages[mi].Plaintext {
			log.Fatalf("%s: message %d decrypts wrongly", s.name, mi)
		}
		e := Event{Op: "receive", Party: receiver.name, Message: mi}
		if drew >= 0 {
			d := drew
			e.DrawsRatchetKey = &d
		}
		if pqInfo != nil {
			e.SPQRState = pqInfo.Phase.String()
			if es := pqInfo.Secret; es != nil {
				e.SPQREpochSecret = &EpochSecret{Epoch: es.Epoch, Secret: x(es.Secret)}
			}
		}
		t.Events = append(t.Events, e)
	}
	deliver := func(receiver *party, mi int) {
		m := msgs[mi]
		if t.Messages[mi].Undelivered {
			log.Fatalf("%s: message %d is undelivered", s.name, mi)
		}
		// Invalid variants of the first two messages each party receives
		// of each type, offered just before the genuine one.
		key := fmt.Sprintf("%s %d", receiver.name, m.typ)
		if invalidsFor[key] < 1 {
			invalidsFor[key]++
			n := uint32(0)
			if c := receiver.findRecv(m.their); c != nil && receiver.hasSession {
				n = c.n
			}
			g.invalidMessages(&t, s, m, receiver, n, len(t.Events), invalidsFor[key] == 1)
		}
		receiveEvent(receiver, mi)
	}

	for ti, tr := range s.turns {
		sender := parties[tr.sender]
		receiver := sender.other
		var batch []int
		evict := s.delivery == "evict" && tr.count > maxMessageKeys
		for i := 0; i < tr.count; i++ {
			pt := fixed(label(fmt.Sprintf("plaintext %d", len(msgs))), 1+(len(msgs)*7)%90)
			if evict {
				pt = []byte{} // keeps the 2,000-key session small
			}
			ck := sender.sendCK
			typ, body, mk, counter, pq := sender.encrypt(pt)
			msg := Message{ID: len(msgs), Sender: sender.name, Type: typ, RatchetKey: x(sender.sendKey.pub),
				Counter: counter, PreviousCounter: sender.prev, Plaintext: x(pt),
				CipherKey: x(mk.cipher), MACKey: x(mk.mac), IV: x(mk.iv), Body: x(body), Result: "valid"}
			ev := Event{Op: "send", Party: sender.name, Message: len(msgs)}
			var pqMsg, salt []byte
			if pq != nil {
				pqMsg, salt = pq.msg, pq.key
				msg.SPQR = spqrJSON(pq)
				typeCount[msg.SPQR.Type]++
				if pq.info.Drawn != nil {
					seed := pq.seed
					ev.DrawSeed = &seed
				}
			}
			if evict && i > 2 && i < tr.count-5 && i != tr.count-3 {
				msg.CipherKey, msg.MACKey, msg.IV = "", "", "" // debugging values; keeps the file small
			}
			t.Messages = append(t.Messages, msg)
			sm := body
			var mpk *preKeyFields
			if typ == typePreKey {
				sm = innerMessage(body)
				mpk = pk
			}
			msgs = append(msgs, sent{typ: typ, body: body, sm: sm, their: sender.sendKey.pub, counter: counter,
				prev: sender.prev, ck: ck, sender: sender, pk: mpk, pq: pqMsg, salt: salt})
			if sender == bob && t.BobFirstSendEvent == nil && v == 4 {
				n := len(t.Events)
				t.BobFirstSendEvent = &n
			}
			t.Events = append(t.Events, ev)
			batch = append(batch, len(msgs)-1)
		}
		order, hold := deliveryOrder(s.delivery, len(batch), tid*100+ti)
		if evict {
			// v3: counters 0, 2000, 2002, 2004 (n = 2005): the receiver
			// skips 1..1999, 2001 and 2003, one key more than
			// maxMessageKeys, in jumps of at most 2,000 (libsignal-protocol-c
			// and python-axolotl refuse longer ones). v4: counters 0, 2002
			// (n = 2003), one jump of 2,002: SPQR's chain keeps keys by
			// distance (index + 2000 >= newest), so only this order trims
			// exactly the SPQR index of counter 1 too. Either way the oldest
			// key, counter 1, is evicted and then fails as a duplicate
			// (libsignal's verdict for a key it no longer has below the chain
			// index); every other skipped counter still decrypts.
			n := len(batch)
			first := []int{0, n - 5, n - 3, n - 1}
			if v == 4 {
				first = []int{0, n - 1}
			}
			order = first
			for i := 2; i < n-1; i++ {
				if !slices.Contains(first, i) {
					order = append(order, i)
				}
			}
			t.Messages[batch[1]].Undelivered = true
		}
		for k, o := range order {
			if evict && k == 4-2*(v-3) {
				m := msgs[batch[1]]
				c := receiver.findRecv(m.their)
				if _, ok := c.skipped[m.counter]; ok || m.counter != 1 || len(c.skipped) != maxMessageKeys {
					log.Fatalf("%s: key %d not evicted (%d keys)", s.name, m.counter, len(c.skipped))
				}
				if receiver.pq != nil {
					_, _, err := receiver.pq.Clone().Recv(m.pq)
					var ke *pqr.KeyError
					if !errors.As(err, &ke) || ke.Kind != "trimmed" {
						log.Fatalf("%s: SPQR key of the evicted message: %v", s.name, err)
					}
				}
				g.add(&t, Invalid{Name: fmt.Sprintf("%s_evicted_key_%d", receiver.name, m.counter), BeforeEvent: len(t.Events), Party: receiver.name,
					Type: m.typ, Body: x(m.body), Flags: []string{"evicted_key"}, Error: "duplicate_message"})
			}
			deliver(receiver, batch[o])
			if k == 0 {
				// Messages held back from an earlier turn of this
				// sender arrive after the first message of this turn.
				var keep []int
				for _, h := range held {
					if msgs[h].sender == sender {
						deliver(receiver, h)
					} else {
						keep = append(keep, h)
					}
				}
				held = keep
			}
		}
		for _, h := range hold {
			held = append(held, batch[h])
		}
	}
	for _, h := range held {
		deliver(msgs[h].sender.other, h)
	}
	// A new message on the oldest chain of the peer that a party no longer
	// holds (more than maxReceiverChains newer ones), after everything:
	// correctly MACed, but its chain key is gone.
	for _, receiver := range []*party{alice, bob} {
		last := map[string]int{} // the peer's ratchet key -> its last message
		var order []string
		for mi := range msgs {
			if msgs[mi].sender == receiver.other {
				k := string(msgs[mi].their)
				if _, ok := last[k]; !ok {
					order = append(order, k)
				}
				last[k] = mi
			}
		}
		if v == 4 {
			// The most recently dropped chain: an implementation may
			// remember a bounded number of dropped chains (this library's
			// ratchet keeps five), and the long v4 transcripts drop many.
			// (v3 keeps the oldest, as it always did.)
			slices.Reverse(order)
		}
		for _, k := range order {
			if receiver.findRecv([]byte(k)) != nil {
				continue
			}
			m := msgs[last[k]]
			pq, salt, ok := freshPQ(receiver.other, receiver)
			if !ok {
				break
			}
			g.add(&t, Invalid{Name: fmt.Sprintf("%s_receiver_chain_dropped", receiver.name), BeforeEvent: len(t.Events), Party: receiver.name,
				Type: typeSignal, Body: x(forge(m, v, m.counter+1, []byte("on a dropped chain"), pq, salt)), Flags: []string{"receiver_chain_dropped"},
				Error: "receiver_chain_dropped"})
			break
		}
	}
	// Replays of delivered messages, after everything: the first and the
	// last message whose receiving chain the receiver still holds.
	var replays []int
	for mi := range msgs {
		if msgs[mi].sender.other.findRecv(msgs[mi].their) != nil {
			replays = append(replays, mi)
			break
		}
	}
	if last := len(msgs) - 1; len(replays) == 0 || replays[0] != last {
		replays = append(replays, last)
	}
	for _, mi := range replays {
		flags := []string{"duplicate"}
		if r := msgs[mi].sender.other; r.pq != nil {
			// SPQR refuses the replayed key as already requested, or as
			// trimmed when its index is more than 2,000 behind (libsignal
			// looks the Double Ratchet key up first and reports a
			// duplicate either way); a replay whose SPQR epoch the
			// receiver no longer holds is left out.
			_, _, err := r.pq.Clone().Recv(msgs[mi].pq)
			var ke *pqr.KeyError
			if !errors.As(err, &ke) {
				continue
			}
			if ke.Kind == "trimmed" {
				flags = append(flags, "spqr_trimmed")
			}
		}
		g.add(&t, Invalid{Name: fmt.Sprintf("duplicate_message_%d", mi), BeforeEvent: len(t.Events), Party: msgs[mi].sender.other.name,
			Type: msgs[mi].typ, Body: x(msgs[mi].body), Flags: flags, Error: "duplicate_message"})
	}

	for i := 0; i < alice.drawn; i++ {
		t.Alice.RatchetKeys = append(t.Alice.RatchetKeys, alice.ratchetPool[i].jsonSeed(alice.seeds[i]))
	}
	for i := 0; i < bob.drawn; i++ {
		t.Bob.RatchetKeys = append(t.Bob.RatchetKeys, bob.ratchetPool[i].jsonSeed(bob.seeds[i]))
	}
	g.messages += len(t.Messages)
	if v == 4 {
		if t.BobFirstSendEvent == nil {
			n := len(t.Events)
			t.BobFirstSendEvent = &n
		}
		t.SPQRFinal = &SPQRFinal{AliceEpoch: alice.pq.Epoch(), AliceState: alice.pq.Phase().String(), AliceChainEpoch: alice.pq.ChainEpoch(),
			BobEpoch: bob.pq.Epoch(), BobState: bob.pq.Phase().String(), BobChainEpoch: bob.pq.ChainEpoch(), MessageTypes: typeCount}
	}

	// Invalid bundles.
	bundle := func(name, flag string, spkPub, spkSig, kemPub, kemSig []byte) {
		b := InvalidBundle{ID: g.nextID(), Name: name, SignedPreKey: x(spkPub), SignedPreKeySignature: x(spkSig),
			Result: "invalid", Flags: []string{flag}, Error: "bad_signature"}
		if v == 4 {
			b.KEMPreKeyPublic, b.KEMPreKeySignature = x(kemPub), x(kemSig)
		}
		if xed.Verify(bobID.pub[1:], spkPub, spkSig, true) && (v == 3 || xed.Verify(bobID.pub[1:], kemPub, kemSig, true)) {
			log.Fatalf("%s: invalid bundle %s verifies", s.name, name)
		}
		g.invalid++
		t.InvalidBundles = append(t.InvalidBundles, b)
	}
	var kemSig []byte
	if v == 4 {
		kemSig, _ = hex.DecodeString(t.Bob.KEMPreKeySignature)
	}
	bundle("signed_prekey_signature_modified", "modified_signature", spk.pub, flipByte(spkSig, tid%64, 0x04), kemPublic, kemSig)
	bundle("signed_prekey_replaced", "wrong_key", base.pub, spkSig, kemPublic, kemSig)
	if v == 4 {
		bundle("kem_prekey_signature_modified", "modified_kem_signature", spk.pub, spkSig, kemPublic, flipByte(kemSig, (tid+5)%64, 0x10))
		bundle("kem_prekey_modified", "modified_kem_key", spk.pub, spkSig, flipByte(kemPublic, 100+tid, 0x01), kemSig)
	}
	return t
}

func (g *gen) nextID() int { g.nextInvalid++; return g.nextInvalid }

func (g *gen) add(t *Transcript, inv Invalid) {
	inv.ID = g.nextID()
	inv.Result = "invalid"
	g.invalid++
	t.Invalid = append(t.Invalid, inv)
}

// innerMessage returns field 4 of a PreKeySignalMessage.
func innerMessage(body []byte) []byte {
	i := 1
	for i < len(body) {
		tag, n := binary.Uvarint(body[i:])
		i += n
		switch tag & 7 {
		case 0:
			_, n := binary.Uvarint(body[i:])
			i += n
		case 2:
			l, n := binary.Uvarint(body[i:])
			i += n
			if tag>>3 == 4 {
				return body[i : i+int(l)]
			}
			i += int(l)
		}
	}
	log.Fatal("no inner message")
	return nil
}

// rebuild makes a message like m whose SignalMessage is sm2 (re-wrapped in
// the same PreKey fields for type 3).
func rebuild(m sent, sm2 []byte) []byte {
	if m.typ != typePreKey {
		return sm2
	}
	f := *m.pk
	f.message = sm2
	return f.encode()
}

// forge returns a correctly MACed SignalMessage from m's sender on m's chain
// with the given counter, byte0 version and plaintext, carrying the SPQR
// message pq whose key is salt (v4).
func forge(m sent, version int, counter uint32, pt, pq, salt []byte) []byte {
	ck := m.ck
	for i := m.counter; i < counter; i++ {
		_, ck = chainStep(ck)
	}
	seed, _ := chainStep(ck)
	mk := messageKeys(seed, salt)
	sm := signalMessage(version, m.their, counter, m.prev, cbcEncrypt(mk, pt), pq)
	return append(sm, hmacSHA256(mk.mac, m.sender.identity.pub, m.sender.other.identity.pub, sm)[:8]...)
}

// freshPQ returns an SPQR message that sender could send next and
// receiver would accept now, with its key, from copies of their states
// (the draw, if any, is a throwaway stream). ok is false in v3 (nil
// message) only when receiver would refuse it.
func freshPQ(sender, receiver *party) (pq, salt []byte, ok bool) {
	if sender.pq == nil {
		return nil, nil, true
	}
	stream := chacha8Stream(drawSeed("throwaway "+sender.drawLabel), 96)
	msg, key, _, err := sender.pq.Clone().Send(func(n int) ([]byte, error) { return stream[:n], nil })
	if err != nil {
		log.Fatal(err)
	}
	got, _, err := receiver.pq.Clone().Recv(msg)
	if err != nil || !bytes.Equal(got, key) {
		return nil, nil, false
	}
	return msg, key, true
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

// invalidSPQR adds variants of m's SPQR field (SignalMessage field 5) with
// m's MAC kept: each is checked against a copy of the receiver's SPQR state.
func (g *gen) invalidSPQR(m sent, receiver *party, add func(name, flag, errName string, body []byte)) {
	state := func() *pqr.State {
		if receiver.pq != nil {
			return receiver.pq.Clone()
		}
		return pqr.New(receiver.authKey, receiver.name == "alice")
	}
	body := m.sm[:len(m.sm)-8]
	with := func(pq []byte) []byte {
		sm := signalMessage(m.sender.version, m.their, m.counter, m.prev, field(body, 4), pq)
		return rebuild(m, append(sm, m.sm[len(m.sm)-8:]...))
	}
	parsed, err := pqr.Parse(m.pq)
	if err != nil {
		log.Fatal(err)
	}
	try := func(name, flag, errName string, pq []byte, want func([]byte, error) bool) {
		key, _, err := state().Recv(pq)
		if want(key, err) {
			add(name, flag, errName, with(pq))
		}
	}
	accepted := func(key []byte, err error) bool { return err == nil }
	if parsed.Type != pqr.TypeNone && parsed.Type != pqr.TypeCt1Ack {
		// A bit of the chunk flipped: SPQR takes it (the chunk does not
		// complete a decoding), the MAC, which covers field 5, fails.
		try("spqr_modified_chunk", "modified_spqr", "bad_mac", flipByte(m.pq, len(m.pq)-1, 0x01), accepted)
		try("spqr_truncated", "spqr_malformed", "spqr_malformed", m.pq[:len(m.pq)-1],
			func(_ []byte, err error) bool { return errors.Is(err, pqr.ErrDecode) })
	}
	idx := parsed
	idx.Index++
	try("spqr_modified_index", "modified_spqr", "bad_mac", idx.Marshal(), accepted)
	ep := parsed
	ep.Epoch = state().Epoch() + 2
	try("spqr_epoch_too_far", "spqr_epoch", "spqr_epoch", ep.Marshal(),
		func(_ []byte, err error) bool { return errors.Is(err, pqr.ErrEpochOutOfRange) })
	try("spqr_unknown_version", "spqr_unknown_version", "bad_mac", append([]byte{2}, m.pq[1:]...),
		func(key []byte, err error) bool { return err == nil && key == nil })
	try("spqr_missing", "spqr_missing", "spqr_missing", nil,
		func(_ []byte, err error) bool {
			return errors.Is(err, pqr.ErrMinimumVersion) || errors.Is(err, pqr.ErrVersionMismatch)
		})
}

// invalidMessages adds the invalid variants of message m, offered to
// receiver before event ev. n is the receiver's next index on m's chain.
func (g *gen) invalidMessages(t *Transcript, s spec, m sent, receiver *party, n uint32, ev int, full bool) {
	add := func(name, flag, errName string, body []byte) {
		g.add(t, Invalid{Name: fmt.Sprintf("%s_%s_%d", receiver.name, name, m.counter), BeforeEvent: ev, Party: receiver.name,
			Type: m.typ, Body: x(body), Flags: []string{flag}, Error: errName})
	}
	v := s.version
	// Tampered MAC: last byte of the SignalMessage's tag.
	add("bad_mac", "modified_mac", "bad_mac", rebuild(m, flipByte(m.sm, len(m.sm)-1, 0x01)))
	// Tampered ciphertext (the MAC covers it).
	ctEnd := len(m.sm) - 8
	if len(m.pq) > 0 {
		ctEnd -= len(pbBytes(nil, 5, m.pq))
	}
	add("modified_ciphertext", "modified_ciphertext", "bad_mac", rebuild(m, flipByte(m.sm, ctEnd-4, 0x80)))
	// Truncations of the whole message.
	add("truncated_by_one", "truncated", "truncated", m.body[:len(m.body)-1])
	add("truncated_to_version", "truncated", "truncated", m.body[:1])
	if full {
		add("truncated_half", "truncated", "truncated", m.body[:len(m.body)/2])
		add("empty", "truncated", "truncated", []byte{})
		add("mac_only_truncated", "truncated", "truncated", rebuild(m, m.sm[:len(m.sm)-1]))
	}
	// Versions in byte 0.
	add("legacy_version", "legacy_version", "legacy_version", append([]byte{0x23}, m.body[1:]...))
	add("unknown_version", "unknown_version", "unknown_version", append([]byte{0x53}, m.body[1:]...))
	if m.typ == typeSignal && full {
		// The other session version, correctly MACed over the new byte 0.
		other := 3
		if v == 3 {
			other = 4
		}
		add("wrong_session_version", "wrong_version", "wrong_version",
			forge(m, other, m.counter, []byte("wrong version"), m.pq, m.salt))
	}
	// A counter just past the forward-jump limit, correctly MACed (v4: with
	// m's SPQR message and key, which the receiver has not seen yet).
	add("counter_too_far", "counter_past_limit", "counter_too_far",
		rebuild(m, forge(m, v, n+maxForwardJump+1, []byte("too far"), m.pq, m.salt)))
	if v == 4 && full {
		g.invalidSPQR(m, receiver, add)
	}
	if m.typ == typePreKey && full {
		base := func(name string, key []byte) {
			f := *m.pk
			f.baseKey = key
			f.message = m.sm
			add(name, "bad_base_key", "bad_base_key", f.encode())
		}
		zero := make([]byte, 32)
		base("base_key_zero", append([]byte{0x05}, zero...))
		one := make([]byte, 32)
		one[0] = 1
		base("base_key_one", append([]byte{0x05}, one...))
		base("base_key_noncanonical", append([]byte{0x05}, toLE(new(big.Int).Add(p25519, big.NewInt(9)))...))
		base("base_key_high_bit", append([]byte{0x05}, flipByte(m.pk.baseKey[1:], 31, 0x80)...))
		if v == 4 {
			kem := func(name, flag string, ct []byte) {
				f := *m.pk
				f.kyberCT = ct
				f.message = m.sm
				add(name, flag, "bad_kem_ciphertext", f.encode())
			}
			ct := m.pk.kyberCT
			kem("kem_ciphertext_short", "kem_ciphertext_length", ct[:len(ct)-1])
			kem("kem_ciphertext_long", "kem_ciphertext_length", append(append([]byte(nil), ct...), 0))
			wrong := byte(0x0A)
			if ct[0] == 0x0A {
				wrong = 0x08
			}
			kem("kem_ciphertext_type", "kem_ciphertext_type", append([]byte{wrong}, ct[1:]...))
			kem("kem_ciphertext_untyped", "kem_ciphertext_type", ct[1:])
			f := *m.pk
			f.kyberCT = nil
			f.message = m.sm
			add("kem_ciphertext_missing", "kem_missing", "missing_kem", f.encode())
		}
	}
}

func specs() []spec {
	var out, bounds []spec
	modes := []string{"in_order", "shuffled", "reversed", "held_back"}
	i := 0
	for _, v := range []int{3, 4} {
		kems := []string{""}
		if v == 4 {
			kems = []string{"Kyber1024", "ML-KEM-1024"}
		}
		for _, kem := range kems {
			for _, pat := range patternOrder {
				for _, ot := range []bool{true, false} {
					if kem == "ML-KEM-1024" && pat != "bursts" && pat != "ping_pong" {
						continue
					}
					mode := modes[i%len(modes)]
					i++
					if pat == "long_chain" {
						mode = "shuffled"
					}
					name := fmt.Sprintf("v%d_%s_%s", v, pat, mode)
					if kem != "" {
						name = fmt.Sprintf("v%d_%s_%s_%s", v, kemName(kem), pat, mode)
					}
					flags := []string{pat, mode}
					if ot {
						name += "_one_time"
						flags = append(flags, "one_time_prekey")
					} else {
						flags = append(flags, "no_one_time_prekey")
					}
					out = append(out, spec{name: name, version: v, kem: kem, oneTime: ot, turns: patterns()[pat], delivery: mode, flags: flags})
				}
			}
		}
		bound := spec{name: fmt.Sprintf("v%d_skipped_keys_bound_evict", v), version: v, turns: patterns()["skipped_keys_bound"],
			delivery: "evict", flags: []string{"skipped_keys_bound", "evict", "no_one_time_prekey"}}
		if v == 4 {
			bound.name, bound.kem = "v4_kyber1024_skipped_keys_bound_evict", "Kyber1024"
			bound.turns = []turn{{"alice", 1}, {"bob", 1}, {"alice", maxMessageKeys + 3}}
		}
		bounds = append(bounds, bound)
		if v != 4 {
			continue
		}
		for _, sp := range spqrSpecs {
			name := fmt.Sprintf("v4_kyber1024_%s_%s", sp.pattern, sp.delivery)
			flags := []string{sp.pattern, sp.delivery}
			if sp.oneTime {
				name += "_one_time"
				flags = append(flags, "one_time_prekey")
			} else {
				flags = append(flags, "no_one_time_prekey")
			}
			out = append(out, spec{name: name, version: 4, kem: "Kyber1024", oneTime: sp.oneTime, turns: patterns()[sp.pattern],
				delivery: sp.delivery, flags: flags})
		}
	}
	return append(out, bounds...)
}

func kemName(k string) string {
	if k == "Kyber1024" {
		return "kyber1024"
	}
	return "mlkem1024"
}

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

func generate(version int) []byte {
	f := File{
		Family:        "transcript",
		FormatVersion: 1,
		Version:       version,
		Source:        "Generated by vectors/internal/gen/transcript from the X3DH, PQXDH and Double Ratchet specifications (signal.org/docs/specifications) and PROTOCOL.md, with Go standard-library primitives and the generators' own XEdDSA; not from any library's code. Regenerate with go generate in vectors/.",
		Conventions:   conventions,
		Errors:        errorNames,
		Flags:         flagDocs,
	}
	if version == 4 {
		f.Conventions, f.Errors, f.Flags = merged(conventions, v4Conventions), merged(errorNames, v4Errors), merged(flagDocs, v4Flags)
		f.Source = "Generated by vectors/internal/gen/transcript from the X3DH, PQXDH, Double Ratchet and ML-KEM Braid specifications (signal.org/docs/specifications) and PROTOCOL.md, with Go standard-library primitives, the generators' own XEdDSA and the generators' own SPQR v1 (vectors/internal/gen/internal/pqr); not from any library's code. Regenerate with go generate in vectors/."
	}
	if version == 3 {
		f.Description = "Whole v3 sessions (X3DH + Double Ratchet, byte 0x33) on the wire with every key and random draw of both parties, plus invalid messages and bundles with their expected errors."
	} else {
		f.Description = "Whole v4 sessions (PQXDH with Kyber1024 or ML-KEM-1024 + Double Ratchet + SPQR v1, the triple ratchet, byte 0x44) on the wire with every key and random draw of both parties, every SPQR message, key and epoch secret, plus invalid messages and bundles with their expected errors."
	}
	g := &gen{}
	tid := 0
	for _, s := range specs() {
		if s.version != version {
			continue
		}
		tid++
		f.Transcripts = append(f.Transcripts, g.transcript(tid+10*(version-3)*10, s))
	}
	f.NumberOfVectors = g.messages + g.invalid
	f.NumberInvalid = g.invalid
	if version == 4 {
		return encodeCompactLists(f)
	}
	out, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		log.Fatal(err)
	}
	return append(out, '\n')
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

func merged(base, over map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

func main() {
	v3 := flag.String("v3", "", "output file for version 3")
	v4 := flag.String("v4", "", "output file for version 4")
	flag.Parse()
	for _, o := range []struct {
		path string
		v    int
	}{{*v3, 3}, {*v4, 4}} {
		if o.path == "" {
			continue
		}
		if err := os.WriteFile(o.path, generate(o.v), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

var p25519 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))

func toLE(v *big.Int) []byte {
	b := v.FillBytes(make([]byte, 32))
	for i, j := 0, 31; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return b
}

func flipByte(b []byte, i int, m byte) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= m
	return c
}
