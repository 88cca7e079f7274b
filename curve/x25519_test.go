package curve

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"testing"
)

// TestX25519AgainstECDH compares the ladder and the fixed-base derivation
// with crypto/ecdh on random scalars and points (including u values with the
// top bit set and non-canonical ones).
func TestX25519AgainstECDH(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	for i := range n {
		var k, u [32]byte
		rand.Read(k[:])
		rand.Read(u[:])
		if i%10 == 0 {
			u[31] |= 0x80
		}
		if i%17 == 0 { // p + small
			for j := range u {
				u[j] = 0xff
			}
			u[0] = 0xed + byte(i%18)
			u[31] = 0x7f
		}
		ref, _ := ecdh.X25519().NewPrivateKey(k[:])
		var pub [32]byte
		x25519Base(&pub, &k)
		if !bytes.Equal(pub[:], ref.PublicKey().Bytes()) {
			t.Fatalf("base point: k=%x: %x, want %x", k, pub, ref.PublicKey().Bytes())
		}
		var got [32]byte
		x25519(&got, &k, &u)
		peer, err := ecdh.X25519().NewPublicKey(u[:])
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.ECDH(peer)
		if err != nil { // all-zero output
			want = make([]byte, 32)
		}
		if !bytes.Equal(got[:], want) {
			t.Fatalf("k=%x u=%x: %x, want %x", k, u, got, want)
		}
	}
}

func BenchmarkX25519Ladder(b *testing.B) {
	var k, u, out [32]byte
	rand.Read(k[:])
	u[0] = 9
	b.ReportAllocs()
	for b.Loop() {
		x25519(&out, &k, &u)
	}
}

func BenchmarkX25519Base(b *testing.B) {
	var k, out [32]byte
	rand.Read(k[:])
	b.ReportAllocs()
	for b.Loop() {
		x25519Base(&out, &k)
	}
}

func BenchmarkECDHStdlib(b *testing.B) {
	k, _ := ecdh.X25519().GenerateKey(rand.Reader)
	p, _ := ecdh.X25519().GenerateKey(rand.Reader)
	b.ReportAllocs()
	for b.Loop() {
		k.ECDH(p.PublicKey())
	}
}
