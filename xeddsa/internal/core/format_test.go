package core

import (
	"testing"

	"github.com/forwardsecret/signal/internal/fmtcheck"
)

// TestNoSecretsInFmt formats a Key, as a value and as a pointer, under
// every fmt verb and checks that neither the clamped scalar nor the
// encoding of ±a is printed.
func TestNoSecretsInFmt(t *testing.T) {
	k, err := NewKey(fmtcheck.Secret("xeddsa core key", ScalarSize))
	if err != nil {
		t.Fatal(err)
	}
	secrets := [][]byte{k.k[:], k.aSpecBytes[:]}
	t.Run("*Key", func(t *testing.T) { fmtcheck.NoSecrets(t, k, secrets...) })
	t.Run("Key", func(t *testing.T) { fmtcheck.NoSecrets(t, *k, secrets...) })
}
