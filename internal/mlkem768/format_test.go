package mlkem768

import (
	"testing"

	"github.com/forwardsecret/signal/internal/fmtcheck"
)

// TestNoSecretsInFmt formats a DecapsulationKey and an EncapsulationState,
// as values and as pointers, under every fmt verb and checks that neither
// z nor the encapsulation randomness m is printed.
func TestNoSecretsInFmt(t *testing.T) {
	seed := fmtcheck.Secret("mlkem768 seed", SeedSize)
	dk, err := newKeyFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	m := fmtcheck.Secret("mlkem768 m", RandomnessSize)
	_, st, _, err := encapsulate1(dk.Header(), m)
	if err != nil {
		t.Fatal(err)
	}
	z := seed[32:]
	t.Run("*DecapsulationKey", func(t *testing.T) { fmtcheck.NoSecrets(t, dk, z) })
	t.Run("DecapsulationKey", func(t *testing.T) { fmtcheck.NoSecrets(t, *dk, z) })
	t.Run("*EncapsulationState", func(t *testing.T) { fmtcheck.NoSecrets(t, st, m) })
	t.Run("EncapsulationState", func(t *testing.T) { fmtcheck.NoSecrets(t, *st, m) })
}
