package vectors_test

import (
	"bytes"
	"crypto"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/vectors"
	"github.com/forwardsecret/signal/x3dh"
	"github.com/forwardsecret/signal/x3dh/x3dhtest"
)

// suitePQXDH replays data/pqxdh.json through x3dh and x3dhtest from both
// sides (the x3dh package's own test does the same in more detail).
func suitePQXDH(t *testing.T) {
	f, err := vectors.PQXDH()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range f.Vectors {
		ok := replayPQXDH(t, &v)
		count("pqxdh/"+v.Form, ok, vectors.Valid)
	}
}

func replayPQXDH(t *testing.T, v *vectors.PQXDHVector) bool {
	fail := func(format string, args ...any) bool {
		t.Helper()
		t.Errorf("%s: "+format, append([]any{v.Name}, args...)...)
		return false
	}
	kp := func(priv, pub []byte) (curve.KeyPair, bool) {
		k, err := curve.NewPrivateKey(priv)
		if err != nil {
			return curve.KeyPair{}, false
		}
		p := curve.NewKeyPair(k)
		return p, bytes.Equal(p.Public.Bytes(), pub)
	}
	aliceKP, ok1 := kp(v.AliceIdentityPrivate, v.AliceIdentityPublic)
	base, ok2 := kp(v.AliceBasePrivate, v.AliceBasePublic)
	bobKP, ok3 := kp(v.BobIdentityPrivate, v.BobIdentityPublic)
	spk, ok4 := kp(v.BobSignedPreKeyPrivate, v.BobSignedPreKeyPublic)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return fail("a public key differs")
	}
	aliceID, _ := curve.NewIdentityKeyPair(aliceKP.Private)
	bobID, _ := curve.NewIdentityKeyPair(bobKP.Private)
	spkSig, _ := bobID.Sign(spk.Public.Bytes())
	var opk *curve.KeyPair
	var opkPub *x3dh.OneTimePreKeyPublic
	if v.BobOneTimePreKeyPrivate != nil {
		k, ok := kp(v.BobOneTimePreKeyPrivate, v.BobOneTimePreKeyPublic)
		if !ok {
			return fail("one-time prekey differs")
		}
		opk, opkPub = &k, &x3dh.OneTimePreKeyPublic{ID: 2, PublicKey: k.Public}
	}
	var kem *x3dh.KEMKeyPair
	var kemPub *x3dh.KEMPreKeyPublic
	if v.KEM != "" {
		k, err := x3dh.NewKEMKeyPairFromSeed(kemType(v.KEM), v.BobKEMSeed)
		if err != nil || !bytes.Equal(k.Public.Bytes(), v.BobKEMPublic) {
			return fail("KEM key: %v", err)
		}
		sig, _ := bobID.Sign(k.Public.Bytes())
		kem, kemPub = &k, &x3dh.KEMPreKeyPublic{ID: 3, PublicKey: k.Public, Signature: sig}
	}
	b, err := x3dh.NewBundle(1, 1, bobID.PublicKey(), x3dh.SignedPreKeyPublic{ID: 1, PublicKey: spk.Public, Signature: spkSig}, opkPub, kemPub)
	if err != nil {
		return fail("bundle: %v", err)
	}
	keys := &x3dh.ResponderKeys{Identity: bobID, SignedPreKey: spk, OneTimePreKey: opk, KEMPreKey: kem}
	if v.Form == "generic" {
		g := &x3dh.Generic{Hash: map[string]crypto.Hash{"SHA-256": crypto.SHA256, "SHA-512": crypto.SHA512}[v.Hash], Info: v.Info, PQ: v.KEM != ""}
		r, m, err := x3dhtest.GenericInitiate(g, aliceID, b, base.Private, v.KEMRandom)
		if err != nil || !bytes.Equal(r.SK[:], v.SK) || !bytes.Equal(r.AD, v.AD) || !bytes.Equal(m.KEMCiphertext, v.KEMCiphertext) {
			return fail("generic initiator: %v", err)
		}
		br, err := g.Respond(keys, m)
		if err != nil || br.SK != r.SK {
			return fail("generic responder: %v", err)
		}
		return true
	}
	in, err := x3dhtest.Initiate(x3dh.Version(v.Version), aliceID, b, base.Private, v.KEMRandom)
	if err != nil {
		return fail("initiate: %v", err)
	}
	if !bytes.Equal(in.Keys.RootKey[:], v.RootKey) || !bytes.Equal(in.Keys.ChainKey[:], v.ChainKey) ||
		(v.Version == 4 && !bytes.Equal(in.Keys.AuthKey[:], v.AuthKey)) || !bytes.Equal(in.Message.KEMCiphertext, v.KEMCiphertext) {
		return fail("initiator keys differ")
	}
	got, err := x3dh.Respond(x3dh.Version(v.Version), keys, &in.Message)
	if err != nil || got != in.Keys {
		return fail("responder: %v", err)
	}
	return true
}
