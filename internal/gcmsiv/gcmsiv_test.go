package gcmsiv

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"math/rand/v2"
	"testing"
)

func newTestAEAD(t testing.TB, r *rand.Rand, keySize int) (cipher.AEAD, []byte) {
	t.Helper()
	key := randBytes(r, keySize)
	c, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestNewKeySizes(t *testing.T) {
	for n := range 65 {
		c, err := New(make([]byte, n))
		switch n {
		case 16, 32:
			if err != nil {
				t.Errorf("%d-byte key: %v", n, err)
				continue
			}
			if c.NonceSize() != NonceSize || c.Overhead() != TagSize {
				t.Errorf("%d-byte key: NonceSize %d, Overhead %d", n, c.NonceSize(), c.Overhead())
			}
		default:
			if !errors.Is(err, ErrKeySize) || c != nil {
				t.Errorf("%d-byte key: %v, %v; want ErrKeySize", n, c, err)
			}
		}
	}
}

// TestRoundTrip seals and opens random messages of every length 0..600
// (with random additional data of 0..100 bytes) and with additional data
// of every length 0..100 (with random messages), under both key sizes, and
// checks that sealing is deterministic and that Seal and Open append to
// dst.
func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, keySize := range []int{16, 32} {
		c, _ := newTestAEAD(t, r, keySize)
		check := func(ptLen, aadLen int) {
			nonce, pt, aad := randBytes(r, NonceSize), randBytes(r, ptLen), randBytes(r, aadLen)
			prefix := randBytes(r, r.IntN(4))
			ct := c.Seal(bytes.Clone(prefix), nonce, pt, aad)
			if len(ct) != len(prefix)+ptLen+TagSize || !bytes.Equal(ct[:len(prefix)], prefix) {
				t.Fatalf("key %d, pt %d, aad %d: Seal output has length %d or lost dst", keySize, ptLen, aadLen, len(ct))
			}
			ct = ct[len(prefix):]
			if again := c.Seal(nil, nonce, pt, aad); !bytes.Equal(again, ct) {
				t.Fatalf("key %d, pt %d, aad %d: Seal is not deterministic", keySize, ptLen, aadLen)
			}
			got, err := c.Open(bytes.Clone(prefix), nonce, ct, aad)
			if err != nil || !bytes.Equal(got[:len(prefix)], prefix) || !bytes.Equal(got[len(prefix):], pt) {
				t.Fatalf("key %d, pt %d, aad %d: Open: %v", keySize, ptLen, aadLen, err)
			}
		}
		for ptLen := range 601 {
			check(ptLen, r.IntN(101))
		}
		for aadLen := range 101 {
			check(r.IntN(601), aadLen)
		}
	}
}

// TestBitFlips flips every bit of the ciphertext and tag, the additional
// data and the nonce in turn, and truncates and extends the ciphertext:
// Open must fail each time with ErrOpen and return nil.
func TestBitFlips(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, keySize := range []int{16, 32} {
		c, _ := newTestAEAD(t, r, keySize)
		for _, ptLen := range []int{0, 1, 16, 37} {
			nonce, pt, aad := randBytes(r, NonceSize), randBytes(r, ptLen), randBytes(r, 21)
			ct := c.Seal(nil, nonce, pt, aad)
			mustFail := func(what string, nonce, ct, aad []byte) {
				t.Helper()
				if got, err := c.Open(nil, nonce, ct, aad); err != ErrOpen || got != nil {
					t.Fatalf("key %d, pt %d: %s: Open = %x, %v; want nil, ErrOpen", keySize, ptLen, what, got, err)
				}
			}
			for _, buf := range []struct {
				name string
				b    []byte
			}{{"ciphertext", ct}, {"aad", aad}, {"nonce", nonce}} {
				for i := range 8 * len(buf.b) {
					buf.b[i/8] ^= 1 << (i % 8)
					mustFail(buf.name+" bit flip", nonce, ct, aad)
					buf.b[i/8] ^= 1 << (i % 8)
				}
			}
			for n := range len(ct) {
				mustFail("truncated", nonce, ct[:n], aad)
			}
			mustFail("extended", nonce, append(bytes.Clone(ct), 0), aad)
			mustFail("aad extended", nonce, ct, append(bytes.Clone(aad), 0))
			if got, err := c.Open(nil, nonce, ct, aad); err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("key %d, pt %d: the unmodified ciphertext no longer opens: %v", keySize, ptLen, err)
			}
		}
	}
}

