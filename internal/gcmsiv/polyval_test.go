package gcmsiv

import (
	"bytes"
	"encoding/hex"
	"math/big"
	"math/rand/v2"
	"testing"
)

// The reference arithmetic below is slow and written to be obviously
// correct: polynomials over GF(2) are big.Int bit sets (bit k is the
// coefficient of x^k), multiplied by shifting and XORing, and reduced by
// cancelling the top bit with a shifted P.

// refP is P(x) = x^128 + x^127 + x^126 + x^121 + 1.
var refP = func() *big.Int {
	p := new(big.Int)
	for _, k := range []int{128, 127, 126, 121, 0} {
		p.SetBit(p, k, 1)
	}
	return p
}()

// refFromBytes reads a 16-byte little-endian field element.
func refFromBytes(b []byte) *big.Int {
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	return new(big.Int).SetBytes(be)
}

// refToBytes writes a field element as 16 little-endian bytes.
func refToBytes(v *big.Int) []byte {
	out := make([]byte, 16)
	for k := range 128 {
		if v.Bit(k) == 1 {
			out[k/8] |= 1 << (k % 8)
		}
	}
	return out
}

// refMulMod returns a * b mod P, one bit at a time.
func refMulMod(a, b *big.Int) *big.Int {
	r := new(big.Int)
	for i := range a.BitLen() {
		if a.Bit(i) == 1 {
			r.Xor(r, new(big.Int).Lsh(b, uint(i)))
		}
	}
	for i := r.BitLen() - 1; i >= 128; i-- {
		if r.Bit(i) == 1 {
			r.Xor(r, new(big.Int).Lsh(refP, uint(i-128)))
		}
	}
	return r
}

// refDot returns a * b * x^-128 mod P: the product, then 128 divisions by
// x (adding P first when the constant term is set, which makes the value
// divisible by x without changing it mod P).
func refDot(a, b *big.Int) *big.Int {
	r := refMulMod(a, b)
	for range 128 {
		if r.Bit(0) == 1 {
			r.Xor(r, refP)
		}
		r.Rsh(r, 1)
	}
	return r
}

// refPolyval is POLYVAL(H, X_1, ..., X_s) as RFC 8452 section 3 defines it.
func refPolyval(h []byte, blocks []byte) []byte {
	hv, s := refFromBytes(h), new(big.Int)
	for ; len(blocks) > 0; blocks = blocks[16:] {
		s = refDot(new(big.Int).Xor(s, refFromBytes(blocks[:16])), hv)
	}
	return refToBytes(s)
}

func implPolyval(h []byte, blocks []byte) []byte {
	var p polyval
	p.init(h)
	p.update(blocks)
	out := make([]byte, 16)
	p.sum(out)
	return out
}

// TestPolyvalRFC8452AppendixA checks the worked example of RFC 8452
// Appendix A, POLYVAL(H, X_1, X_2), with this package's POLYVAL and with
// the reference, and the appendix's mulX_POLYVAL examples (multiplication
// by x), computed as dot(v, x^129 mod P). The second mulX_POLYVAL value is
// the one of the RFC's verified erratum 5854 (the original text misprints
// its last byte).
func TestPolyvalRFC8452AppendixA(t *testing.T) {
	h := unhex(t, "25629347589242761d31f826ba4b757b")
	x := unhex(t, "4f4f95668c83dfb6401762bb2d01a262"+"d1a24ddd2721d006bbe45f20d3c9f362")
	want := "f7a3b47b846119fae5b7866cf5e5b77e"
	if got := hex.EncodeToString(implPolyval(h, x)); got != want {
		t.Errorf("POLYVAL(H, X_1, X_2) = %s, want %s", got, want)
	}
	if got := hex.EncodeToString(refPolyval(h, x)); got != want {
		t.Errorf("reference POLYVAL(H, X_1, X_2) = %s, want %s", got, want)
	}

	// x * v = v * x^129 * x^-128 = dot(v, x^129 mod P).
	x129 := refMulMod(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(2))
	key := newFieldKey(loadElement(refToBytes(x129)))
	for _, c := range []struct{ in, out string }{
		{"01000000000000000000000000000000", "02000000000000000000000000000000"},
		{"9c98c04df9387ded828175a92ba652d8", "3931819bf271fada0503eb52574ca572"},
	} {
		got := make([]byte, 16)
		key.dot(loadElement(unhex(t, c.in))).put(got)
		if hex.EncodeToString(got) != c.out {
			t.Errorf("mulX_POLYVAL(%s) = %x, want %s", c.in, got, c.out)
		}
		if ref := refToBytes(refMulMod(refFromBytes(unhex(t, c.in)), big.NewInt(2))); hex.EncodeToString(ref) != c.out {
			t.Errorf("reference mulX_POLYVAL(%s) = %x, want %s", c.in, ref, c.out)
		}
	}
}

