package erasure

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecoder feeds arbitrary chunk sequences to a decoder: the first two
// bytes pick the message length, then every 34 bytes are a chunk (index,
// data). It must never panic, its state must round-trip, and a decoded
// message must reproduce every systematic chunk it was given.
func FuzzDecoder(f *testing.F) {
	for _, size := range []int{96, 160, 960, 1152} {
		msg := bytes.Repeat([]byte{byte(size)}, size)
		e, _ := NewEncoder(msg)
		in := []byte{byte(size >> 8), byte(size)}
		for i := range size/32 + 2 {
			c := e.Chunk(uint16(3*i + 1))
			in = append(in, byte(c.Index>>8), byte(c.Index))
			in = append(in, c.Data[:]...)
		}
		f.Add(in)
	}
	f.Add([]byte{0, 0})
	f.Add([]byte{0xff, 0xff, 0, 1})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 2 {
			return
		}
		size := (int(in[0])<<8 | int(in[1])) % 2048
		d, err := NewDecoder(size)
		if err != nil {
			if !errors.Is(err, ErrOddLength) {
				t.Fatal(err)
			}
			return
		}
		systematic := map[uint16][ChunkSize]byte{}
		for in = in[2:]; len(in) >= 2+ChunkSize; in = in[2+ChunkSize:] {
			var c Chunk
			c.Index = uint16(in[0])<<8 | uint16(in[1])
			copy(c.Data[:], in[2:])
			if int(c.Index) < size/32 {
				if _, dup := systematic[c.Index]; !dup {
					systematic[c.Index] = c.Data
				}
			}
			d.Add(c)
		}
		d2, err := NewDecoderFromState(d.State(), size)
		if err != nil {
			t.Fatalf("state does not round-trip: %v", err)
		}
		msg, ok := d.Message()
		msg2, ok2 := d2.Message()
		if ok != ok2 || !bytes.Equal(msg, msg2) {
			t.Fatal("restored decoder decodes differently")
		}
		if !ok {
			return
		}
		if len(msg) != size {
			t.Fatalf("len = %d, want %d", len(msg), size)
		}
		for idx, data := range systematic {
			if !bytes.Equal(msg[32*int(idx):32*int(idx)+32], data[:]) {
				t.Fatalf("systematic chunk %d not reproduced", idx)
			}
		}
		// Re-encoding the result yields a code word consistent with it.
		e, err := NewEncoder(msg)
		if err != nil {
			t.Fatal(err)
		}
		d3, _ := NewDecoder(size)
		for i := range (size + 31) / 32 {
			d3.Add(e.Chunk(uint16(i + 7)))
		}
		if m3, ok := d3.Message(); !ok || !bytes.Equal(m3, msg) {
			t.Fatal("re-encoded message does not decode to itself")
		}
	})
}
