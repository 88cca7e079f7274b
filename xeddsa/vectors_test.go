package xeddsa_test

import (
	"bytes"
	"testing"

	"github.com/forwardsecret/signal/vectors"
	"github.com/forwardsecret/signal/xeddsa"
	"github.com/forwardsecret/signal/xeddsa/xeddsatest"
)

func loadXEdDSA(t testing.TB) *vectors.XEdDSAFile {
	t.Helper()
	f, err := vectors.XEdDSA()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestVXEdDSAVectors(t *testing.T) {
	f := loadXEdDSA(t)
	for _, v := range f.VXEdDSA {
		t.Run(v.ID, func(t *testing.T) {
			priv, err := xeddsa.NewPrivateKey(v.Private)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(priv.PublicKey(), v.PublicU()) {
				t.Fatalf("public key %x, want %x", priv.PublicKey(), v.PublicU())
			}
			if want := v.ExpectedSignature(); want != nil {
				sig, out, err := xeddsatest.VRFSign(v.Private, v.Message, v.Random)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(sig, want) {
					t.Errorf("signature\n got %x\nwant %x", sig, want)
				}
				if !bytes.Equal(out, v.VRF) {
					t.Errorf("vrf %x, want %x", out, v.VRF)
				}
			}
			sig, out, err := priv.VRFSign(v.Message)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, v.VRF) {
				t.Errorf("fresh-randomness vrf %x, want %x", out, v.VRF)
			}
			got, err := xeddsa.VRFVerify(v.PublicU(), v.Message, sig)
			if err != nil || !bytes.Equal(got, v.VRF) {
				t.Errorf("VRFVerify = %x, %v", got, err)
			}
		})
	}
}
