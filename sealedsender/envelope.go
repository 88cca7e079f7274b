package sealedsender

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/gcmsiv"
	"github.com/forwardsecret/signal/internal/wire"
)

// Version bytes: (required version << 4) | current version.
const (
	versionV1          = 0x11 // sealed sender v1
	versionV2UUID      = 0x22 // v2 received message, and legacy sent message of bare ACIs
	versionV2ServiceID = 0x23 // v2 sent message of service ids
)

// Sizes of the v2 fields.
const (
	v2MessageKeySize = 32 // M and C
	v2TagSize        = 16 // AT
	v2PublicKeySize  = 32 // E, without the type byte
	v1MACSize        = 10 // truncated HMAC-SHA256 of the v1 ciphertexts
)

// Labels and salts of the key derivations.
const (
	v1SaltPrefix = "UnidentifiedDelivery"
	v2LabelR     = "Sealed Sender v2: r (2023-08)"
	v2LabelK     = "Sealed Sender v2: K"
	v2LabelDH    = "Sealed Sender v2: DH"
	v2LabelDHS   = "Sealed Sender v2: DH-sender"
)

// Protobuf field numbers of the v1 UnidentifiedSenderMessage.
const (
	fieldV1Ephemeral = 1
	fieldV1Static    = 2
	fieldV1Message   = 3
)

// MaxEnvelopeSize bounds the envelopes and sent messages this package
// reads; the Signal service's own limits are far below it.
const MaxEnvelopeSize = 64 << 20

// SealV1 seals c for one recipient with sealed sender v1: an ephemeral key
// agreement with the recipient's identity key hides our identity key, and a
// static one with our identity key proves it.
func SealV1(c *Content, ours *curve.IdentityKeyPair, theirs curve.PublicKey) ([]byte, error) {
	if ours == nil || theirs.IsZero() {
		return nil, fmt.Errorf("%w: missing identity key", ErrInvalidArgument)
	}
	usmc, err := c.MarshalBinary()
	if err != nil {
		return nil, err
	}
	eph, err := curve.GeneratePrivateKey()
	if err != nil {
		return nil, err
	}
	ephPub := eph.PublicKey()
	chainKey, cipherKey, macKey, err := v1EphemeralKeys(eph, theirs, theirs, ephPub)
	if err != nil {
		return nil, err
	}
	static := v1Encrypt(ours.PublicKey().Bytes(), cipherKey, macKey)
	cipherKey2, macKey2, err := v1StaticKeys(ours.PrivateKey(), theirs, chainKey, static)
	if err != nil {
		return nil, err
	}
	msg := v1Encrypt(usmc, cipherKey2, macKey2)
	out := make([]byte, 0, 1+2*protowire.SizeTag(1)+protowire.SizeBytes(curve.PublicKeySize)+protowire.SizeBytes(len(static))+protowire.SizeBytes(len(msg)))
	out = append(out, versionV1)
	out = protowire.AppendTag(out, fieldV1Ephemeral, protowire.BytesType)
	out = protowire.AppendBytes(out, ephPub.Bytes())
	out = protowire.AppendTag(out, fieldV1Static, protowire.BytesType)
	out = protowire.AppendBytes(out, static)
	out = protowire.AppendTag(out, fieldV1Message, protowire.BytesType)
	out = protowire.AppendBytes(out, msg)
	return out, nil
}

// v1EphemeralKeys derives (chain key, cipher key, MAC key) from the
// ephemeral agreement; recipient and ephemeral are the two public keys in
// the salt's order.
func v1EphemeralKeys(priv *curve.PrivateKey, peer, recipient, ephemeral curve.PublicKey) (chain, cipherKey, macKey []byte, err error) {
	shared, err := priv.ECDH(peer)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	salt := make([]byte, 0, len(v1SaltPrefix)+2*curve.PublicKeySize)
	salt = append(salt, v1SaltPrefix...)
	salt = recipient.AppendBytes(salt)
	salt = ephemeral.AppendBytes(salt)
	okm, err := hkdf.Key(sha256.New, shared, salt, "", 96)
	clear(shared)
	if err != nil {
		return nil, nil, nil, err
	}
	return okm[:32], okm[32:64], okm[64:], nil
}

// v1StaticKeys derives (cipher key, MAC key) from the static agreement,
// salted with the chain key and the encrypted static key.
func v1StaticKeys(priv *curve.PrivateKey, peer curve.PublicKey, chainKey, static []byte) (cipherKey, macKey []byte, err error) {
	shared, err := priv.ECDH(peer)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	salt := make([]byte, 0, len(chainKey)+len(static))
	salt = append(append(salt, chainKey...), static...)
	okm, err := hkdf.Key(sha256.New, shared, salt, "", 96)
	clear(shared)
	if err != nil {
		return nil, nil, err
	}
	return okm[32:64], okm[64:], nil
}

