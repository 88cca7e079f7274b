//go:build !race && linux

package gcmsiv

// Like limits_test.go, this file makes slices longer than their arrays
// (never read or written), which the race detector's pointer checks
// refuse; and it maps 2^36+16 bytes of address space (no memory), which
// needs Linux's MAP_NORESERVE.

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// panicMessage runs f and returns what it panicked with ("" for no panic).
func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

// TestLimitsInclusive: a plaintext, additional data or ciphertext of
// exactly its limit passes the size checks (RFC 8452 section 6 allows
// them). Processing 2^36 bytes is out of the question, so each call is
// made to fail at the next check, the buffer overlap, before it reads or
// writes a byte: the panic or error it ends with tells which check
// stopped it.
func TestLimitsInclusive(t *testing.T) {
	if bits.UintSize < 64 {
		t.Skip("lengths of 2^36 need a 64-bit int")
	}
	r := rand.New(rand.NewPCG(21, 22))
	c, _ := newTestAEAD(t, r, 32)
	var small [1]byte
	huge := func(n uint64) []byte { return unsafe.Slice(&small[0], n) }
	nonce := make([]byte, NonceSize)

	// Seal of MaxPlaintextSize bytes, dst one byte into the plaintext.
	dst := huge(MaxPlaintextSize + TagSize + 1)[:1]
	if msg := panicMessage(func() { c.Seal(dst, nonce, huge(MaxPlaintextSize), nil) }); !strings.Contains(msg, "overlap of output and input") {
		t.Errorf("Seal of MaxPlaintextSize bytes: panic %q, want the overlap's", msg)
	}
	if msg := panicMessage(func() { c.Seal(dst, nonce, huge(MaxPlaintextSize+1), nil) }); !strings.Contains(msg, "plaintext too large") {
		t.Errorf("Seal of MaxPlaintextSize+1 bytes: panic %q", msg)
	}
	// Seal with MaxAdditionalDataSize bytes of additional data, under dst.
	dst = huge(TagSize)[:0]
	if msg := panicMessage(func() { c.Seal(dst, nonce, nil, huge(MaxAdditionalDataSize)) }); !strings.Contains(msg, "overlap of output and additional data") {
		t.Errorf("Seal with MaxAdditionalDataSize bytes of additional data: panic %q, want the overlap's", msg)
	}
	if msg := panicMessage(func() { c.Seal(dst, nonce, nil, huge(MaxAdditionalDataSize+1)) }); !strings.Contains(msg, "additional data too large") {
		t.Errorf("Seal with MaxAdditionalDataSize+1 bytes of additional data: panic %q", msg)
	}
	// Open with MaxAdditionalDataSize bytes of additional data, under dst.
	ct := c.Seal(nil, nonce, make([]byte, 10), nil)
	dst = huge(10)[:0]
	if msg := panicMessage(func() { c.Open(dst, nonce, ct, huge(MaxAdditionalDataSize)) }); !strings.Contains(msg, "overlap of output and additional data") {
		t.Errorf("Open with MaxAdditionalDataSize bytes of additional data: panic %q, want the overlap's", msg)
	}
	if _, err := c.Open(dst, nonce, ct, huge(MaxAdditionalDataSize+1)); err != ErrOpen {
		t.Errorf("Open with MaxAdditionalDataSize+1 bytes of additional data: %v", err)
	}
	// Open of MaxCiphertextSize bytes: Open reads the tag (the last 16
	// bytes) before the overlap check, so the ciphertext is a read-only
	// mapping of that size (zero pages, no memory reserved), and dst
	// starts one byte into it. Only on amd64: under qemu-user (the other
	// architectures in .ci/platforms) the mapping takes seconds.
	if runtime.GOARCH != "amd64" {
		return
	}
	size := uint64(MaxCiphertextSize) // a variable: the constant overflows a 32-bit int
	m, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_READ, syscall.MAP_ANON|syscall.MAP_PRIVATE|syscall.MAP_NORESERVE)
	if err != nil {
		t.Skipf("cannot map %d bytes of address space: %v", size, err)
	}
	defer syscall.Munmap(m)
	if msg := panicMessage(func() { c.Open(m[1:1], nonce, m, nil) }); !strings.Contains(msg, "overlap of output and input") {
		t.Errorf("Open of MaxCiphertextSize bytes: panic %q, want the overlap's", msg)
	}
}

// TestOverlapEdges: buffers that share a single byte, at either end,
// overlap.
func TestOverlapEdges(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	c, _ := newTestAEAD(t, r, 32)
	nonce := make([]byte, NonceSize)
	pt := randBytes(r, 20)
	buf := make([]byte, 200)
	// The additional data's last byte is the output's first.
	mustPanic(t, "Seal with additional data ending at the output's first byte", func() { c.Seal(buf[9:9], nonce, pt, buf[0:10]) })
	// The additional data's first byte is the output's last.
	n := len(pt) + TagSize
	mustPanic(t, "Seal with additional data starting at the output's last byte", func() { c.Seal(buf[:0], nonce, pt, buf[n-1:n+5]) })
	// One byte apart on either side is fine.
	want := c.Seal(nil, nonce, pt, buf[0:9])
	if got := c.Seal(buf[9:9], nonce, pt, buf[0:9]); string(got) != string(want) {
		t.Error("Seal with the additional data just before the output")
	}
	copy(buf[100:], buf[n:n+5])
	want = c.Seal(nil, nonce, pt, buf[100:105])
	if got := c.Seal(buf[:0], nonce, pt, buf[n:n+5]); string(got) != string(want) {
		t.Error("Seal with the additional data just after the output")
	}
	if anyOverlap(buf[0:10], buf[10:20]) || anyOverlap(buf[10:20], buf[0:10]) || !anyOverlap(buf[0:10], buf[9:20]) || !anyOverlap(buf[9:20], buf[0:10]) {
		t.Error("anyOverlap at the edges")
	}
}
