package x3dh

import (
	"crypto"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/internal/fmtcheck"
)

// TestNoSecretsInFmt formats every type of this package that holds a
// private key or a derived secret, as a value and as a pointer, under
// every fmt verb and checks that no secret byte is printed.
func TestNoSecretsInFmt(t *testing.T) {
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	priv := func(label string) *curve.PrivateKey {
		k, err := curve.NewPrivateKey(fmtcheck.Secret(label, curve.PrivateKeySize))
		must(err)
		return k
	}
	bobID, err := curve.NewIdentityKeyPair(priv("x3dh bob identity"))
	must(err)
	aliceID, err := curve.NewIdentityKeyPair(priv("x3dh alice identity"))
	must(err)
	spkPriv := priv("x3dh signed prekey")
	spk := &SignedPreKey{ID: 1, KeyPair: curve.KeyPair{Private: spkPriv, Public: spkPriv.PublicKey()}}
	spk.Signature, err = bobID.Sign(spk.KeyPair.Public.Bytes())
	must(err)
	otpPriv := priv("x3dh one-time prekey")
	otp := &OneTimePreKey{ID: 2, KeyPair: curve.KeyPair{Private: otpPriv, Public: otpPriv.PublicKey()}}
	kemKP, err := NewKEMKeyPairFromSeed(MLKEM1024, fmtcheck.Secret("x3dh kem seed", 64))
	must(err)
	kemSig, err := bobID.Sign(kemKP.Public.Bytes())
	must(err)
	kpk := &KEMPreKey{ID: 3, KeyPair: kemKP, Signature: kemSig}
	otpPub := otp.Public()
	kemPub := kpk.Public()
	bundle, err := NewBundle(7, 1, bobID.PublicKey(), spk.Public(), &otpPub, &kemPub)
	must(err)

	in, err := Initiate(V4, aliceID, bundle)
	must(err)
	keys := &ResponderKeys{Identity: bobID, SignedPreKey: spk.KeyPair, OneTimePreKey: &otp.KeyPair, KEMPreKey: &kpk.KeyPair}
	sk, err := Respond(V4, keys, &in.Message)
	must(err)
	if sk != in.Keys {
		t.Fatal("handshake keys differ")
	}
	g := &Generic{Hash: crypto.SHA512, Info: "fmtcheck_CURVE25519_SHA-512_ML-KEM-1024", PQ: true}
	gr, gmsg, err := g.Initiate(aliceID, bundle)
	must(err)
	_ = gmsg

	kemSeed := kemKP.Private.Bytes()[1:] // d || z as held by crypto/mlkem
	sessionSecrets := [][]byte{in.Keys.RootKey[:], in.Keys.ChainKey[:], in.Keys.AuthKey[:]}
	idSec := bobID.PrivateKey().Bytes()
	spkSec := spk.KeyPair.Private.Bytes()
	otpSec := otpPriv.Bytes()

	cases := []struct {
		name    string
		v       any
		secrets [][]byte
	}{
		{"SessionKeys", in.Keys, sessionSecrets},
		{"Initiation", *in, sessionSecrets},
		{"*Initiation", in, sessionSecrets},
		{"GenericResult", *gr, [][]byte{gr.SK[:]}},
		{"*GenericResult", gr, [][]byte{gr.SK[:]}},
		{"ResponderKeys", *keys, [][]byte{idSec, spkSec, otpSec, kemSeed[:32], kemSeed[32:]}},
		{"*ResponderKeys", keys, [][]byte{idSec, spkSec, otpSec, kemSeed[:32], kemSeed[32:]}},
		{"SignedPreKey", *spk, [][]byte{spkSec}},
		{"*SignedPreKey", spk, [][]byte{spkSec}},
		{"OneTimePreKey", *otp, [][]byte{otpSec}},
		{"*OneTimePreKey", otp, [][]byte{otpSec}},
		{"KEMPreKey", *kpk, [][]byte{kemSeed[:32], kemSeed[32:]}},
		{"*KEMPreKey", kpk, [][]byte{kemSeed[:32], kemSeed[32:]}},
		{"KEMKeyPair", kemKP, [][]byte{kemSeed[:32], kemSeed[32:]}},
		{"*KEMPrivateKey", kemKP.Private, [][]byte{kemSeed[:32], kemSeed[32:]}},
		{"KEMPrivateKey", *kemKP.Private, [][]byte{kemSeed[:32], kemSeed[32:]}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fmtcheck.NoSecrets(t, c.v, c.secrets...) })
	}
}
