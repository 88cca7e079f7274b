package x3dh

import (
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/kem"
	"github.com/forwardsecret/signal/x3dh/internal/core"
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
	if core.MaxSecretSize != 32+4*curve.SharedSecretSize+KEMSharedSecretSize {
		t.Error("core.MaxSecretSize")
	}
}

// TestConstantsMatchCore pins the exported constants to the internal core,
// which holds the suites.
func TestConstantsMatchCore(t *testing.T) {
	if core.V3.Info != InfoV3 || core.V4.Info != InfoV4 {
		t.Error("info strings differ from the core's suites")
	}
	if core.V3.Size != 2*KeySize || core.V4.Size != 3*KeySize || core.KeySize != KeySize {
		t.Error("key sizes differ from the core's")
	}
	if core.MinGenericInfoSize != MinGenericInfoSize {
		t.Error("MinGenericInfoSize differs from the core's")
	}
}
