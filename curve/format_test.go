package curve

import (
	"testing"

	"github.com/forwardsecret/signal/internal/fmtcheck"
)

// TestNoSecretsInFmt formats every type of this package that holds a
// private key under every fmt verb and checks that no key byte is printed.
// (A PrivateKey value, as opposed to a pointer, is not checked: its
// methods have pointer receivers because it holds a sync.Once, and copying
// one is flagged by go vet.)
func TestNoSecretsInFmt(t *testing.T) {
	priv, err := NewPrivateKey(fmtcheck.Secret("curve private key", PrivateKeySize))
	if err != nil {
		t.Fatal(err)
	}
	sec := priv.Bytes() // clamped, as held
	idPriv, err := NewPrivateKey(fmtcheck.Secret("curve identity key", PrivateKeySize))
	if err != nil {
		t.Fatal(err)
	}
	idSec := idPriv.Bytes()
	id, err := NewIdentityKeyPair(idPriv)
	if err != nil {
		t.Fatal(err)
	}
	kp := KeyPair{Private: priv, Public: priv.PublicKey()}
	t.Run("*PrivateKey", func(t *testing.T) { fmtcheck.NoSecrets(t, priv, sec) })
	t.Run("KeyPair", func(t *testing.T) { fmtcheck.NoSecrets(t, kp, sec) })
	t.Run("*KeyPair", func(t *testing.T) { fmtcheck.NoSecrets(t, &kp, sec) })
	t.Run("*IdentityKeyPair", func(t *testing.T) { fmtcheck.NoSecrets(t, id, idSec) })
	t.Run("IdentityKeyPair", func(t *testing.T) { fmtcheck.NoSecrets(t, *id, idSec) })
}
