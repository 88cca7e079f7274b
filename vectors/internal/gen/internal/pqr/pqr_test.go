package pqr

import (
	"bytes"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestStandardLibraryOnly: the package imports only the standard library.
func TestStandardLibraryOnly(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
	if len(files) < 4 {
		t.Fatalf("only %d files", len(files))
	}
	_ = os.Stdout
}

func TestGF(t *testing.T) {
	// x^16 = x^12 + x^3 + x + 1
	if got := gfMul(1<<15, 2); got != 0x100b {
		t.Fatalf("x^15 * x = %#x, want 0x100b", got)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		a, b, c := uint16(r.Uint32()), uint16(r.Uint32()), uint16(r.Uint32())
		if gfMul(a, b) != gfMul(b, a) || gfMul(a, b^c) != gfMul(a, b)^gfMul(a, c) || gfMul(gfMul(a, b), c) != gfMul(a, gfMul(b, c)) {
			t.Fatal("field laws")
		}
		if a != 0 && gfMul(a, gfInv(a)) != 1 {
			t.Fatalf("inverse of %#x", a)
		}
	}
}

// TestErasure: any L/32 distinct chunks give the message back, and the first
// chunks are the message itself.
func TestErasure(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{96, 160, 960, 1152} {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte(r.Uint32())
		}
		e := mustEncoder(msg)
		var sys []byte
		for i := 0; i < n/32; i++ {
			c := e.chunkAt(uint16(i))
			sys = append(sys, c.Data[:]...)
		}
		// Chunk i holds symbols i*16 .. i*16+15 only when each polynomial
		// holds one symbol per x: symbol j is poly j%16 at x j/16.
		if !bytes.Equal(sys, msg) {
			t.Fatalf("%d: systematic chunks differ from the message", n)
		}
		for trial := 0; trial < 5; trial++ {
			d := newDecoder(n)
			idx := r.Perm(n/32 + 40)
			for k, i := range idx[:n/32] {
				if d.message() != nil {
					t.Fatalf("%d: decoded after %d chunks", n, k)
				}
				d.add(e.chunkAt(uint16(i)))
			}
			if got := d.message(); !bytes.Equal(got, msg) {
				t.Fatalf("%d: decoded wrongly from chunks %v", n, idx[:n/32])
			}
		}
	}
}

func drawer(r *rand.ChaCha8) func(int) ([]byte, error) {
	return func(n int) ([]byte, error) {
		b := make([]byte, n)
		r.Read(b)
		return b, nil
	}
}

// TestPingPong: keys agree, every message type appears, epochs complete.
func TestPingPong(t *testing.T) {
	auth := bytes.Repeat([]byte{41}, 32)
	a, b := New(auth, true), New(auth, false)
	rng := rand.NewChaCha8([32]byte{1})
	types := map[Type]int{}
	for i := 0; i < 400; i++ {
		for _, p := range [][2]*State{{a, b}, {b, a}} {
			msg, key, info, err := p[0].Send(drawer(rng))
			if err != nil {
				t.Fatal(err)
			}
			types[info.Message.Type]++
			got, _, err := p[1].Recv(msg)
			if err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
			if len(key) != 32 || !bytes.Equal(got, key) {
				t.Fatalf("round %d: keys differ", i)
			}
		}
	}
	if a.Epoch() < 5 || b.Epoch() < 5 {
		t.Fatalf("epochs %d %d after 400 rounds", a.Epoch(), b.Epoch())
	}
	for ty := TypeNone; ty <= TypeCt2; ty++ {
		if types[ty] == 0 {
			t.Errorf("no %v message", ty)
		}
	}
	t.Logf("epochs %d/%d, chain %d/%d, types %v", a.Epoch(), b.Epoch(), a.ChainEpoch(), b.ChainEpoch(), types)
}

// TestOutOfOrder: bursts delivered in reverse keep agreeing.
func TestOutOfOrder(t *testing.T) {
	auth := bytes.Repeat([]byte{7}, 32)
	a, b := New(auth, true), New(auth, false)
	rng := rand.NewChaCha8([32]byte{2})
	for round := 0; round < 60; round++ {
		for _, p := range [][2]*State{{a, b}, {b, a}} {
			var msgs, keys [][]byte
			for i := 0; i < 1+round%4; i++ {
				msg, key, _, err := p[0].Send(drawer(rng))
				if err != nil {
					t.Fatal(err)
				}
				msgs, keys = append(msgs, msg), append(keys, key)
			}
			for i := len(msgs) - 1; i >= 0; i-- {
				got, _, err := p[1].Recv(msgs[i])
				if err != nil || !bytes.Equal(got, keys[i]) {
					t.Fatalf("round %d message %d: %v", round, i, err)
				}
			}
			if _, _, err := p[1].Clone().Recv(msgs[0]); err == nil {
				t.Fatal("replay accepted")
			}
		}
	}
	if a.Epoch() < 2 {
		t.Fatalf("epoch %d", a.Epoch())
	}
}

func TestMessageCodec(t *testing.T) {
	m := Message{Epoch: 300, Index: 129, Type: TypeCt1, Chunk: Chunk{Index: 200}}
	m.Chunk.Data[31] = 9
	b := m.Marshal()
	want := []byte{1, 0xac, 0x02, 0x81, 0x01, 5, 0xc8, 0x01}
	if !bytes.HasPrefix(b, want) || len(b) != len(want)+32 {
		t.Fatalf("marshal %x", b)
	}
	got, err := Parse(append(b, 0xff))
	if err != nil || got != m {
		t.Fatalf("parse: %+v %v", got, err)
	}
	for _, bad := range [][]byte{nil, {2, 1, 1, 0}, {1, 0, 1, 0}, {1, 1, 1}, {1, 1, 1, 7}, b[:len(b)-1]} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("parsed %x", bad)
		}
	}
}
