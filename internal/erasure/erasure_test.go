package erasure

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// gfMulRef is a plain carry-less multiplication followed by long division.
func gfMulRef(a, b uint16) uint16 {
	var p uint32
	for i := range 16 {
		if b>>i&1 == 1 {
			p ^= uint32(a) << i
		}
	}
	for i := 31; i >= 16; i-- {
		if p>>i&1 == 1 {
			p ^= Poly << (i - 16)
		}
	}
	return uint16(p)
}

func TestGF(t *testing.T) {
	tablesOnce.Do(initTables)
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		a, b, c := uint16(r.Uint32()), uint16(r.Uint32()), uint16(r.Uint32())
		if gfMul(a, b) != gfMulRef(a, b) || gfMulSlow(a, b) != gfMulRef(a, b) {
			t.Fatalf("gfMul(%#x, %#x) = %#x, want %#x", a, b, gfMul(a, b), gfMulRef(a, b))
		}
		if gfMul(a, b^c) != gfMul(a, b)^gfMul(a, c) {
			t.Fatal("not distributive")
		}
	}
	// Every non-zero element has an inverse, and x = 2 generates the whole
	// multiplicative group (the polynomial is primitive).
	for a := 1; a < 1<<16; a++ {
		if gfMul(uint16(a), gfInv(uint16(a))) != 1 {
			t.Fatalf("inverse of %#x", a)
		}
	}
	x, order := uint16(2), 1
	for x != 1 {
		x = gfMul(x, 2)
		order++
	}
	if order != 1<<16-1 {
		t.Fatalf("order of x = %d", order)
	}
	// x^16 = x^12 + x^3 + x + 1.
	if got := gfMul(1<<15, 2); got != 0x100b {
		t.Fatalf("x^16 = %#x", got)
	}
}

// TestMulByConst checks the table-per-digit multiplication by a constant
// against the reference, for every factor of some constants and random
// pairs.
func TestMulByConst(t *testing.T) {
	for _, c := range []uint16{0, 1, 2, 3, 0x8000, 0xffff, 0x100b, 37} {
		var m mulByConst
		m.init(c)
		for y := range 1 << 16 {
			if got, want := m.mul(uint16(y)), gfMulRef(uint16(y), c); got != want {
				t.Fatalf("%#x·%#x = %#x, want %#x", y, c, got, want)
			}
		}
	}
	r := rand.New(rand.NewPCG(9, 9))
	for range 20000 {
		y, c := uint16(r.Uint32()), uint16(r.Uint32())
		var m mulByConst
		m.init(c)
		if m.mul(y) != gfMulRef(y, c) {
			t.Fatalf("%#x·%#x", y, c)
		}
	}
}

