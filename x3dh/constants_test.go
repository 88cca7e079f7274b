package x3dh

import (
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/kem"
)

// TestConstantsMatchKEM pins the exported constants to the layers below.
func TestConstantsMatchKEM(t *testing.T) {
	if Kyber1024 != KEMType(kem.Kyber1024) || MLKEM1024 != KEMType(kem.MLKEM1024) {
		t.Error("KEM type bytes differ from internal/kem")
	}
	if KEMPublicKeySize != kem.PublicKeySize || KEMCiphertextSize != kem.CiphertextSize ||
		KEMSeedSize != kem.SeedSize || KEMSharedSecretSize != kem.SharedSecretSize {
		t.Error("KEM sizes differ from internal/kem")
	}
	if maxSecretSize != 32+4*curve.SharedSecretSize+kem.SharedSecretSize {
		t.Error("maxSecretSize")
	}
}
