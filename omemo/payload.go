package omemo

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
)

// The payload layer. A message's content (OMEMO 2: the XEP-0420 SCE
// envelope; OMEMO 0.3: the body text) is encrypted once with a fresh key;
// the key material is what each recipient device's session carries.
//
// OMEMO 2: key = 32 random bytes; HKDF-SHA-256(salt = 32 zero bytes,
// ikm = key, info = "OMEMO Payload", 80) = encryption key (32) || MAC key
// (32) || IV (16); payload = AES-256-CBC with PKCS#7 padding; tag =
// HMAC-SHA-256(MAC key, payload)[:16]; key material = key || tag (48
// bytes). An empty OMEMO message (no payload) carries 32 zero bytes.
//
// OMEMO 0.3: key = 16 random bytes, IV = 12 random bytes (sent in the
// header's <iv/>); payload = AES-128-GCM ciphertext without its tag; key
// material = key || tag (32 bytes).

// Sizes of the payload layer.
const (
	// KeyMaterialSizeV2 is the key material of an OMEMO 2 message: key ||
	// truncated tag.
	KeyMaterialSizeV2 = 48
	// EmptyKeyMaterialSizeV2 is the key material of an empty OMEMO 2
	// message (32 zero bytes).
	EmptyKeyMaterialSizeV2 = 32
	// KeyMaterialSizeV03 is the key material of an OMEMO 0.3 message: the
	// AES-128 key || the 16-byte GCM tag.
	KeyMaterialSizeV03 = 32
	// EmptyKeyMaterialSizeV03 is the key material of an empty OMEMO 0.3
	// message: a 16-byte key without a tag, as oldmemo sends it (the key
	// is there for other protocols' use: key transport).
	EmptyKeyMaterialSizeV03 = 16
	// IVSizeV03 is the GCM nonce length OMEMO 0.3 senders use today.
	IVSizeV03 = 12
	// MaxPayloadSize bounds a payload (the ciphertext in <payload/>) the
	// package decrypts or encrypts: 1 MiB, far above any XMPP server's
	// stanza limit.
	MaxPayloadSize = 1 << 20
)

var infoPayload = []byte("OMEMO Payload")

func derivePayloadV2(key []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, key, make([]byte, 32), string(infoPayload), 80)
}

// EncryptPayloadV2 encrypts plaintext as OMEMO 2 does and returns the
// payload and the 48-byte key material to send through each session.
func EncryptPayloadV2(plaintext []byte) (payload, keyMaterial []byte, err error) {
	if len(plaintext) > MaxPayloadSize-16 {
		return nil, nil, limit("MaxPayloadSize", MaxPayloadSize, len(plaintext))
	}
	key := make([]byte, 32)
	rand.Read(key) // never fails
	return encryptPayloadV2(key, plaintext)
}

// encryptPayloadV2 is EncryptPayloadV2 with the key given (for tests and
// vectors); key becomes the first half of the key material.
func encryptPayloadV2(key, plaintext []byte) (payload, keyMaterial []byte, err error) {
	okm, err := derivePayloadV2(key)
	if err != nil {
		return nil, nil, err
	}
	defer clear(okm)
	payload = cbcEncrypt(okm[:32], okm[64:80], plaintext)
	m := hmac.New(sha256.New, okm[32:64])
	m.Write(payload)
	tag := m.Sum(nil)
	keyMaterial = append(key, tag[:MACSize]...)
	return payload, keyMaterial, nil
}

// DecryptPayloadV2 checks and decrypts an OMEMO 2 payload with the key
// material a session delivered. Errors wrap ErrInvalidPayload (or
// ErrTooLarge).
func DecryptPayloadV2(payload, keyMaterial []byte) ([]byte, error) {
	if len(keyMaterial) != KeyMaterialSizeV2 {
		return nil, fmt.Errorf("%w: key material of %d bytes, want %d", ErrInvalidPayload, len(keyMaterial), KeyMaterialSizeV2)
	}
	if len(payload) > MaxPayloadSize {
		return nil, limit("MaxPayloadSize", MaxPayloadSize, len(payload))
	}
	if len(payload) == 0 || len(payload)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: payload of %d bytes is not whole AES blocks", ErrInvalidPayload, len(payload))
	}
	okm, err := derivePayloadV2(keyMaterial[:32])
	if err != nil {
		return nil, err
	}
	defer clear(okm)
	m := hmac.New(sha256.New, okm[32:64])
	m.Write(payload)
	if !hmac.Equal(m.Sum(nil)[:MACSize], keyMaterial[32:]) {
		return nil, fmt.Errorf("%w: tag mismatch", ErrInvalidPayload)
	}
	out, ok := cbcDecrypt(okm[:32], okm[64:80], payload)
	if !ok {
		return nil, fmt.Errorf("%w: bad padding", ErrInvalidPayload)
	}
	return out, nil
}