// refClmul64 is the carry-less product of x and y, one bit at a time.
func refClmul64(x, y uint64) (hi, lo uint64) {
	for i := range 64 {
		if y>>i&1 == 1 {
			lo ^= x << i
			if i > 0 {
				hi ^= x >> (64 - i)
			}
		}
	}
	return hi, lo
}

// denseWords are 64-bit values with many set bits in every lane and in
// the top four bits, where the lanes' partial sums are largest.
var denseWords = []uint64{
	0, 1, 1 << 63, 0xffffffffffffffff, 0x0fffffffffffffff, 0xf000000000000000,
	0x7fffffffffffffff, 0xfffffffffffffffe, 0x8000000000000001,
	lane0, lane1, lane2, lane3, lane0 | lane3, 0xaaaaaaaaaaaaaaaa, 0x5555555555555555,
	0xff00ff00ff00ff00, 0x00ff00ff00ff00ff, 0xfffffffff0000000, 0x00000000ffffffff,
}

// TestClmul64 cross-checks the masked-multiplication carry-less product
// against the bit-by-bit one, over dense edge values and random ones.
func TestClmul64(t *testing.T) {
	check := func(x, y uint64) {
		m := newMultiplier(y)
		hi, lo := clmul64(x, &m)
		wh, wl := refClmul64(x, y)
		if hi != wh || lo != wl {
			t.Fatalf("clmul64(%#x, %#x) = %#x:%#x, want %#x:%#x", x, y, hi, lo, wh, wl)
		}
	}
	for _, x := range denseWords {
		for _, y := range denseWords {
			check(x, y)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		x, y := r.Uint64(), r.Uint64()
		check(x, y)
		check(x|y, x|^y) // denser
	}
}

// TestDotAgainstReference cross-checks dot(a, H), the field product of
// POLYVAL, against the bit-by-bit reference over random and dense inputs,
// and POLYVAL over random multi-block inputs.
func TestDotAgainstReference(t *testing.T) {
	check := func(a, h []byte) {
		key := newFieldKey(loadElement(h))
		got := make([]byte, 16)
		key.dot(loadElement(a)).put(got)
		if want := refToBytes(refDot(refFromBytes(a), refFromBytes(h))); !bytes.Equal(got, want) {
			t.Fatalf("dot(%x, %x) = %x, want %x", a, h, got, want)
		}
	}
	elem := func(lo, hi uint64) []byte {
		b := make([]byte, 16)
		fieldElement{lo: lo, hi: hi}.put(b)
		return b
	}
	for _, lo := range denseWords[:9] {
		for _, hi := range denseWords[:9] {
			for _, hlo := range []uint64{0xffffffffffffffff, 1, 1 << 63, 0x0123456789abcdef} {
				check(elem(lo, hi), elem(hlo, ^hi))
			}
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		check(elem(r.Uint64(), r.Uint64()), elem(r.Uint64(), r.Uint64()))
	}
	for n := range 9 {
		h, x := make([]byte, 16), make([]byte, 16*n)
		for i := range h {
			h[i] = byte(r.Uint32())
		}
		for i := range x {
			x[i] = byte(r.Uint32())
		}
		if got, want := implPolyval(h, x), refPolyval(h, x); !bytes.Equal(got, want) {
			t.Fatalf("POLYVAL over %d blocks = %x, want %x", n, got, want)
		}
	}
}

// TestUpdatePadded checks that updatePadded equals update over the data
// padded with zeros to a whole number of blocks.
func TestUpdatePadded(t *testing.T) {
	h := unhex(t, "25629347589242761d31f826ba4b757b")
	data := make([]byte, 70)
	for i := range data {
		data[i] = byte(7*i + 1)
	}
	for n := range len(data) + 1 {
		var p polyval
		p.init(h)
		p.updatePadded(data[:n])
		got := make([]byte, 16)
		p.sum(got)
		padded := make([]byte, (n+15)/16*16)
		copy(padded, data[:n])
		if want := refPolyval(h, padded); !bytes.Equal(got, want) {
			t.Fatalf("length %d: %x, want %x", n, got, want)
		}
	}
}
