package mlkem768

import (
	"crypto/mlkem"
	"testing"
)

var sink []byte

func BenchmarkKeyGen(b *testing.B) {
	seed := make([]byte, SeedSize)
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dk, _ := NewKeyFromSeed(seed)
			sink = dk.h[:]
		}
	})
	b.Run("crypto-mlkem", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dk, _ := mlkem.NewDecapsulationKey768(seed)
			sink = dk.EncapsulationKey().Bytes()
		}
	})
}

func BenchmarkEncapsulate(b *testing.B) {
	dk, _ := NewKeyFromSeed(make([]byte, SeedSize))
	hdr, ek := dk.Header(), dk.EncapsulationKey()
	b.Run("ours-two-step", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, st, _, _ := Encapsulate1(hdr)
			sink, _ = st.Encapsulate2(ek)
		}
	})
	b.Run("ours-check-ek", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if CheckEncapsulationKey(hdr, ek) != nil {
				b.Fatal("check failed")
			}
		}
	})
	ref, _ := mlkem.NewEncapsulationKey768(dk.FullEncapsulationKey())
	b.Run("crypto-mlkem", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, sink = ref.Encapsulate()
		}
	})
}

func BenchmarkDecapsulate(b *testing.B) {
	seed := make([]byte, SeedSize)
	dk, _ := NewKeyFromSeed(seed)
	ct1, st, _, _ := Encapsulate1(dk.Header())
	ct2, _ := st.Encapsulate2(dk.EncapsulationKey())
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink, _ = dk.Decapsulate(ct1, ct2)
		}
	})
	ref, _ := mlkem.NewDecapsulationKey768(seed)
	ct := append(append([]byte{}, ct1...), ct2...)
	b.Run("crypto-mlkem", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink, _ = ref.Decapsulate(ct)
		}
	})
}
