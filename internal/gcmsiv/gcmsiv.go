// Package gcmsiv implements AES-GCM-SIV, the nonce-misuse-resistant
// authenticated encryption of RFC 8452: AEAD_AES_128_GCM_SIV (16-byte key)
// and AEAD_AES_256_GCM_SIV (32-byte key), each with a 12-byte nonce and a
// 16-byte tag. It is written from the RFC on top of the standard library's
// crypto/aes. Sealed sender v2 uses AES-256-GCM-SIV.
//
// [New] returns a [crypto/cipher.AEAD]. Per message, it derives a
// message-authentication key and a message-encryption key from the key and
// the nonce (RFC 8452 section 4: AES_K(le32(i) || nonce), the first 8 bytes
// of each block), computes the tag as the AES encryption, under the
// message-encryption key, of POLYVAL over the padded additional data, the
// padded plaintext and their bit lengths, XORed with the nonce and with the
// top bit of its last byte cleared, and encrypts with AES in counter mode
// from the tag (top bit of the last byte set, 32-bit little-endian counter
// in the first four bytes, wrapping modulo 2^32). Open decrypts, recomputes
// the tag and compares it in constant time; on a mismatch it zeroes the
// plaintext it wrote and returns [ErrOpen].
//
// # Constant time
//
// POLYVAL is computed without branches or memory indexes that depend on
// secret data: each 64x64-bit carry-less product is made of integer
// multiplications (math/bits.Mul64) of masked, bit-interleaved lanes that
// leave room for the carries, and the Montgomery reduction modulo
// x^128 + x^127 + x^126 + x^121 + 1 is fixed shifts and XORs (polyval.go
// explains both). AES is crypto/aes: constant time where it uses the CPU's
// AES instructions (amd64 with AES-NI, arm64, s390x, ppc64x), table based
// otherwise.
//
// # Limits
//
// RFC 8452 section 6 limits the plaintext and the additional data to 2^36
// bytes each ([MaxPlaintextSize], [MaxAdditionalDataSize]), so a
// ciphertext is at most 2^36 + 16 bytes ([MaxCiphertextSize]). Like
// crypto/cipher's GCM, Seal panics beyond them and on a nonce that is not
// [NonceSize] bytes. Open returns [ErrOpen] beyond them and [ErrNonceSize]
// on a wrong nonce length (where crypto/cipher's GCM panics).
//
// # Buffers
//
// Seal and Open follow the crypto/cipher.AEAD contract: they append to dst,
// which may overlap the input only exactly (plaintext[:0] for Seal,
// ciphertext[:0] for Open) and must not overlap the additional data;
// otherwise they panic. Apart from the returned slice (when dst lacks the
// capacity) each call allocates only the AES key schedule of its
// message-encryption key; the scratch blocks that crypto/aes reads and
// writes come from a sync.Pool and are cleared after use.
package gcmsiv

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"unsafe"
)

const (
	// NonceSize is the nonce length in bytes (RFC 8452 section 4, N_MIN
	// = N_MAX = 12).
	NonceSize = 12
	// TagSize is the tag length in bytes; a ciphertext is the encrypted
	// plaintext followed by the tag.
	TagSize = 16
	// MaxPlaintextSize is the largest plaintext, in bytes, that Seal
	// accepts (RFC 8452 section 6, P_MAX = 2^36).
	MaxPlaintextSize = 1 << 36
	// MaxAdditionalDataSize is the largest additional data, in bytes,
	// that Seal and Open accept (RFC 8452 section 6, A_MAX = 2^36).
	MaxAdditionalDataSize = 1 << 36
	// MaxCiphertextSize is the largest ciphertext, in bytes, that Open
	// accepts (RFC 8452 section 6, C_MAX = P_MAX + 16).
	MaxCiphertextSize = MaxPlaintextSize + TagSize
)

var (
	// ErrKeySize is returned by New for a key that is neither 16 nor 32
	// bytes long.
	ErrKeySize = errors.New("gcmsiv: key must be 16 or 32 bytes")
	// ErrNonceSize is returned by Open for a nonce that is not NonceSize
	// bytes long. (Seal panics instead.)
	ErrNonceSize = errors.New("gcmsiv: nonce must be 12 bytes")
	// ErrOpen is returned by Open when the ciphertext does not
	// authenticate: a wrong key, nonce, additional data or tag, a
	// modified ciphertext, one shorter than TagSize, or one or additional
	// data beyond the limits.
	ErrOpen = errors.New("gcmsiv: message authentication failed")
)

// aead is AES-GCM-SIV under one key-generating key.
type aead struct {
	// kgk is the key-generating key's AES key schedule.
	kgk cipher.Block
	// keySize is 16 or 32: the key-generating key's length, which is also
	// the message-encryption key's.
	keySize int
}

