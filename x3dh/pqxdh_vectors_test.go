package x3dh_test

import (
	"bytes"
	"crypto"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/vectors"
	"github.com/forwardsecret/signal/x3dh"
	"github.com/forwardsecret/signal/x3dh/x3dhtest"
)

// TestPQXDHVectors reproduces vectors/data/pqxdh.json (made by
// vectors/internal/gen/pqxdh from the specifications with standard-library
// primitives) byte for byte, from both sides.
func TestPQXDHVectors(t *testing.T) {
	f, err := vectors.PQXDH()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, v := range f.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			counts[v.Form+"/"+v.KEM]++
			key := func(priv, pub []byte) curve.KeyPair {
				t.Helper()
				kp := curve.NewKeyPair(privKey(t, priv))
				if !bytes.Equal(kp.Public.Bytes(), pub) {
					t.Fatalf("public key %x, want %x", kp.Public.Bytes(), pub)
				}
				return kp
			}
			aliceID, err := curve.NewIdentityKeyPair(key(v.AliceIdentityPrivate, v.AliceIdentityPublic).Private)
			if err != nil {
				t.Fatal(err)
			}
			base := key(v.AliceBasePrivate, v.AliceBasePublic)
			bobID, err := curve.NewIdentityKeyPair(key(v.BobIdentityPrivate, v.BobIdentityPublic).Private)
			if err != nil {
				t.Fatal(err)
			}
			spk := key(v.BobSignedPreKeyPrivate, v.BobSignedPreKeyPublic)
			spkSig, _ := bobID.Sign(spk.Public.Bytes())
			var opk *curve.KeyPair
			var opkPub *x3dh.OneTimePreKeyPublic
			if v.BobOneTimePreKeyPrivate != nil {
				k := key(v.BobOneTimePreKeyPrivate, v.BobOneTimePreKeyPublic)
				opk, opkPub = &k, &x3dh.OneTimePreKeyPublic{ID: 5, PublicKey: k.Public}
			}
			var kemKP *x3dh.KEMKeyPair
			var kemPub *x3dh.KEMPreKeyPublic
			if v.KEM != "" {
				kt := map[string]x3dh.KEMType{"Kyber1024": x3dh.Kyber1024, "ML-KEM-1024": x3dh.MLKEM1024}[v.KEM]
				kp, err := x3dh.NewKEMKeyPairFromSeed(kt, v.BobKEMSeed)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(kp.Public.Bytes(), v.BobKEMPublic) {
					t.Fatal("KEM public key differs")
				}
				sig, _ := bobID.Sign(kp.Public.Bytes())
				kemKP, kemPub = &kp, &x3dh.KEMPreKeyPublic{ID: 6, PublicKey: kp.Public, Signature: sig}
			}
			bundle, err := x3dh.NewBundle(1, 1, bobID.PublicKey(), x3dh.SignedPreKeyPublic{ID: 4, PublicKey: spk.Public, Signature: spkSig}, opkPub, kemPub)
			if err != nil {
				t.Fatal(err)
			}
			bobKeys := &x3dh.ResponderKeys{Identity: bobID, SignedPreKey: spk, OneTimePreKey: opk, KEMPreKey: kemKP}

			var msg *x3dh.Message
			switch v.Form {
			case "signal":
				ver := x3dh.Version(v.Version)
				in, err := x3dhtest.Initiate(ver, aliceID, bundle, base.Private, v.KEMRandom)
				if err != nil {
					t.Fatal(err)
				}
				okm := append(append(in.Keys.RootKey[:], in.Keys.ChainKey[:]...), in.Keys.AuthKey[:]...)
				if ver == x3dh.V3 {
					okm = okm[:64]
				}
				if !bytes.Equal(okm, v.OKM) || !bytes.Equal(in.Keys.RootKey[:], v.RootKey) || !bytes.Equal(in.Keys.ChainKey[:], v.ChainKey) {
					t.Errorf("initiator keys %x, want %x", okm, []byte(v.OKM))
				}
				if ver == x3dh.V4 && !bytes.Equal(in.Keys.AuthKey[:], v.AuthKey) {
					t.Errorf("auth key %x, want %x", in.Keys.AuthKey, []byte(v.AuthKey))
				}
				msg = &in.Message
				got, err := x3dh.Respond(ver, bobKeys, msg)
				if err != nil || got != in.Keys {
					t.Errorf("responder: %v, equal %v", err, got == in.Keys)
				}
			case "generic":
				g := &x3dh.Generic{Hash: map[string]crypto.Hash{"SHA-256": crypto.SHA256, "SHA-512": crypto.SHA512}[v.Hash], Info: v.Info, PQ: v.KEM != ""}
				r, m, err := x3dhtest.GenericInitiate(g, aliceID, bundle, base.Private, v.KEMRandom)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(r.SK[:], v.SK) || !bytes.Equal(r.AD, v.AD) {
					t.Errorf("SK %x AD %x, want %x %x", r.SK, r.AD, []byte(v.SK), []byte(v.AD))
				}
				msg = m
				br, err := g.Respond(bobKeys, msg)
				if err != nil || br.SK != r.SK || !bytes.Equal(br.AD, r.AD) {
					t.Errorf("responder: %v", err)
				}
			default:
				t.Fatalf("unknown form %q", v.Form)
			}
			if !bytes.Equal(msg.KEMCiphertext, v.KEMCiphertext) {
				t.Errorf("KEM ciphertext differs")
			}
			if !bytes.Equal(msg.BaseKey.Bytes(), v.AliceBasePublic) || msg.HasOneTimePreKey != (opk != nil) {
				t.Errorf("message: %+v", msg)
			}
		})
	}
	// The file must cover every case the brief asks for.
	for _, want := range []string{"signal/", "signal/Kyber1024", "signal/ML-KEM-1024", "generic/", "generic/ML-KEM-1024"} {
		if counts[want] < 1 {
			t.Errorf("no %s vectors", want)
		}
	}
	if counts["signal/Kyber1024"] < 2 || counts["signal/ML-KEM-1024"] < 2 {
		t.Errorf("need PQXDH vectors with and without a one-time prekey: %v", counts)
	}
}
