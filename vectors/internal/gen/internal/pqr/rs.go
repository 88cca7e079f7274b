package pqr

import (
	"errors"
	"sort"
)

// The erasure code. A message of even length L is read as L/2 big-endian
// 16-bit symbols; symbol i is the value at x = i/16 of polynomial i%16 (16
// interleaved polynomials, each through its own symbols at x = 0, 1, ...).
// Chunk number c (32 bytes) holds the 16 polynomials' values at x = c, each
// big-endian: chunks 0 .. L/32-1 are the message itself (systematic), later
// chunks are parity, and any L/32 distinct chunks give the message back.

// ChunkSize is the size of an erasure-code chunk's data.
const ChunkSize = 32

const numPolys = ChunkSize / 2

var errOddLength = errors.New("pqr: message length must be even")

// Chunk is one chunk of an erasure-coded message.
type Chunk struct {
	Index uint16
	Data  [ChunkSize]byte
}

// encoder emits chunks 0, 1, 2, ... of one message.
type encoder struct {
	next  uint32
	polys [numPolys][]point
}

func newEncoder(msg []byte) (*encoder, error) {
	if len(msg)%2 != 0 {
		return nil, errOddLength
	}
	e := &encoder{}
	for i := 0; i < len(msg)/2; i++ {
		p := i % numPolys
		e.polys[p] = append(e.polys[p], point{x: uint16(i / numPolys), y: uint16(msg[2*i])<<8 | uint16(msg[2*i+1])})
	}
	return e, nil
}

func (e *encoder) chunkAt(idx uint16) Chunk {
	c := Chunk{Index: idx}
	for p := 0; p < numPolys; p++ {
		var y uint16
		if int(idx) < len(e.polys[p]) {
			y = e.polys[p][idx].y
		} else {
			y = lagrangeAt(e.polys[p], idx)
		}
		c.Data[2*p], c.Data[2*p+1] = byte(y>>8), byte(y)
	}
	return c
}

func (e *encoder) nextChunk() Chunk {
	c := e.chunkAt(uint16(e.next))
	e.next++
	return c
}

func (e *encoder) clone() *encoder {
	if e == nil {
		return nil
	}
	c := *e
	return &c // the point slices are never modified after creation
}

// decoder collects chunks of a message of a known length.
type decoder struct {
	symbols int
	pts     [numPolys][]point // sorted by x, distinct x
}

func newDecoder(length int) *decoder { return &decoder{symbols: length / 2} }

// needed is how many points polynomial p needs.
func (d *decoder) needed(p int) int {
	n := d.symbols / numPolys
	if p < d.symbols%numPolys {
		n++
	}
	return n
}

// add records a chunk's points: a point is kept when its x is below what
// the polynomial needs (a systematic symbol) or while the polynomial has
// fewer points than it needs; a repeated x keeps the first value.
func (d *decoder) add(c Chunk) {
	x := c.Index
	for p := 0; p < numPolys; p++ {
		y := uint16(c.Data[2*p])<<8 | uint16(c.Data[2*p+1])
		if int(x) >= d.needed(p) && len(d.pts[p]) >= d.needed(p) {
			continue
		}
		i := sort.Search(len(d.pts[p]), func(i int) bool { return d.pts[p][i].x >= x })
		if i < len(d.pts[p]) && d.pts[p][i].x == x {
			continue
		}
		d.pts[p] = append(d.pts[p], point{})
		copy(d.pts[p][i+1:], d.pts[p][i:])
		d.pts[p][i] = point{x, y}
	}
}

// message returns the decoded message, or nil while chunks are missing.
// Symbols whose x was received are taken as received; the others are
// interpolated from each polynomial's first needed points (lowest x).
func (d *decoder) message() []byte {
	for p := 0; p < numPolys; p++ {
		if len(d.pts[p]) < d.needed(p) {
			return nil
		}
	}
	out := make([]byte, 0, 2*d.symbols)
	for i := 0; i < d.symbols; i++ {
		p, x := i%numPolys, uint16(i/numPolys)
		var y uint16
		found := false
		for _, pt := range d.pts[p] {
			if pt.x == x {
				y, found = pt.y, true
				break
			}
		}
		if !found {
			y = lagrangeAt(d.pts[p][:d.needed(p)], x)
		}
		out = append(out, byte(y>>8), byte(y))
	}
	return out
}

func (d *decoder) clone() *decoder {
	if d == nil {
		return nil
	}
	c := &decoder{symbols: d.symbols}
	for p := range d.pts {
		c.pts[p] = append([]point(nil), d.pts[p]...)
	}
	return c
}
