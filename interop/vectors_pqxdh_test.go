package interop_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/forwardsecret/signal/interop/peer"
	"github.com/forwardsecret/signal/vectors"
)

// kemPeer wraps the node peer's known-answer KEM ops (crystals-kyber-js for
// ML-KEM-1024, crystals-kyber for round-3 Kyber1024).
type kemPeer struct {
	p   *peer.Process
	ctx context.Context
}

func (k kemPeer) keyPair(seed []byte) (pub, sec []byte, err error) {
	var r struct {
		Public peer.Hex `json:"public"`
		Secret peer.Hex `json:"secret"`
	}
	err = k.p.Call(k.ctx, "kem_keypair", struct {
		Seed peer.Hex `json:"seed"`
	}{seed}, &r)
	return r.Public, r.Secret, err
}

func (k kemPeer) encap(kem string, pub, random []byte) (ct, ss []byte, err error) {
	var r struct {
		Ciphertext   peer.Hex `json:"ciphertext"`
		SharedSecret peer.Hex `json:"shared_secret"`
	}
	err = k.p.Call(k.ctx, "kem_encap", struct {
		KEM    string   `json:"kem"`
		Public peer.Hex `json:"public"`
		Random peer.Hex `json:"random"`
	}{kem, pub, random}, &r)
	return r.Ciphertext, r.SharedSecret, err
}

func (k kemPeer) decap(kem string, sec, ct []byte) ([]byte, error) {
	var r struct {
		SharedSecret peer.Hex `json:"shared_secret"`
	}
	err := k.p.Call(k.ctx, "kem_decap", struct {
		KEM        string   `json:"kem"`
		Secret     peer.Hex `json:"secret"`
		Ciphertext peer.Hex `json:"ciphertext"`
	}{kem, sec, ct}, &r)
	return r.SharedSecret, err
}

// TestVectorsPQXDH checks the PQXDH vectors of vectors/data/pqxdh.json with
// implementations independent of this library: two JavaScript KEMs (node
// peer: crystals-kyber-js for ML-KEM-1024, crystals-kyber for round-3
// Kyber1024) derive Bob's KEM key pair from the seed, encapsulate with the
// listed randomness and decapsulate; python-axolotl's X25519 and HKDF
// (python peer) derive the v4 keys from the listed keys and the KEM secret.
func TestVectorsPQXDH(t *testing.T) {
	f, err := vectors.PQXDH()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	k := kemPeer{needPeer(t, peer.KindNode), ctx}
	py := needPeer(t, peer.KindPython)
	var kems, schedules int
	for _, v := range f.Vectors {
		if v.KEM == "" {
			continue
		}
		pub, sec, err := k.keyPair(v.BobKEMSeed)
		if err != nil || !bytes.Equal(pub, v.BobKEMPublic[1:]) {
			t.Errorf("%s: KEM key pair: %v", v.Name, err)
			continue
		}
		ct, ss, err := k.encap(v.KEM, pub, v.KEMRandom)
		if err != nil || !bytes.Equal(ct, v.KEMCiphertext[1:]) || !bytes.Equal(ss, v.KEMSharedSecret) {
			t.Errorf("%s: encapsulation differs (%v)", v.Name, err)
			continue
		}
		if ss2, err := k.decap(v.KEM, sec, ct); err != nil || !bytes.Equal(ss2, v.KEMSharedSecret) {
			t.Errorf("%s: decapsulation differs (%v)", v.Name, err)
			continue
		}
		kems++
		if v.Form != "signal" || v.Version != 4 {
			continue
		}
		var r struct {
			OKM peer.Hex `json:"okm"`
		}
		err = py.Call(ctx, "pqxdh_responder", struct {
			IdentityPrivate      peer.Hex `json:"identity_private"`
			SignedPreKeyPrivate  peer.Hex `json:"signed_prekey_private"`
			OneTimePreKeyPrivate peer.Hex `json:"one_time_prekey_private,omitempty"`
			TheirIdentity        peer.Hex `json:"their_identity"`
			TheirBaseKey         peer.Hex `json:"their_base_key"`
			KEMSharedSecret      peer.Hex `json:"kem_shared_secret"`
			Info                 string   `json:"info"`
			Length               int      `json:"length"`
		}{peer.Hex(v.BobIdentityPrivate), peer.Hex(v.BobSignedPreKeyPrivate), peer.Hex(v.BobOneTimePreKeyPrivate),
			peer.Hex(v.AliceIdentityPublic), peer.Hex(v.AliceBasePublic), ss, v.Info, len(v.OKM)}, &r)
		if err != nil || !bytes.Equal(r.OKM, v.OKM) {
			t.Errorf("%s: python-axolotl's key schedule gives %x (%v)", v.Name, []byte(r.OKM), err)
			continue
		}
		schedules++
	}
	if kems < 4 || schedules < 4 {
		t.Fatalf("only %d KEM and %d key-schedule checks", kems, schedules)
	}
	t.Logf("node (crystals-kyber-js, crystals-kyber): %d KEM entries reproduced; python-axolotl: %d PQXDH key schedules reproduced", kems, schedules)
}

