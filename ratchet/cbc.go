package ratchet

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
)

// cbcLoopMax is the body size up to which the CBC loops here drive the block
// cipher directly; longer bodies go through crypto/cipher's CBC modes, whose
// one extra allocation is cheap next to their faster per-block loop.
const cbcLoopMax = 1024

// cbcEncrypt appends AES-256-CBC(key, iv, PKCS#7(plaintext)) to dst.
func cbcEncrypt(dst []byte, key *[32]byte, iv *[16]byte, plaintext []byte) []byte {
	b, err := aes.NewCipher(key[:])
	if err != nil {
		panic("ratchet: AES-256 rejected a 32-byte key") // unreachable
	}
	n := len(plaintext) - len(plaintext)%aes.BlockSize + aes.BlockSize
	ret, out := sliceForAppend(dst, n)
	copy(out, plaintext)
	pad := byte(n - len(plaintext))
	for i := len(plaintext); i < n; i++ {
		out[i] = pad
	}
	if n > cbcLoopMax {
		cipher.NewCBCEncrypter(b, iv[:]).CryptBlocks(out, out)
		return ret
	}
	subtle.XORBytes(out[:aes.BlockSize], out[:aes.BlockSize], iv[:])
	b.Encrypt(out[:aes.BlockSize], out[:aes.BlockSize])
	for i := aes.BlockSize; i < n; i += aes.BlockSize {
		blk := out[i : i+aes.BlockSize]
		subtle.XORBytes(blk, blk, out[i-aes.BlockSize:i])
		b.Encrypt(blk, blk)
	}
	return ret
}

// cbcDecrypt appends the AES-256-CBC decryption of body (a non-empty
// multiple of the block size, checked by the caller) to dst, with the PKCS#7
// padding removed. dst's free capacity may be body's own storage (dst =
// body[:0]) but must not overlap it otherwise.
func cbcDecrypt(dst []byte, key *[32]byte, iv *[16]byte, body []byte) ([]byte, error) {
	b, err := aes.NewCipher(key[:])
	if err != nil {
		panic("ratchet: AES-256 rejected a 32-byte key") // unreachable
	}
	n := len(body)
	ret, out := sliceForAppend(dst, n)
	if n > cbcLoopMax {
		cipher.NewCBCDecrypter(b, iv[:]).CryptBlocks(out, body)
	} else {
		// Back to front, so that decrypting in place reads each previous
		// ciphertext block before it is overwritten.
		var last [aes.BlockSize]byte
		for i := n - aes.BlockSize; i > 0; i -= aes.BlockSize {
			copy(last[:], body[i-aes.BlockSize:i])
			b.Decrypt(out[i:i+aes.BlockSize], body[i:i+aes.BlockSize])
			subtle.XORBytes(out[i:i+aes.BlockSize], out[i:i+aes.BlockSize], last[:])
		}
		b.Decrypt(out[:aes.BlockSize], body[:aes.BlockSize])
		subtle.XORBytes(out[:aes.BlockSize], out[:aes.BlockSize], iv[:])
	}
	// PKCS#7. The MAC has already verified, so this check is no padding
	// oracle; it is still written without data-dependent branches on the
	// padding bytes.
	pad := out[n-1]
	good := subtle.ConstantTimeLessOrEq(1, int(pad)) & subtle.ConstantTimeLessOrEq(int(pad), aes.BlockSize)
	for i := 1; i <= aes.BlockSize; i++ {
		inPad := subtle.ConstantTimeLessOrEq(i, int(pad))
		same := subtle.ConstantTimeByteEq(out[n-i], pad)
		good &= same | (inPad ^ 1)
	}
	if good != 1 {
		clear(out)
		return nil, ErrInvalidCiphertext
	}
	clear(out[n-int(pad):])
	return ret[:len(ret)-int(pad)], nil
}

// sliceForAppend extends in by n bytes, returning the whole slice and the new
// tail. It reallocates only when in lacks the capacity.
func sliceForAppend(in []byte, n int) (whole, tail []byte) {
	total := len(in) + n
	if cap(in) >= total {
		whole = in[:total]
	} else {
		whole = make([]byte, total)
		copy(whole, in)
	}
	return whole, whole[len(in):]
}