// v1Encrypt is AES-256-CTR from a zero counter block, then the first 10
// bytes of HMAC-SHA256 over the ciphertext.
func v1Encrypt(pt, cipherKey, macKey []byte) []byte {
	out := make([]byte, len(pt), len(pt)+v1MACSize)
	ctr(out, pt, cipherKey)
	m := hmac.New(sha256.New, macKey)
	m.Write(out)
	return m.Sum(out)[:len(pt)+v1MACSize]
}

// v1Decrypt checks the truncated MAC (in constant time) and decrypts.
func v1Decrypt(ct, cipherKey, macKey []byte) ([]byte, bool) {
	if len(ct) < v1MACSize {
		return nil, false
	}
	body, tag := ct[:len(ct)-v1MACSize], ct[len(ct)-v1MACSize:]
	m := hmac.New(sha256.New, macKey)
	m.Write(body)
	if subtle.ConstantTimeCompare(m.Sum(nil)[:v1MACSize], tag) != 1 {
		return nil, false
	}
	out := make([]byte, len(body))
	ctr(out, body, cipherKey)
	return out, true
}

// ctr is AES-256-CTR with a zero initial counter block. libsignal
// increments only the block's last 32 bits; the two agree below 2^32
// blocks, far beyond MaxEnvelopeSize.
func ctr(dst, src, key []byte) {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("sealedsender: derived AES key of bad length") // 32 bytes, always
	}
	var iv [aes.BlockSize]byte
	cipher.NewCTR(block, iv[:]).XORKeyStream(dst, src)
}

// Open opens a sealed-sender envelope addressed to ours: a v1 envelope or a
// v2 received message. It authenticates the sender's identity key against
// the content's sender certificate, but does not validate the certificate
// (SenderCertificate.Validate) or decrypt the inner message: Cipher.Decrypt
// does both.
func Open(envelope []byte, ours *curve.IdentityKeyPair) (*Content, error) {
	if ours == nil {
		return nil, fmt.Errorf("%w: missing identity key", ErrInvalidArgument)
	}
	if len(envelope) == 0 {
		return nil, fmt.Errorf("%w: empty envelope", ErrInvalidMessage)
	}
	if len(envelope) > MaxEnvelopeSize {
		return nil, fmt.Errorf("%w: envelope of %d bytes, limit %d", ErrInvalidMessage, len(envelope), MaxEnvelopeSize)
	}
	switch envelope[0] >> 4 {
	case 0, 1:
		return openV1(envelope[1:], ours)
	case 2:
		return openV2(envelope[1:], ours)
	}
	return nil, fmt.Errorf("%w: version byte 0x%02x", ErrUnknownVersion, envelope[0])
}

func openV1(b []byte, ours *curve.IdentityKeyPair) (*Content, error) {
	r := wire.NewReader(b, "UnidentifiedSenderMessage")
	var (
		ephBytes, static, msg        []byte
		haveEph, haveStatic, haveMsg bool
	)
	for r.More() {
		num, typ, err := r.Tag()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
		}
		switch num {
		case fieldV1Ephemeral:
			ephBytes, err = r.Raw("ephemeralPublic", typ)
			haveEph = true
		case fieldV1Static:
			static, err = r.Raw("encryptedStatic", typ)
			haveStatic = true
		case fieldV1Message:
			msg, err = r.Raw("encryptedMessage", typ)
			haveMsg = true
		default:
			err = r.Skip(num, typ)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
		}
	}
	if !haveEph || !haveStatic || !haveMsg {
		return nil, fmt.Errorf("%w: v1 envelope lacks a field", ErrInvalidMessage)
	}
	eph, err := curve.ParsePublicKey(ephBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: ephemeral key: %w", ErrInvalidMessage, err)
	}
	chainKey, cipherKey, macKey, err := v1EphemeralKeys(ours.PrivateKey(), eph, ours.PublicKey(), eph)
	if err != nil {
		return nil, err
	}
	staticKey, ok := v1Decrypt(static, cipherKey, macKey)
	if !ok {
		return nil, fmt.Errorf("%w: v1 sender key does not authenticate", ErrInvalidMessage)
	}
	sender, err := curve.ParsePublicKey(staticKey)
	if err != nil {
		return nil, fmt.Errorf("%w: v1 sender key: %w", ErrInvalidMessage, err)
	}
	cipherKey2, macKey2, err := v1StaticKeys(ours.PrivateKey(), sender, chainKey, static)
	if err != nil {
		return nil, err
	}
	usmc, ok := v1Decrypt(msg, cipherKey2, macKey2)
	if !ok {
		return nil, fmt.Errorf("%w: v1 content does not authenticate", ErrInvalidMessage)
	}
	c, err := ParseContent(usmc)
	clear(usmc)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(staticKey, c.Certificate.sender.IdentityKey.Bytes()) != 1 {
		return nil, fmt.Errorf("%w: sender certificate key is not the envelope's sender key", ErrInvalidMessage)
	}
	return c, nil
}