// TestVectorsTranscriptsV4KEM checks the handshakes of
// vectors/data/transcript_v4.json the same way: the KEM prekey from its
// seed, decapsulation of the listed ciphertext (and, for ML-KEM-1024,
// encapsulation with the listed m), and python-axolotl's key schedule. The
// transcripts' messages have no independent checker yet: the official
// libsignal requires SPQR, and the v3 libraries speak only version 3.
func TestVectorsTranscriptsV4KEM(t *testing.T) {
	f, err := vectors.Transcripts(4)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	k := kemPeer{needPeer(t, peer.KindNode), ctx}
	py := needPeer(t, peer.KindPython)
	n := 0
	for _, tr := range f.Transcripts {
		pub, sec, err := k.keyPair(tr.Bob.KEMPreKeySeed)
		if err != nil || !bytes.Equal(pub, tr.Bob.KEMPreKeyPublic[1:]) {
			t.Errorf("%s: KEM key pair: %v", tr.Name, err)
			continue
		}
		ss, err := k.decap(tr.KEM, sec, tr.Handshake.KEMCiphertext[1:])
		if err != nil || !bytes.Equal(ss, tr.Handshake.KEMSharedSecret) {
			t.Errorf("%s: decapsulation differs (%v)", tr.Name, err)
			continue
		}
		if tr.KEM == "ML-KEM-1024" {
			ct, ss, err := k.encap(tr.KEM, pub, tr.Alice.KEMM)
			if err != nil || !bytes.Equal(ct, tr.Handshake.KEMCiphertext[1:]) || !bytes.Equal(ss, tr.Handshake.KEMSharedSecret) {
				t.Errorf("%s: encapsulation differs (%v)", tr.Name, err)
				continue
			}
		}
		var opk peer.Hex
		if tr.Bob.OneTimePreKey != nil {
			opk = peer.Hex(tr.Bob.OneTimePreKey.Private)
		}
		var r struct {
			OKM peer.Hex `json:"okm"`
		}
		err = py.Call(ctx, "pqxdh_responder", struct {
			IdentityPrivate      peer.Hex `json:"identity_private"`
			SignedPreKeyPrivate  peer.Hex `json:"signed_prekey_private"`
			OneTimePreKeyPrivate peer.Hex `json:"one_time_prekey_private,omitempty"`
			TheirIdentity        peer.Hex `json:"their_identity"`
			TheirBaseKey         peer.Hex `json:"their_base_key"`
			KEMSharedSecret      peer.Hex `json:"kem_shared_secret"`
			Info                 string   `json:"info"`
			Length               int      `json:"length"`
		}{peer.Hex(tr.Bob.Identity.Private), peer.Hex(tr.Bob.SignedPreKey.Private), opk,
			peer.Hex(tr.Alice.Identity.Public), peer.Hex(tr.Alice.BaseKey.Public), ss,
			"WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024", 96}, &r)
		want := append(append(append([]byte(nil), tr.Handshake.RootKey...), tr.Handshake.ChainKey...), tr.Handshake.AuthKey...)
		if err != nil || !bytes.Equal(r.OKM, want) {
			t.Errorf("%s: python-axolotl's key schedule differs (%v)", tr.Name, err)
			continue
		}
		n++
	}
	t.Logf("%d of %d v4 handshakes reproduced (KEM by crystals-kyber-js / crystals-kyber, key schedule by python-axolotl)", n, len(f.Transcripts))
}