// New returns AEAD_AES_128_GCM_SIV for a 16-byte key or
// AEAD_AES_256_GCM_SIV for a 32-byte key, with NonceSize-byte nonces and
// TagSize-byte tags. Any other key length returns an error matching
// ErrKeySize. The key is not retained beyond its AES key schedule.
func New(key []byte) (cipher.AEAD, error) {
	if len(key) != 16 && len(key) != 32 {
		return nil, fmt.Errorf("%w (got %d)", ErrKeySize, len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err // unreachable: 16 and 32 are AES key sizes
	}
	return &aead{kgk: b, keySize: len(key)}, nil
}

// NonceSize returns NonceSize.
func (aead) NonceSize() int { return NonceSize }

// Overhead returns TagSize.
func (aead) Overhead() int { return TagSize }

// Seal encrypts and authenticates plaintext and authenticates
// additionalData, appends the ciphertext and tag to dst and returns the
// result. It panics if nonce is not NonceSize bytes, if plaintext or
// additionalData is beyond its limit, or if the buffers overlap other
// than as crypto/cipher.AEAD allows.
func (a aead) Seal(dst, nonce, plaintext, additionalData []byte) []byte {
	if len(nonce) != NonceSize {
		panic("gcmsiv: incorrect nonce length given to AES-GCM-SIV")
	}
	if uint64(len(plaintext)) > MaxPlaintextSize {
		panic("gcmsiv: plaintext too large for AES-GCM-SIV")
	}
	if uint64(len(additionalData)) > MaxAdditionalDataSize {
		panic("gcmsiv: additional data too large for AES-GCM-SIV")
	}
	ret, out := sliceForAppend(dst, len(plaintext)+TagSize)
	if inexactOverlap(out, plaintext) {
		panic("gcmsiv: invalid buffer overlap of output and input")
	}
	if anyOverlap(out, additionalData) {
		panic("gcmsiv: invalid buffer overlap of output and additional data")
	}

	b := blockPool.Get().(*blocks)
	var authKey [16]byte
	enc := a.messageKeys(b, &authKey, nonce)
	var tag [TagSize]byte
	computeTag(b, &tag, enc, &authKey, nonce, additionalData, plaintext)
	// The tag is computed before the plaintext is overwritten, so out may
	// be plaintext itself.
	ctr(b, enc, &tag, out[:len(plaintext)], plaintext)
	copy(out[len(plaintext):], tag[:])
	clear(authKey[:])
	*b = blocks{}
	blockPool.Put(b)
	return ret
}

// Open decrypts and authenticates ciphertext (the encrypted plaintext
// followed by the tag) and authenticates additionalData; if they
// authenticate, it appends the plaintext to dst and returns the result.
// It returns ErrNonceSize for a nonce that is not NonceSize bytes and
// ErrOpen for anything that does not authenticate; then the bytes it
// wrote after len(dst) (up to the plaintext's length) are zero. It panics
// if the buffers overlap other than as crypto/cipher.AEAD allows.
func (a aead) Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	if len(nonce) != NonceSize {
		return nil, ErrNonceSize
	}
	if len(ciphertext) < TagSize || uint64(len(ciphertext)) > MaxCiphertextSize ||
		uint64(len(additionalData)) > MaxAdditionalDataSize {
		return nil, ErrOpen
	}
	n := len(ciphertext) - TagSize
	var tag [TagSize]byte
	copy(tag[:], ciphertext[n:])
	ret, out := sliceForAppend(dst, n)
	if inexactOverlap(out, ciphertext) {
		panic("gcmsiv: invalid buffer overlap of output and input")
	}
	if anyOverlap(out, additionalData) {
		panic("gcmsiv: invalid buffer overlap of output and additional data")
	}

	b := blockPool.Get().(*blocks)
	var authKey [16]byte
	enc := a.messageKeys(b, &authKey, nonce)
	ctr(b, enc, &tag, out, ciphertext[:n])
	var want [TagSize]byte
	computeTag(b, &want, enc, &authKey, nonce, additionalData, out)
	clear(authKey[:])
	*b = blocks{}
	blockPool.Put(b)
	if subtle.ConstantTimeCompare(want[:], tag[:]) != 1 {
		clear(out)
		return nil, ErrOpen
	}
	return ret, nil
}

// blocks is scratch space for the AES block calls of one Seal or Open.
// Slices passed to a cipher.Block's methods escape to the heap (the
// compiler cannot see through the interface), so stack arrays would be
// allocated on every call; these come from blockPool instead, and are
// cleared before they go back.
type blocks struct {
	in, out [16]byte
}

var blockPool = sync.Pool{New: func() any { return new(blocks) }}