// v2Keys are the keys derived from the message key M.
type v2Keys struct {
	e   *curve.PrivateKey
	pub curve.PublicKey
	k   []byte
}

func deriveV2(m []byte) (v2Keys, error) {
	r, err := hkdf.Key(sha256.New, m, nil, v2LabelR, 32)
	if err != nil {
		return v2Keys{}, err
	}
	e, err := curve.NewPrivateKey(r)
	clear(r)
	if err != nil {
		return v2Keys{}, err
	}
	k, err := hkdf.Key(sha256.New, m, nil, v2LabelK, 32)
	if err != nil {
		return v2Keys{}, err
	}
	return v2Keys{e: e, pub: e.PublicKey(), k: k}, nil
}

// v2XorKey returns KDF(DH || E || R) XOR in: C from M for the sender, M
// from C for the recipient.
func v2XorKey(priv *curve.PrivateKey, peer, ephemeral, recipient curve.PublicKey, in []byte) ([]byte, error) {
	shared, err := priv.ECDH(peer)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	ikm := make([]byte, 0, 32+2*curve.PublicKeySize)
	ikm = append(ikm, shared...)
	ikm = ephemeral.AppendBytes(ikm)
	ikm = recipient.AppendBytes(ikm)
	clear(shared)
	out, err := hkdf.Key(sha256.New, ikm, nil, v2LabelDH, v2MessageKeySize)
	clear(ikm)
	if err != nil {
		return nil, err
	}
	subtle.XORBytes(out, out, in)
	return out, nil
}

// v2AuthTag is AT = KDF(DH(S, R) || E || C || S || R).
func v2AuthTag(priv *curve.PrivateKey, peer, ephemeral curve.PublicKey, c []byte, sender, recipient curve.PublicKey) ([]byte, error) {
	shared, err := priv.ECDH(peer)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	ikm := make([]byte, 0, 32+3*curve.PublicKeySize+len(c))
	ikm = append(ikm, shared...)
	ikm = ephemeral.AppendBytes(ikm)
	ikm = append(ikm, c...)
	ikm = sender.AppendBytes(ikm)
	ikm = recipient.AppendBytes(ikm)
	clear(shared)
	out, err := hkdf.Key(sha256.New, ikm, nil, v2LabelDHS, v2TagSize)
	clear(ikm)
	return out, err
}

func openV2(b []byte, ours *curve.IdentityKeyPair) (*Content, error) {
	if len(b) < v2MessageKeySize+v2TagSize+v2PublicKeySize {
		return nil, fmt.Errorf("%w: v2 message of %d bytes", ErrInvalidMessage, len(b)+1)
	}
	c := b[:v2MessageKeySize]
	at := b[v2MessageKeySize : v2MessageKeySize+v2TagSize]
	eph, _ := curve.NewPublicKey(b[v2MessageKeySize+v2TagSize : v2MessageKeySize+v2TagSize+v2PublicKeySize])
	ct := b[v2MessageKeySize+v2TagSize+v2PublicKeySize:]
	m, err := v2XorKey(ours.PrivateKey(), eph, eph, ours.PublicKey(), c)
	if err != nil {
		return nil, err
	}
	keys, err := deriveV2(m)
	clear(m)
	if err != nil {
		return nil, err
	}
	defer clear(keys.k)
	pub, e := keys.pub.U(), eph.U()
	if subtle.ConstantTimeCompare(pub[:], e[:]) != 1 {
		return nil, fmt.Errorf("%w: v2 ephemeral key does not match the message key", ErrInvalidMessage)
	}
	aead, err := gcmsiv.New(keys.k)
	if err != nil {
		return nil, err
	}
	var nonce [12]byte
	usmc, err := aead.Open(nil, nonce[:], ct, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: v2 content does not authenticate", ErrInvalidMessage)
	}
	content, err := ParseContent(usmc)
	clear(usmc)
	if err != nil {
		return nil, err
	}
	sender := content.Certificate.sender.IdentityKey
	want, err := v2AuthTag(ours.PrivateKey(), sender, eph, c, sender, ours.PublicKey())
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(want, at) != 1 {
		return nil, fmt.Errorf("%w: v2 sender certificate key does not match the authentication tag", ErrInvalidMessage)
	}
	return content, nil
}
