package xeddsa

import (
	"testing"

	"github.com/forwardsecret/signal/internal/fmtcheck"
)

// TestNoSecretsInFmt formats a PrivateKey, as a value and as a pointer,
// under every fmt verb and checks that no byte of the scalar is printed.
func TestNoSecretsInFmt(t *testing.T) {
	sec := fmtcheck.Secret("xeddsa private key", PrivateKeySize)
	sec[0] &= 248
	sec[31] &= 127
	sec[31] |= 64 // clamped, as held
	k, err := NewPrivateKey(sec)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("*PrivateKey", func(t *testing.T) { fmtcheck.NoSecrets(t, k, sec) })
	t.Run("PrivateKey", func(t *testing.T) { fmtcheck.NoSecrets(t, *k, sec) })
}
