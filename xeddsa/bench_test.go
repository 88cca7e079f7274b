package xeddsa_test

import (
	"crypto/ed25519"
	"testing"

	"github.com/forwardsecret/signal/xeddsa"
)

var (
	benchMsg   = make([]byte, 128) // a signed-prekey-sized message
	sinkBool   bool
	sinkBytes  []byte
	benchSeed  = []byte("0123456789abcdef0123456789abcdef")
	benchXPriv = func() *xeddsa.PrivateKey {
		k, err := xeddsa.NewPrivateKey(benchSeed)
		if err != nil {
			panic(err)
		}
		return k
	}()
)

func BenchmarkSign(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkBytes = benchXPriv.Sign(benchMsg, xeddsa.SignBit)
	}
}

func BenchmarkVerify(b *testing.B) {
	sig := benchXPriv.Sign(benchMsg, xeddsa.SignBit)
	pub := benchXPriv.PublicKey()
	b.ReportAllocs()
	for b.Loop() {
		sinkBool = xeddsa.Verify(pub, benchMsg, sig, xeddsa.SignBit)
	}
	if !sinkBool {
		b.Fatal("signature does not verify")
	}
}

func BenchmarkVRFSign(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, sinkBytes, _ = benchXPriv.VRFSign(benchMsg)
	}
}

func BenchmarkVRFVerify(b *testing.B) {
	sig, _, err := benchXPriv.VRFSign(benchMsg)
	if err != nil {
		b.Fatal(err)
	}
	pub := benchXPriv.PublicKey()
	b.ReportAllocs()
	for b.Loop() {
		sinkBytes, err = xeddsa.VRFVerify(pub, benchMsg, sig)
	}
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkEd25519Sign and BenchmarkEd25519Verify are the baseline that
// XEdDSA is held to (same message size).
func BenchmarkEd25519Sign(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(benchSeed)
	b.ReportAllocs()
	for b.Loop() {
		sinkBytes = ed25519.Sign(priv, benchMsg)
	}
}

func BenchmarkEd25519Verify(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(benchSeed)
	pub := priv.Public().(ed25519.PublicKey)
	sig := ed25519.Sign(priv, benchMsg)
	b.ReportAllocs()
	for b.Loop() {
		sinkBool = ed25519.Verify(pub, benchMsg, sig)
	}
	if !sinkBool {
		b.Fatal("signature does not verify")
	}
}