// TestInPlace seals and opens in place (dst = plaintext[:0] and
// ciphertext[:0]), as crypto/cipher.AEAD allows, with and without a
// prefix in dst's backing array.
func TestInPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	c, _ := newTestAEAD(t, r, 32)
	for _, ptLen := range []int{0, 1, 15, 16, 17, 100, 257} {
		nonce, pt, aad := randBytes(r, NonceSize), randBytes(r, ptLen), randBytes(r, 13)
		want := c.Seal(nil, nonce, pt, aad)

		buf := make([]byte, ptLen, ptLen+TagSize)
		copy(buf, pt)
		ct := c.Seal(buf[:0], nonce, buf, aad)
		if !bytes.Equal(ct, want) || (ptLen > 0 && &ct[0] != &buf[0]) {
			t.Fatalf("pt %d: in-place Seal = %x, want %x in place", ptLen, ct, want)
		}
		got, err := c.Open(ct[:0], nonce, ct, aad)
		if err != nil || !bytes.Equal(got, pt) || (ptLen > 0 && &got[0] != &buf[0]) {
			t.Fatalf("pt %d: in-place Open = %x, %v; want %x in place", ptLen, got, err, pt)
		}

		// In place after a 5-byte prefix of the same array.
		buf = make([]byte, 5+ptLen, 5+ptLen+TagSize)
		copy(buf[5:], pt)
		ct = c.Seal(buf[5:5], nonce, buf[5:], aad)
		if !bytes.Equal(ct, want) {
			t.Fatalf("pt %d: in-place Seal after a prefix = %x, want %x", ptLen, ct, want)
		}
		if got, err := c.Open(buf[5:5], nonce, buf[5:5+len(ct)], aad); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("pt %d: in-place Open after a prefix: %v", ptLen, err)
		}
	}
}