// messageKeys writes the message-authentication key to authKey and returns
// the message-encryption key's AES key schedule (see deriveKeys).
func (a aead) messageKeys(b *blocks, authKey *[16]byte, nonce []byte) cipher.Block {
	var encKey [32]byte
	a.deriveKeys(b, authKey, &encKey, nonce)
	enc, err := aes.NewCipher(encKey[:a.keySize])
	clear(encKey[:])
	if err != nil {
		panic("gcmsiv: " + err.Error()) // unreachable: keySize is 16 or 32
	}
	return enc
}

// deriveKeys writes the message-authentication key to authKey and the
// message-encryption key to encKey[:a.keySize] (RFC 8452 section 4): the
// first 8 bytes of AES_K(le32(i) || nonce) for i = 0, 1 make the former,
// for i = 2, 3 (and 4, 5 for a 32-byte key) the latter.
func (a aead) deriveKeys(b *blocks, authKey *[16]byte, encKey *[32]byte, nonce []byte) {
	copy(b.in[4:], nonce)
	for i := range 2 + a.keySize/8 {
		binary.LittleEndian.PutUint32(b.in[:4], uint32(i))
		a.kgk.Encrypt(b.out[:], b.in[:])
		if i < 2 {
			copy(authKey[8*i:], b.out[:8])
		} else {
			copy(encKey[8*(i-2):], b.out[:8])
		}
	}
}

// computeTag writes the tag (RFC 8452 section 4) to tag: POLYVAL under
// authKey of the padded additional data, the padded plaintext and the
// length block, XORed with the nonce, the top bit of byte 15 cleared, and
// encrypted with enc.
func computeTag(b *blocks, tag *[TagSize]byte, enc cipher.Block, authKey *[16]byte, nonce, additionalData, plaintext []byte) {
	var p polyval
	p.init(authKey[:])
	p.updatePadded(additionalData)
	p.updatePadded(plaintext)
	var lengths [16]byte
	binary.LittleEndian.PutUint64(lengths[:8], uint64(len(additionalData))*8)
	binary.LittleEndian.PutUint64(lengths[8:], uint64(len(plaintext))*8)
	p.update(lengths[:])
	p.sum(b.in[:])
	p.clear()
	subtle.XORBytes(b.in[:NonceSize], b.in[:NonceSize], nonce)
	b.in[15] &= 0x7f
	enc.Encrypt(b.out[:], b.in[:])
	*tag = b.out
}

// ctr XORs src with the AES-CTR key stream of RFC 8452 section 4 into dst
// (len(dst) == len(src); they may be the same slice): the initial counter
// block is the tag with the top bit of byte 15 set, and its first four
// bytes, a little-endian counter, are incremented modulo 2^32 per block.
func ctr(b *blocks, enc cipher.Block, tag *[TagSize]byte, dst, src []byte) {
	b.in = *tag
	b.in[15] |= 0x80
	counter := binary.LittleEndian.Uint32(b.in[:4])
	for len(src) > 0 {
		enc.Encrypt(b.out[:], b.in[:])
		n := subtle.XORBytes(dst, src, b.out[:])
		dst, src = dst[n:], src[n:]
		counter++
		binary.LittleEndian.PutUint32(b.in[:4], counter)
	}
}

// sliceForAppend extends in by n bytes, reallocating if its capacity is
// too small, and returns the whole slice and the n new bytes.
func sliceForAppend(in []byte, n int) (whole, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		whole = in[:total]
	} else {
		whole = make([]byte, total)
		copy(whole, in)
	}
	return whole, whole[len(in):]
}

// anyOverlap reports whether the memory of x and y has a byte in common.
func anyOverlap(x, y []byte) bool {
	if len(x) == 0 || len(y) == 0 {
		return false
	}
	x0, x1 := uintptr(unsafe.Pointer(&x[0])), uintptr(unsafe.Pointer(&x[len(x)-1]))
	y0, y1 := uintptr(unsafe.Pointer(&y[0])), uintptr(unsafe.Pointer(&y[len(y)-1]))
	return x0 <= y1 && y0 <= x1
}

// inexactOverlap reports whether x and y overlap other than by starting at
// the same byte, the one overlap that in-place encryption may have.
func inexactOverlap(x, y []byte) bool {
	if len(x) == 0 || len(y) == 0 || &x[0] == &y[0] {
		return false
	}
	return anyOverlap(x, y)
}

// String names the algorithm; the key is redacted.
func (a aead) String() string {
	return "gcmsiv.AEAD(AES-" + strconv.Itoa(8*a.keySize) + "-GCM-SIV, REDACTED)"
}

// GoString is String, so that %#v does not print the key schedule either.
func (a aead) GoString() string { return a.String() }

// Format writes String for every verb and flag, so that no fmt verb prints
// the key schedule, whether the AEAD is formatted as a value or as a
// pointer, or reached through a field of another value.
func (a aead) Format(f fmt.State, _ rune) { io.WriteString(f, a.String()) }
