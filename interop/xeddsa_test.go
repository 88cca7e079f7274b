package interop_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/forwardsecret/signal/interop/peer"
	"github.com/forwardsecret/signal/vectors"
)

// injectsRandom lists the peers whose library lets the caller supply the
// 64-byte XEdDSA random Z. go.mau.fi/libsignal draws it internally.
var injectsRandom = map[string]bool{
	peer.KindC:      true,
	peer.KindPython: true,
	peer.KindNode:   true,
	peer.KindGomau:  false,
	peer.KindNodeV4: false,
}

// signerKinds are the peers in the XEdDSA cross-check: the v3 peers plus
// the official libsignal (v4 peer), whose signatures must interoperate too.
var signerKinds = append(append([]string(nil), peer.V3Kinds...), peer.KindNodeV4)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in vector: %v", err)
	}
	return b
}

func flip(b []byte, i int, mask byte) []byte {
	c := bytes.Clone(b)
	c[i] ^= mask
	return c
}

// startAll starts one peer of each kind in signerKinds (skipping/failing per needPeer).
func startAll(t *testing.T) map[string]*peer.Process {
	t.Helper()
	ps := map[string]*peer.Process{}
	for _, k := range signerKinds {
		ps[k] = needPeer(t, k)
	}
	return ps
}

// TestXEdDSACrossVerify has every peer sign with several fresh keys (about
// half of them have an Edwards sign bit of 1, which libsignal carries in
// signature byte 63) and every peer verify every signature; corrupted
// signatures and wrong messages must be rejected by all.
func TestXEdDSACrossVerify(t *testing.T) {
	ctx := context.Background()
	ps := startAll(t)
	messages := [][]byte{
		{},
		append([]byte{0x05}, bytes.Repeat([]byte{0xab}, 32)...), // signed-prekey style
		bytes.Repeat([]byte("xeddsa cross-check "), 60),
	}
	const keysPerSigner = 6
	checked := 0
	for _, signer := range signerKinds {
		sp := ps[signer]
		for k := range keysPerSigner {
			priv := randBytes(t, 32)
			// Let the signer compute the public key from the private key.
			pub, err := sp.Init(ctx, peer.InitRequest{RegistrationID: 1, DeviceID: 1, IdentityPrivate: priv})
			if err != nil {
				t.Fatalf("%s init: %v", signer, err)
			}
			for mi, msg := range messages {
				sig, err := sp.XEdDSASign(ctx, priv, msg, nil)
				if err != nil {
					t.Fatalf("%s sign (key %d, message %d): %v", signer, k, mi, err)
				}
				if len(sig) != 64 {
					t.Fatalf("%s: signature length %d", signer, len(sig))
				}
				for _, verifier := range signerKinds {
					vp := ps[verifier]
					ok, err := vp.XEdDSAVerify(ctx, pub, msg, sig)
					if err != nil {
						t.Fatalf("%s verify: %v", verifier, err)
					}
					if !ok {
						t.Errorf("%s rejects %s's signature (key %d, message %d, sig[63]=%#02x)", verifier, signer, k, mi, sig[63])
					}
					for _, bad := range [][]byte{flip(sig, 0, 1), flip(sig, 40, 0x10), flip(sig, 63, 0x80)} {
						if ok, err := vp.XEdDSAVerify(ctx, pub, msg, bad); err != nil || ok {
							t.Errorf("%s accepts a corrupted signature from %s (err %v)", verifier, signer, err)
						}
					}
					wrong := append(bytes.Clone(msg), 0x00)
					if ok, err := vp.XEdDSAVerify(ctx, pub, wrong, sig); err != nil || ok {
						t.Errorf("%s accepts %s's signature on a different message (err %v)", verifier, signer, err)
					}
					checked++
				}
			}
		}
	}
	t.Logf("%d (signer, key, message, verifier) combinations cross-checked", checked)
}

type xeddsaVectors struct {
	XEdDSA []struct {
		ID        string `json:"id"`
		Operation string `json:"operation"`
		Scheme    string `json:"scheme"`
		Private   string `json:"private"`
		Public33  string `json:"public_33"`
		Public    string `json:"public"`
		Message   string `json:"message"`
		Random    string `json:"random"`
		Signature string `json:"signature"`
	} `json:"xeddsa"`
	VXEdDSA []struct {
		ID        string `json:"id"`
		Private   string `json:"private"`
		Public33  string `json:"public_33"`
		Public    string `json:"public"`
		Message   string `json:"message"`
		Random    string `json:"random"`
		Signature string `json:"signature"`
		SigHere   string `json:"signature_computed_here"`
		VRF       string `json:"vrf"`
	} `json:"vxeddsa"`
}

