package spqr

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/forwardsecret/signal/internal/erasure"
)

func TestVarint(t *testing.T) {
	if got := appendVarint(nil, 0x012c); !bytes.Equal(got, []byte{0xac, 0x02}) {
		t.Fatalf("varint(300) = %x", got)
	}
	at := 1
	if v, ok := readVarint([]byte{0xff, 0xac, 0x02, 0xff}, &at); !ok || v != 300 || at != 3 {
		t.Fatalf("read = %d, %v, at %d", v, ok, at)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		v := r.Uint64() >> r.IntN(64)
		b := appendVarint(nil, v)
		at := 0
		if got, ok := readVarint(b, &at); !ok || got != v || at != len(b) {
			t.Fatalf("round trip of %d", v)
		}
	}
	// Non-minimal encodings are accepted, 11-byte ones are not.
	at = 0
	if v, ok := readVarint([]byte{0x81, 0x80, 0x00}, &at); !ok || v != 1 {
		t.Fatal("non-minimal varint refused")
	}
	at = 0
	if _, ok := readVarint(bytes.Repeat([]byte{0x80}, 11), &at); ok {
		t.Fatal("11-byte varint accepted")
	}
}

func TestMessageLayout(t *testing.T) {
	var data [32]byte
	for i := range data {
		data[i] = byte(i)
	}
	m := Message{Epoch: 300, Index: 1, Type: TypeCt1, Chunk: erasure.Chunk{Index: 129, Data: data}}
	b, _ := m.MarshalBinary()
	want := append([]byte{0x01, 0xac, 0x02, 0x01, 0x05, 0x81, 0x01}, data[:]...)
	if !bytes.Equal(b, want) {
		t.Fatalf("encoding = %x\nwant       %x", b, want)
	}
	m2, err := ParseMessage(append(b, 0xde, 0xad)) // trailing data is allowed
	if err != nil || *m2 != m {
		t.Fatalf("parse: %+v, %v", m2, err)
	}
	none := Message{Epoch: 1, Index: 7, Type: TypeCt1Ack}
	b, _ = none.MarshalBinary()
	if !bytes.Equal(b, []byte{1, 1, 7, 4}) {
		t.Fatalf("Ct1Ack encoding = %x", b)
	}
	for _, bad := range [][]byte{
		{}, {0}, {2, 1, 1, 0}, {1}, {1, 0, 1, 0}, // version, epoch 0
		{1, 1}, {1, 1, 1}, {1, 1, 1, 7}, // truncated, unknown type
		{1, 1, 0x80, 0x80, 0x80, 0x80, 0x10, 0},                  // index > 2^32-1
		{1, 1, 1, 5, 0},                                          // truncated chunk
		append([]byte{1, 1, 1, 5, 0x80, 0x80, 0x04}, data[:]...), // chunk index > 65535
	} {
		if _, err := ParseMessage(bad); !errors.Is(err, ErrMessageDecode) {
			t.Errorf("ParseMessage(%x) err = %v", bad, err)
		}
	}
}
