package gcmsiv

import (
	"crypto/aes"
	"crypto/cipher"
	"testing"

	"github.com/forwardsecret/signal/internal/cputime"
)

var sinkBytes []byte

// benchSizes are a small sealed sender body and a large one.
var benchSizes = []struct {
	name string
	n    int
}{{"100B", 100}, {"8KiB", 8 << 10}}

// benchAEADs are AES-256-GCM-SIV and, as a floor reference,
// crypto/cipher's AES-256-GCM (hardware GHASH and pipelined CTR where the
// CPU has them), both under a 32-byte key.
func benchAEADs(b *testing.B) []struct {
	name string
	c    cipher.AEAD
} {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	siv, err := New(key)
	if err != nil {
		b.Fatal(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		b.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		b.Fatal(err)
	}
	return []struct {
		name string
		c    cipher.AEAD
	}{{"AES-256-GCM-SIV", siv}, {"AES-256-GCM", gcm}}
}

// BenchmarkSeal seals 100 bytes and 8 KiB with 13 bytes of additional
// data into a dst with room, so the allocations are the AEAD's own.
func BenchmarkSeal(b *testing.B) {
	for _, a := range benchAEADs(b) {
		for _, s := range benchSizes {
			b.Run(a.name+"/"+s.name, func(b *testing.B) {
				nonce, pt, aad := make([]byte, 12), make([]byte, s.n), make([]byte, 13)
				dst := make([]byte, 0, s.n+TagSize)
				b.SetBytes(int64(s.n))
				b.ReportAllocs()
				cputime.ThreadLoop(b, func() {
					sinkBytes = a.c.Seal(dst, nonce, pt, aad)
				})
			})
		}
	}
}

// BenchmarkOpen opens what BenchmarkSeal seals.
func BenchmarkOpen(b *testing.B) {
	for _, a := range benchAEADs(b) {
		for _, s := range benchSizes {
			b.Run(a.name+"/"+s.name, func(b *testing.B) {
				nonce, pt, aad := make([]byte, 12), make([]byte, s.n), make([]byte, 13)
				ct := a.c.Seal(nil, nonce, pt, aad)
				dst := make([]byte, 0, s.n)
				b.SetBytes(int64(s.n))
				b.ReportAllocs()
				cputime.ThreadLoop(b, func() {
					var err error
					if sinkBytes, err = a.c.Open(dst, nonce, ct, aad); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}

// BenchmarkPolyval measures POLYVAL alone over 8 KiB.
func BenchmarkPolyval(b *testing.B) {
	h := make([]byte, 16)
	h[0] = 1
	data := make([]byte, 8<<10)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var out [16]byte
	cputime.ThreadLoop(b, func() {
		var p polyval
		p.init(h)
		p.update(data)
		p.sum(out[:])
	})
	sinkBytes = out[:]
}