func loadXEdDSAVectors(t *testing.T) xeddsaVectors {
	t.Helper()
	dir := vectors.SharedDir(t)
	b, err := os.ReadFile(filepath.Join(dir, "xeddsa.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v xeddsaVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestXEdDSAVectors checks the known answers of xeddsa.json against every
// peer: the libsignal-protocol-c signature verifies everywhere (and no
// single-bit corruption does), and the signal_curve25519_sign vector
// (lpc-curvesigs_fast_test) is reproduced byte for byte by every peer that
// accepts an injected random.
func TestXEdDSAVectors(t *testing.T) {
	ctx := context.Background()
	v := loadXEdDSAVectors(t)
	ps := startAll(t)
	seen := 0
	for _, e := range v.XEdDSA {
		pub := mustHex(t, e.Public33)
		if e.Public33 == "" {
			pub = append([]byte{0x05}, mustHex(t, e.Public)...)
		}
		msg := mustHex(t, e.Message)
		switch {
		case e.ID == "lpc-test_curve25519_signature":
			seen++
			sig := mustHex(t, e.Signature)
			for _, k := range signerKinds {
				ok, err := ps[k].XEdDSAVerify(ctx, pub, msg, sig)
				if err != nil || !ok {
					t.Errorf("%s: %s does not verify (err %v)", k, e.ID, err)
				}
				for i := range 64 {
					if ok, err := ps[k].XEdDSAVerify(ctx, pub, msg, flip(sig, i, 0x01)); err != nil || ok {
						t.Errorf("%s: %s with byte %d flipped accepted (err %v)", k, e.ID, i, err)
					}
				}
			}
		case e.Scheme == "signal_curve25519_sign":
			seen++
			want := mustHex(t, e.Signature)
			priv, rnd := mustHex(t, e.Private), mustHex(t, e.Random)
			for _, k := range signerKinds {
				got, err := ps[k].XEdDSASign(ctx, priv, msg, rnd)
				if !injectsRandom[k] {
					if !errors.Is(err, peer.ErrUnsupported) {
						t.Errorf("%s: sign with injected random: got err %v, want ErrUnsupported", k, err)
					}
				} else if err != nil {
					t.Errorf("%s: %s: %v", k, e.ID, err)
				} else if !bytes.Equal(got, want) {
					t.Errorf("%s: %s:\n got %x\nwant %x", k, e.ID, got, want)
				}
				ok, err := ps[k].XEdDSAVerify(ctx, pub, msg, want)
				if err != nil || !ok {
					t.Errorf("%s: %s signature does not verify (err %v)", k, e.ID, err)
				}
				if ok, err := ps[k].XEdDSAVerify(ctx, pub, msg, flip(want, 0, 1)); err != nil || ok {
					t.Errorf("%s: %s corrupted signature accepted (err %v)", k, e.ID, err)
				}
			}
		}
	}
	if seen != 2 {
		t.Fatalf("expected the 2 XEdDSA vectors used here in xeddsa.json, found %d", seen)
	}
}

// TestVXEdDSAVectors checks the VXEdDSA known answers against the C peer
// (the only peer whose library exposes VXEdDSA, via
// generalized_xveddsa_25519_sign/verify).
func TestVXEdDSAVectors(t *testing.T) {
	ctx := context.Background()
	v := loadXEdDSAVectors(t)
	c := needPeer(t, peer.KindC)
	for _, k := range []string{peer.KindPython, peer.KindNode, peer.KindGomau, peer.KindNodeV4} {
		p := needPeer(t, k)
		if _, _, err := p.VXEdDSASign(ctx, make([]byte, 32), nil, nil); !errors.Is(err, peer.ErrUnsupported) {
			t.Errorf("%s: vxeddsa_sign: got %v, want ErrUnsupported", k, err)
		}
	}
	for _, e := range v.VXEdDSA {
		t.Run(e.ID, func(t *testing.T) {
			pub := append([]byte{0x05}, mustHex(t, e.Public)...)
			if e.Public33 != "" {
				pub = mustHex(t, e.Public33)
			}
			priv, msg, vrf := mustHex(t, e.Private), mustHex(t, e.Message), mustHex(t, e.VRF)
			// Fresh randomness: VRF output must not depend on it.
			sig, gotVRF, err := c.VXEdDSASign(ctx, priv, msg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gotVRF, vrf) {
				t.Errorf("vrf (random Z) = %x, want %x", gotVRF, vrf)
			}
			ok, vrf2, err := c.VXEdDSAVerify(ctx, pub, msg, sig)
			if err != nil || !ok || !bytes.Equal(vrf2, vrf) {
				t.Errorf("verify own signature: ok=%v vrf=%x err=%v", ok, vrf2, err)
			}
			want := e.Signature
			if want == "" {
				want = e.SigHere
			}
			if e.Random == "" || want == "" {
				return
			}
			sig, gotVRF, err = c.VXEdDSASign(ctx, priv, msg, mustHex(t, e.Random))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sig, mustHex(t, want)) || !bytes.Equal(gotVRF, vrf) {
				t.Errorf("sign with fixed Z:\n got %x / %x\nwant %s / %x", sig, gotVRF, want, vrf)
			}
			for _, bad := range []struct {
				name         string
				pub, msg, sg []byte
			}{
				{"message", pub, flip(msg, 4, 0xff), sig},
				{"public", flip(pub, 5, 0xff), msg, sig},
				{"signature", pub, msg, flip(sig, 4, 0xff)},
			} {
				ok, _, err := c.VXEdDSAVerify(ctx, bad.pub, bad.msg, bad.sg)
				if err != nil || ok {
					t.Errorf("corrupted %s accepted (err %v)", bad.name, err)
				}
			}
		})
	}
}
