//go:build !race

package gcmsiv

// TestLimits makes slices longer than the limits with unsafe.Slice over a
// small array (never read): the race detector's pointer checks
// (checkptr) refuse such slices, so it runs without -race only.

import (
	"math/bits"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestLimits checks the RFC 8452 section 6 limits without allocating:
// slices longer than the limits are made with unsafe.Slice over a small
// array, and Seal and Open must refuse them before reading any byte.
func TestLimits(t *testing.T) {
	if bits.UintSize < 64 {
		t.Skip("lengths beyond 2^36 need a 64-bit int")
	}
	r := rand.New(rand.NewPCG(15, 16))
	c, _ := newTestAEAD(t, r, 32)
	var small [1]byte
	huge := func(n uint64) []byte { return unsafe.Slice(&small[0], n) }
	nonce := make([]byte, NonceSize)
	mustPanic(t, "Seal of MaxPlaintextSize+1 bytes", func() { c.Seal(nil, nonce, huge(MaxPlaintextSize+1), nil) })
	mustPanic(t, "Seal with MaxAdditionalDataSize+1 bytes of additional data", func() { c.Seal(nil, nonce, nil, huge(MaxAdditionalDataSize+1)) })
	if _, err := c.Open(nil, nonce, huge(MaxCiphertextSize+1), nil); err != ErrOpen {
		t.Errorf("Open of MaxCiphertextSize+1 bytes: %v, want ErrOpen", err)
	}
	ct := c.Seal(nil, nonce, nil, nil)
	if _, err := c.Open(nil, nonce, ct, huge(MaxAdditionalDataSize+1)); err != ErrOpen {
		t.Errorf("Open with MaxAdditionalDataSize+1 bytes of additional data: %v, want ErrOpen", err)
	}
	if MaxCiphertextSize != 1<<36+16 || MaxPlaintextSize != 1<<36 || MaxAdditionalDataSize != 1<<36 {
		t.Error("limits differ from RFC 8452 section 6")
	}
}
