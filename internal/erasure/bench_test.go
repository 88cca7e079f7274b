package erasure

import (
	"math/rand/v2"
	"testing"

	"github.com/forwardsecret/signal/internal/cputime"
)

var sinkChunk Chunk
var sinkMsg []byte

// BenchmarkEncode measures encoding an SPQR encapsulation key (1152 bytes):
// the 36 systematic chunks, then 36 computed ones.
func BenchmarkEncode(b *testing.B) {
	msg := randMsg(rand.New(rand.NewPCG(1, 1)), 1152)
	b.Run("systematic-36", func(b *testing.B) {
		b.ReportAllocs()
		cputime.ThreadLoop(b, func() {
			e, _ := NewEncoder(msg)
			for range 36 {
				sinkChunk = e.Next()
			}
		})
	})
	b.Run("parity-36", func(b *testing.B) {
		b.ReportAllocs()
		cputime.ThreadLoop(b, func() {
			e, _ := NewEncoder(msg)
			for i := range 36 {
				sinkChunk = e.Chunk(uint16(36 + i))
			}
		})
	})
}

// BenchmarkDecode measures decoding 1152 bytes from systematic chunks only
// and from parity chunks only (full interpolation).
func BenchmarkDecode(b *testing.B) {
	msg := randMsg(rand.New(rand.NewPCG(1, 1)), 1152)
	e, _ := NewEncoder(msg)
	var sys, par []Chunk
	for i := range 36 {
		sys = append(sys, e.Chunk(uint16(i)))
		par = append(par, e.Chunk(uint16(100+i)))
	}
	for _, c := range []struct {
		name   string
		chunks []Chunk
	}{{"systematic", sys}, {"parity", par}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			cputime.ThreadLoop(b, func() {
				d, _ := NewDecoder(1152)
				for _, ch := range c.chunks {
					d.Add(ch)
				}
				sinkMsg, _ = d.Message()
			})
		})
	}
}
