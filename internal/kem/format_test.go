package kem

import (
	"testing"

	"github.com/forwardsecret/signal/internal/fmtcheck"
)

// TestNoSecretsInFmt formats the private key types of this package (seeded
// and expanded), as values and as pointers, under every fmt verb and
// checks that neither half of the seed d || z is printed.
func TestNoSecretsInFmt(t *testing.T) {
	seed := fmtcheck.Secret("kem seed", SeedSize)
	kp, err := NewKeyPairFromSeed(MLKEM1024, seed)
	if err != nil {
		t.Fatal(err)
	}
	// The same key imported from libsignal's expanded form: it holds z
	// and ŝ (as field elements), but no seed.
	imported, err := ParsePrivateKey(kp.Private.LibsignalBytes())
	if err != nil {
		t.Fatal(err)
	}
	ex := imported.ex // internal/mlkem's key
	d, z := seed[:32], seed[32:]
	cases := []struct {
		name    string
		v       any
		secrets [][]byte
	}{
		{"*PrivateKey", kp.Private, [][]byte{d, z}},
		{"PrivateKey", *kp.Private, [][]byte{d, z}},
		{"KeyPair", kp, [][]byte{d, z}},
		{"*PrivateKey expanded", imported, [][]byte{z}},
		{"PrivateKey expanded", *imported, [][]byte{z}},
		{"*mlkem.DecapsulationKey", ex, [][]byte{z}},
		{"mlkem.DecapsulationKey", *ex, [][]byte{z}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fmtcheck.NoSecrets(t, c.v, c.secrets...) })
	}
}