// EncryptPayloadV03 encrypts plaintext as OMEMO 0.3 does and returns the
// payload (without tag), the 12-byte IV for the header and the 32-byte key
// material (key || tag) to send through each session.
func EncryptPayloadV03(plaintext []byte) (payload, iv, keyMaterial []byte, err error) {
	if len(plaintext) > MaxPayloadSize {
		return nil, nil, nil, limit("MaxPayloadSize", MaxPayloadSize, len(plaintext))
	}
	key := make([]byte, 16)
	rand.Read(key)
	iv = make([]byte, IVSizeV03)
	rand.Read(iv)
	g, err := newGCM(key, len(iv))
	if err != nil {
		return nil, nil, nil, err
	}
	sealed := g.Seal(nil, iv, plaintext, nil)
	n := len(sealed) - 16
	return sealed[:n:n], iv, append(key, sealed[n:]...), nil
}

// DecryptPayloadV03 decrypts an OMEMO 0.3 payload. keyMaterial is key ||
// tag (32 bytes); iv is 12 bytes, or 16 (older senders). Errors wrap
// ErrInvalidPayload (or ErrTooLarge).
//
// A 16-byte key alone, with the tag at the end of the payload (as
// early Conversations versions sent it), is refused, as python-omemo's
// oldmemo refuses it: an empty message (no payload) carries exactly such
// a key, so every co-recipient of one could otherwise attach a payload of
// her own that the other recipients would take for the sender's.
func DecryptPayloadV03(payload, iv, keyMaterial []byte) ([]byte, error) {
	if len(payload) > MaxPayloadSize+16 {
		return nil, limit("MaxPayloadSize", MaxPayloadSize, len(payload))
	}
	if len(iv) != IVSizeV03 && len(iv) != 16 {
		return nil, fmt.Errorf("%w: IV of %d bytes", ErrInvalidPayload, len(iv))
	}
	if len(keyMaterial) != KeyMaterialSizeV03 {
		return nil, fmt.Errorf("%w: key material of %d bytes, want %d", ErrInvalidPayload, len(keyMaterial), KeyMaterialSizeV03)
	}
	key := keyMaterial[:16]
	sealed := make([]byte, 0, len(payload)+16)
	sealed = append(append(sealed, payload...), keyMaterial[16:]...)
	g, err := newGCM(key, len(iv))
	if err != nil {
		return nil, err
	}
	out, err := g.Open(nil, iv, sealed, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: GCM tag mismatch", ErrInvalidPayload)
	}
	return out, nil
}

func newGCM(key []byte, ivLen int) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPayload, err)
	}
	if ivLen == 12 {
		return cipher.NewGCM(b)
	}
	return cipher.NewGCMWithNonceSize(b, ivLen)
}

// cbcEncrypt returns AES-CBC(key, iv, PKCS#7(plaintext)).
func cbcEncrypt(key, iv, plaintext []byte) []byte {
	b, _ := aes.NewCipher(key) // 32 bytes
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	out := make([]byte, len(plaintext)+pad)
	copy(out, plaintext)
	for i := len(plaintext); i < len(out); i++ {
		out[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, out)
	return out
}

// cbcDecrypt decrypts whole blocks and removes PKCS#7 padding (checked in
// constant time; the MAC has already been verified).
func cbcDecrypt(key, iv, ct []byte) ([]byte, bool) {
	b, _ := aes.NewCipher(key)
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, ct)
	n := len(out)
	pad := int(out[n-1])
	good := subtle.ConstantTimeLessOrEq(1, pad) & subtle.ConstantTimeLessOrEq(pad, aes.BlockSize)
	for i := 1; i <= aes.BlockSize; i++ {
		in := subtle.ConstantTimeLessOrEq(i, pad)
		good &= subtle.ConstantTimeByteEq(out[n-i], byte(pad)) | (in ^ 1)
	}
	if good != 1 {
		return nil, false
	}
	return out[:n-pad], true
}