// TestOpenFailureZeroes checks that a failed Open leaves no plaintext in
// dst's spare capacity, out of place and in place.
func TestOpenFailureZeroes(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	c, _ := newTestAEAD(t, r, 32)
	nonce, pt, aad := randBytes(r, NonceSize), bytes.Repeat([]byte{0xa5}, 100), randBytes(r, 9)
	ct := c.Seal(nil, nonce, pt, aad)
	bad := bytes.Clone(ct)
	bad[len(bad)-1] ^= 0x80

	dst := bytes.Repeat([]byte{0xee}, 3+len(pt)+7)[:3]
	if got, err := c.Open(dst, nonce, bad, aad); err != ErrOpen || got != nil {
		t.Fatalf("Open = %x, %v; want nil, ErrOpen", got, err)
	}
	full := dst[:cap(dst)]
	if !bytes.Equal(full[:3], []byte{0xee, 0xee, 0xee}) {
		t.Errorf("dst's existing bytes changed: %x", full[:3])
	}
	if !bytes.Equal(full[3:3+len(pt)], make([]byte, len(pt))) {
		t.Errorf("dst holds %x after a failed Open, want zeros", full[3:3+len(pt)])
	}

	// In place: the ciphertext's bytes become zeros, not plaintext.
	if _, err := c.Open(bad[:0], nonce, bad, aad); err != ErrOpen {
		t.Fatalf("in-place Open: %v, want ErrOpen", err)
	}
	if !bytes.Equal(bad[:len(pt)], make([]byte, len(pt))) {
		t.Errorf("in-place buffer holds %x after a failed Open, want zeros", bad[:len(pt)])
	}
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

// TestNonceAndOverlap checks the nonce length (Seal panics, Open returns
// ErrNonceSize) and the buffer overlaps that crypto/cipher.AEAD forbids.
func TestNonceAndOverlap(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	c, _ := newTestAEAD(t, r, 32)
	pt, aad := randBytes(r, 40), randBytes(r, 8)
	ct := c.Seal(nil, make([]byte, NonceSize), pt, aad)
	for _, n := range []int{0, 8, 11, 13, 16, 24} {
		nonce := make([]byte, n)
		mustPanic(t, "Seal with a short or long nonce", func() { c.Seal(nil, nonce, pt, aad) })
		if got, err := c.Open(nil, nonce, ct, aad); err != ErrNonceSize || got != nil {
			t.Errorf("Open with a %d-byte nonce: %x, %v; want nil, ErrNonceSize", n, got, err)
		}
	}
	nonce := make([]byte, NonceSize)

	buf := make([]byte, 200)
	copy(buf[1:], pt)
	mustPanic(t, "Seal with dst one byte before the plaintext", func() { c.Seal(buf[:0], nonce, buf[1:1+len(pt)], aad) })
	mustPanic(t, "Seal with dst one byte after the plaintext's start", func() { c.Seal(buf[2:2], nonce, buf[1:1+len(pt)], aad) })
	mustPanic(t, "Seal with dst over the additional data", func() { c.Seal(buf[:0], nonce, pt, buf[50:60]) })
	copy(buf[1:], ct)
	mustPanic(t, "Open with dst one byte before the ciphertext", func() { c.Open(buf[:0], nonce, buf[1:1+len(ct)], aad) })
	mustPanic(t, "Open with dst over the additional data", func() { c.Open(buf[100:100], nonce, ct, buf[110:120]) })

	// Disjoint parts of one array are fine.
	copy(buf, pt)
	if got := c.Seal(buf[64:64], nonce, buf[:len(pt)], aad); !bytes.Equal(got, ct) {
		t.Errorf("Seal into a disjoint part of the plaintext's array = %x, want %x", got, ct)
	}
}

// TestAllocations checks that Seal and Open allocate only the message
// key's AES schedule when dst has room. What that schedule costs is
// measured rather than assumed: aes.NewCipher allocates once where
// crypto/aes uses AES instructions or its generic code, but twice on s390x
// without the CPACF AES functions (qemu-s390x has none), where it adds a
// separately allocated expanded key as a fallback.
func TestAllocations(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	c, key := newTestAEAD(t, r, 32)
	schedule := testing.AllocsPerRun(100, func() {
		if _, err := aes.NewCipher(key); err != nil {
			t.Fatal(err)
		}
	})
	if schedule < 1 || schedule > maxScheduleAllocs {
		t.Fatalf("aes.NewCipher: %v allocations, want 1 to %d", schedule, maxScheduleAllocs)
	}
	nonce, pt, aad := randBytes(r, NonceSize), randBytes(r, 300), randBytes(r, 30)
	ct := c.Seal(nil, nonce, pt, aad)
	dst := make([]byte, 0, len(ct))
	if n := testing.AllocsPerRun(100, func() { c.Seal(dst, nonce, pt, aad) }); n > schedule {
		t.Errorf("Seal: %v allocations, want at most %v (one AES key schedule)", n, schedule)
	}
	if n := testing.AllocsPerRun(100, func() { c.Open(dst, nonce, ct, aad) }); n > schedule {
		t.Errorf("Open: %v allocations, want at most %v (one AES key schedule)", n, schedule)
	}
}

// maxScheduleAllocs bounds what TestAllocations accepts as the cost of one
// AES key schedule: 2, s390x's fallback (see TestAllocations).
const maxScheduleAllocs = 2

// TestCounterWrap checks the counter's wrap modulo 2^32 beyond the RFC's
// C.3 vectors: a key stream computed block by block with the counter
// incremented by hand in the first four bytes must match ctr's, starting
// just before the wrap.
func TestCounterWrap(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	c, _ := newTestAEAD(t, r, 32)
	enc := c.(*aead).kgk
	var tag [TagSize]byte
	tag[0], tag[1], tag[2], tag[3] = 0xfd, 0xff, 0xff, 0xff // counter 0xfffffffd
	tag[7] = 0x42
	src := randBytes(r, 5*16+3)
	dst := make([]byte, len(src))
	ctr(new(blocks), enc, &tag, dst, src)
	block := tag
	block[15] |= 0x80
	for i := 0; i < len(src); i += 16 {
		var ks [16]byte
		enc.Encrypt(ks[:], block[:])
		for j := i; j < min(i+16, len(src)); j++ {
			if dst[j] != src[j]^ks[j-i] {
				t.Fatalf("block %d: key stream differs", i/16)
			}
		}
		for k := 0; k < 4; k++ { // increment the little-endian counter
			block[k]++
			if block[k] != 0 {
				break
			}
		}
		if !bytes.Equal(block[4:], append(tag[4:15:15], tag[15]|0x80)) {
			t.Fatal("the counter carried beyond its four bytes")
		}
	}
}
