package kem

import (
	"crypto/mlkem"
	"testing"
)

var sinkSS, sinkCT []byte

// BenchmarkEncapsulate compares our encapsulation with raw crypto/mlkem in the
// same run; the difference is the type byte copy and, for Kyber1024, the
// round-3 SHA3-256 + SHAKE256 step.
func BenchmarkEncapsulate(b *testing.B) {
	dk, err := mlkem.GenerateKey1024()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("mlkem-raw", func(b *testing.B) {
		ek := dk.EncapsulationKey()
		b.ReportAllocs()
		for b.Loop() {
			sinkSS, sinkCT = ek.Encapsulate()
		}
	})
	for _, typ := range allTypes {
		kp, _ := NewKeyPairFromSeed(typ, dk.Bytes())
		b.Run(typ.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkSS, sinkCT = kp.Public.Encapsulate()
			}
		})
	}
}

// BenchmarkDecapsulate compares decapsulation with raw crypto/mlkem, and
// shows the cost of keys imported in libsignal's expanded form (our core).
func BenchmarkDecapsulate(b *testing.B) {
	dk, err := mlkem.GenerateKey1024()
	if err != nil {
		b.Fatal(err)
	}
	_, rawCT := dk.EncapsulationKey().Encapsulate()
	b.Run("mlkem-raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkSS, _ = dk.Decapsulate(rawCT)
		}
	})
	for _, typ := range allTypes {
		kp, _ := NewKeyPairFromSeed(typ, dk.Bytes())
		ct := append([]byte{byte(typ)}, rawCT...)
		b.Run(typ.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkSS, _ = kp.Private.Decapsulate(ct)
			}
		})
		if typ == Kyber1024 {
			imported, err := ParsePrivateKey(kp.Private.LibsignalBytes())
			if err != nil {
				b.Fatal(err)
			}
			b.Run(typ.String()+"-expanded", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					sinkSS, _ = imported.Decapsulate(ct)
				}
			})
		}
	}
}

// BenchmarkParsePrivateKeyExpanded is the one-time cost of importing a
// libsignal key (checks, matrix expansion, pairwise-consistency test).
func BenchmarkParsePrivateKeyExpanded(b *testing.B) {
	kp, _ := GenerateKeyPair(Kyber1024)
	lib := kp.Private.LibsignalBytes()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePrivateKey(lib); err != nil {
			b.Fatal(err)
		}
	}
}