func randMsg(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestSystematic checks that the first chunks are the message itself.
func TestSystematic(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	msg := randMsg(r, 1152)
	e, err := NewEncoder(msg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1152 / 32 {
		c := e.Next()
		if int(c.Index) != i || !bytes.Equal(c.Data[:], msg[32*i:32*i+32]) {
			t.Fatalf("chunk %d is not systematic", i)
		}
	}
}

// TestAnySubsetRecovers is the property test: for SPQR's message sizes and
// random even sizes, any ceil(L/32) distinct chunks, drawn from the first
// few hundred indexes (random erasures), delivered in random order with
// random duplicates, recover the message; fewer distinct chunks do not.
func TestAnySubsetRecovers(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	sizes := []int{96, 160, 960, 1152, 2, 32, 34, 62, 100, 500}
	iters := 300
	if testing.Short() {
		iters = 40
	}
	for it := range iters {
		size := sizes[it%len(sizes)]
		if it >= 2*len(sizes) && it%3 == 0 {
			size = 2 * (1 + r.IntN(700))
		}
		msg := randMsg(r, size)
		e, err := NewEncoder(msg)
		if err != nil {
			t.Fatal(err)
		}
		need := (size + 31) / 32
		pool := need + 1 + r.IntN(3*need+40)
		chunks := make([]Chunk, pool)
		for i := range chunks {
			chunks[i] = e.Next()
		}
		// A random subset of exactly `need` distinct chunks.
		perm := r.Perm(pool)[:need]
		var deliver []Chunk
		for _, i := range perm {
			deliver = append(deliver, chunks[i])
			if r.IntN(4) == 0 { // duplicate
				deliver = append(deliver, chunks[i])
			}
		}
		r.Shuffle(len(deliver), func(i, j int) { deliver[i], deliver[j] = deliver[j], deliver[i] })
		d, err := NewDecoder(size)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[uint16]bool{}
		for _, c := range deliver {
			if _, ok := d.Message(); ok && len(seen) < need {
				t.Fatalf("size %d: decoded with %d < %d distinct chunks", size, len(seen), need)
			}
			d.Add(c)
			seen[c.Index] = true
			// The state survives a round trip at every step.
			d2, err := NewDecoderFromState(d.State(), size)
			if err != nil {
				t.Fatal(err)
			}
			d = d2
		}
		got, ok := d.Message()
		if !ok || !bytes.Equal(got, msg) {
			t.Fatalf("size %d, chunks %v: not recovered", size, perm)
		}
	}
}

// TestEncoderState checks the encoder's two stored forms: points before the
// first non-systematic chunk, coefficients after, and that both resume with
// the same chunks.
func TestEncoderState(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	msg := randMsg(r, 96)
	e, _ := NewEncoder(msg)
	var want []Chunk
	for range 10 {
		s := e.State()
		if e.NextIndex() < 3 && (len(s.Points) != NumPolys || s.Polys != nil) {
			t.Fatal("systematic encoder should store points")
		}
		if e.NextIndex() > 3 && (len(s.Polys) != NumPolys || s.Points != nil || len(s.Polys[0]) != 6) {
			t.Fatalf("encoder past the systematic chunks should store 3 coefficients per poly: %v", s)
		}
		e2, err := NewEncoderFromState(s, 1000)
		if err != nil {
			t.Fatal(err)
		}
		c1, c2 := e.Next(), e2.Next()
		if c1 != c2 {
			t.Fatal("restored encoder differs")
		}
		want = append(want, c1)
	}
	// The coefficient form evaluates to the message at 0, 1, 2.
	for i, c := range want[:3] {
		e3, _ := NewEncoder(msg)
		e3.Chunk(5)
		if e3.Chunk(uint16(i)) != c {
			t.Fatal("coefficient form is not the interpolating polynomial")
		}
	}
}

func TestErrors(t *testing.T) {
	if _, err := NewEncoder(make([]byte, 3)); !errors.Is(err, ErrOddLength) {
		t.Error(err)
	}
	if _, err := NewEncoder(make([]byte, MaxMessageSize+2)); !errors.Is(err, ErrTooLong) {
		t.Error(err)
	}
	if _, err := NewDecoder(5); !errors.Is(err, ErrOddLength) {
		t.Error(err)
	}
	if _, err := NewEncoderFromState(EncoderState{Points: [][]byte{{1}}}, 10); !errors.Is(err, ErrInvalidState) {
		t.Error(err)
	}
	if _, err := NewDecoderFromState(DecoderState{PtsNeeded: 48, Points: make([][]byte, 16)}, 1152); !errors.Is(err, ErrInvalidState) {
		t.Error(err)
	}
}

// TestParityKnownAnswer pins the code's conventions with a message of two
// chunks: each polynomial is the line through (0, y0) and (1, y1), so chunk
// c carries y0 + c·(y0 + y1) with c taken as a field element, big-endian.
func TestParityKnownAnswer(t *testing.T) {
	msg := make([]byte, 64)
	for i := range msg {
		msg[i] = byte(7*i + 3)
	}
	e, _ := NewEncoder(msg)
	for _, c := range []uint16{2, 3, 1000, 65535} {
		ch := e.Chunk(c)
		for j := range NumPolys {
			y0 := uint16(msg[2*j])<<8 | uint16(msg[2*j+1])
			y1 := uint16(msg[32+2*j])<<8 | uint16(msg[32+2*j+1])
			want := y0 ^ gfMulRef(c, y0^y1)
			if got := uint16(ch.Data[2*j])<<8 | uint16(ch.Data[2*j+1]); got != want {
				t.Fatalf("chunk %d poly %d = %#x, want %#x", c, j, got, want)
			}
		}
	}
}
