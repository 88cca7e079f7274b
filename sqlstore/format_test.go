package sqlstore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/fmtcheck"
)

// TestNoSecretsInFmt formats an initialized Store, which caches the
// identity key pair, under every fmt verb and checks that no byte of the
// private key is printed.
func TestNoSecretsInFmt(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, DriverSQLite, filepath.Join(t.TempDir(), "fmt.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	priv, err := curve.NewPrivateKey(fmtcheck.Secret("sqlstore identity", curve.PrivateKeySize))
	if err != nil {
		t.Fatal(err)
	}
	id, err := curve.NewIdentityKeyPair(priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Init(ctx, id, 7); err != nil {
		t.Fatal(err)
	}
	if _, err := s.IdentityKeyPair(ctx); err != nil {
		t.Fatal(err)
	}
	fmtcheck.NoSecrets(t, s, priv.Bytes())
}
