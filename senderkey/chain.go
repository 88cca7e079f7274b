package senderkey

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"math"
)

// Chain-step labels and key-derivation parameters.
const (
	messageKeySeedLabel = 0x01
	chainKeyLabel       = 0x02
	messageKeyInfo      = "WhisperGroup"
	ivSize              = 16
	cipherKeySize       = 32
)

// chainKey is one link of a sender chain: the key for iteration.
type chainKey struct {
	iteration uint32
	key       [ChainKeySize]byte
}

// step returns the message-key seed of c and, when wantNext, the chain key
// of the following iteration. It fails with ErrChainExhausted when
// wantNext and c is the last iteration.
func (c *chainKey) step(seed *[32]byte, next *chainKey) error {
	if next != nil && c.iteration == math.MaxUint32 {
		return ErrChainExhausted
	}
	mac := hmac.New(sha256.New, c.key[:])
	if seed != nil {
		mac.Write([]byte{messageKeySeedLabel})
		mac.Sum(seed[:0])
	}
	if next != nil {
		mac.Reset()
		mac.Write([]byte{chainKeyLabel})
		var k [32]byte
		mac.Sum(k[:0])
		next.key = k
		next.iteration = c.iteration + 1
	}
	return nil
}

// messageKeys are the AES parameters of one message.
type messageKeys struct {
	iv  [ivSize]byte
	key [cipherKeySize]byte
}

// deriveMessageKeys expands a message-key seed: HKDF-SHA256 with no salt and
// info "WhisperGroup" to 48 bytes, IV first, then the AES-256 key.
func deriveMessageKeys(seed *[32]byte) (messageKeys, error) {
	okm, err := hkdf.Key(sha256.New, seed[:], nil, messageKeyInfo, ivSize+cipherKeySize)
	if err != nil {
		return messageKeys{}, err // unreachable: the length is fixed and valid
	}
	var mk messageKeys
	copy(mk.iv[:], okm[:ivSize])
	copy(mk.key[:], okm[ivSize:])
	clear(okm)
	return mk, nil
}

// encryptCBC returns AES-256-CBC(PKCS#7(plaintext)).
func (mk *messageKeys) encryptCBC(plaintext []byte) []byte {
	block, err := aes.NewCipher(mk.key[:])
	if err != nil {
		panic(err) // unreachable: the key is 32 bytes
	}
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	out := make([]byte, len(plaintext)+pad)
	copy(out, plaintext)
	for i := len(plaintext); i < len(out); i++ {
		out[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, mk.iv[:]).CryptBlocks(out, out)
	return out
}

// decryptCBC reverses encryptCBC. It fails with ErrDecrypt when the
// ciphertext is empty or not a multiple of the block size, or the padding is
// wrong. (The signature has been checked first, so no padding oracle is
// reachable by a party without the signing key.)
func (mk *messageKeys) decryptCBC(ciphertext []byte) ([]byte, error) {
	if len(ciphertext) == 0 || len(ciphertext)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: ciphertext length %d", ErrDecrypt, len(ciphertext))
	}
	block, err := aes.NewCipher(mk.key[:])
	if err != nil {
		panic(err) // unreachable: the key is 32 bytes
	}
	out := make([]byte, len(ciphertext))
	cipher.NewCBCDecrypter(block, mk.iv[:]).CryptBlocks(out, ciphertext)
	pad := int(out[len(out)-1])
	good := subtle.ConstantTimeLessOrEq(1, pad) & subtle.ConstantTimeLessOrEq(pad, aes.BlockSize)
	for i := 1; i <= aes.BlockSize; i++ {
		in := subtle.ConstantTimeLessOrEq(i, pad)
		eq := subtle.ConstantTimeByteEq(out[len(out)-i], byte(pad))
		good &= subtle.ConstantTimeSelect(in, eq, 1)
	}
	if good != 1 {
		clear(out)
		return nil, fmt.Errorf("%w: bad padding", ErrDecrypt)
	}
	return out[: len(out)-pad : len(out)-pad], nil
}
