package he

import (
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/fmtcheck"
)

func fmtKey(label string) (k [keySize]byte) {
	copy(k[:], fmtcheck.Secret(label, keySize))
	return k
}

// TestNoSecretsInFmt formats every type of this package that holds a root,
// chain, header or message key or a private ratchet key, as a value and as
// a pointer, under every fmt verb and checks that no secret byte is
// printed.
func TestNoSecretsInFmt(t *testing.T) {
	sendPriv, err := curve.NewPrivateKey(fmtcheck.Secret("he sending key", 32))
	if err != nil {
		t.Fatal(err)
	}
	sendKP := curve.KeyPair{Private: sendPriv, Public: sendPriv.PublicKey()}
	peerPriv, err := curve.NewPrivateKey(fmtcheck.Secret("he peer key", 32))
	if err != nil {
		t.Fatal(err)
	}
	hka, nhkb, sk, seed := fmtKey("he hka"), fmtKey("he nhkb"), fmtKey("he sk"), fmtKey("he seed")
	s, err := NewAlice(sk[:], peerPriv.PublicKey(), hka[:], nhkb[:], sendKP)
	if err != nil {
		t.Fatal(err)
	}
	secrets := [][]byte{hka[:], nhkb[:], sendPriv.Bytes()}
	hc := heChain{hk: hka, keys: []skippedKey{{n: 1, seed: seed}}}
	k := newKDF()
	k.seed = seed

	cases := []struct {
		name    string
		v       any
		secrets [][]byte
	}{
		{"State", *s, secrets},
		{"*State", s, secrets},
		{"heChain", hc, [][]byte{hka[:], seed[:]}},
		{"skippedKey", hc.keys[0], [][]byte{seed[:]}},
		{"*kdf", k, [][]byte{seed[:]}},
		{"kdf", *k, [][]byte{seed[:]}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fmtcheck.NoSecrets(t, c.v, c.secrets...) })
	}
}
