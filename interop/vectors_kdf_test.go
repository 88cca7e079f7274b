package interop_test

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/forwardsecret/signal/interop/peer"
	"github.com/forwardsecret/signal/vectors"
)

// TestVectorsRatchetKDF has python-axolotl's own RootKey and ChainKey
// classes (ops root_step and chain_keys) reproduce every vector of
// vectors/data/ratchet_kdf.json: every root step, and every message key of
// every chain (salted chains through python-axolotl's HKDF with the listed
// salt).
func TestVectorsRatchetKDF(t *testing.T) {
	f, err := vectors.RatchetKDF()
	if err != nil {
		t.Fatal(err)
	}
	p := needPeer(t, peer.KindPython)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var roots, keys int
	for _, c := range f.RootChains {
		for _, s := range c.Steps {
			var r struct {
				RootKey  peer.Hex `json:"root_key"`
				ChainKey peer.Hex `json:"chain_key"`
			}
			err := p.Call(ctx, "root_step", struct {
				RootKey     peer.Hex `json:"root_key"`
				TheirPublic peer.Hex `json:"their_public"`
				OurPrivate  peer.Hex `json:"our_private"`
			}{peer.Hex(s.PreviousRootKey), peer.Hex(s.TheirRatchetPublic), peer.Hex(s.OurRatchetPrivate)}, &r)
			if err != nil || hex.EncodeToString(r.RootKey) != s.RootKey.String() || hex.EncodeToString(r.ChainKey) != s.ChainKey.String() {
				t.Errorf("%s step %d: %x %x, %v", c.Name, s.Step, []byte(r.RootKey), []byte(r.ChainKey), err)
				continue
			}
			roots++
		}
	}
	for _, c := range f.MessageChains {
		var salts []string
		if c.Salted {
			for _, s := range c.Steps {
				salts = append(salts, s.Salt.String())
			}
		}
		var r struct {
			Keys []struct {
				ChainKey  peer.Hex `json:"chain_key"`
				CipherKey peer.Hex `json:"cipher_key"`
				MACKey    peer.Hex `json:"mac_key"`
				IV        peer.Hex `json:"iv"`
			} `json:"keys"`
		}
		err := p.Call(ctx, "chain_keys", struct {
			ChainKey peer.Hex `json:"chain_key"`
			Count    int      `json:"count"`
			Salts    []string `json:"salts,omitempty"`
		}{peer.Hex(c.Steps[0].ChainKey), len(c.Steps), salts}, &r)
		if err != nil || len(r.Keys) != len(c.Steps) {
			t.Fatalf("%s: %v (%d keys)", c.Name, err, len(r.Keys))
		}
		for i, s := range c.Steps {
			k := r.Keys[i]
			if k.ChainKey.String() != s.ChainKey.String() || k.CipherKey.String() != s.CipherKey.String() ||
				k.MACKey.String() != s.MACKey.String() || k.IV.String() != s.IV.String() {
				t.Errorf("%s index %d: keys differ", c.Name, s.Index)
				continue
			}
			keys++
		}
	}
	t.Logf("python: %d root steps and %d message keys reproduced", roots, keys)
}

// TestVectorsX3DH has python-axolotl's responder (initializeSessionAsBob)
// reproduce the root and chain keys of the v3 (X3DH) vectors of
// vectors/data/pqxdh.json. The PQXDH vectors have no independent checker
// here: the official libsignal exposes no PQXDH without SPQR.
func TestVectorsX3DH(t *testing.T) {
	f, err := vectors.PQXDH()
	if err != nil {
		t.Fatal(err)
	}
	p := needPeer(t, peer.KindPython)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n := 0
	for _, v := range f.Vectors {
		if v.Form != "signal" || v.Version != 3 {
			continue
		}
		var r struct {
			RootKey  peer.Hex `json:"root_key"`
			ChainKey peer.Hex `json:"chain_key"`
		}
		err := p.Call(ctx, "x3dh_responder", struct {
			IdentityPrivate      peer.Hex `json:"identity_private"`
			SignedPreKeyPrivate  peer.Hex `json:"signed_prekey_private"`
			OneTimePreKeyPrivate peer.Hex `json:"one_time_prekey_private,omitempty"`
			TheirIdentity        peer.Hex `json:"their_identity"`
			TheirBaseKey         peer.Hex `json:"their_base_key"`
		}{peer.Hex(v.BobIdentityPrivate), peer.Hex(v.BobSignedPreKeyPrivate), peer.Hex(v.BobOneTimePreKeyPrivate),
			peer.Hex(v.AliceIdentityPublic), peer.Hex(v.AliceBasePublic)}, &r)
		if err != nil || r.RootKey.String() != v.RootKey.String() || r.ChainKey.String() != v.ChainKey.String() {
			t.Errorf("%s: %x %x, %v", v.Name, []byte(r.RootKey), []byte(r.ChainKey), err)
			continue
		}
		n++
	}
	if n < 2 {
		t.Fatalf("only %d X3DH vectors checked", n)
	}
	t.Logf("python: %d X3DH vectors reproduced", n)
}
