package libtest

import (
	"bytes"
	"crypto/ecdh"
	"flag"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/vectors"
)

// The known answers for package curve: RFC 7748's X25519 tests and
// libsignal's agreement and signature answers. (Wycheproof's X25519 tests
// run in curve/wycheproof_test.go.)

var long = flag.Bool("long", false, "run slow known answers (RFC 7748 1,000,000 iterations)")

func newKeys(t *testing.T, scalar, u []byte) (*curve.PrivateKey, curve.PublicKey) {
	t.Helper()
	priv, err := curve.NewPrivateKey(scalar)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := curve.NewPublicKey(u)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

// TestRFC7748ScalarMult runs RFC 7748 section 5.2's two X25519 vectors
// through curve. The second has bit 255 of u set, which X25519 masks.
func TestRFC7748ScalarMult(t *testing.T) {
	f, err := vectors.RFC7748()
	if err != nil {
		t.Fatal(err)
	}
	if len(f.ScalarMult) != 2 {
		t.Fatalf("%d vectors, want 2", len(f.ScalarMult))
	}
	for _, v := range f.ScalarMult {
		t.Run(v.ID, func(t *testing.T) {
			priv, pub := newKeys(t, v.Scalar, v.U)
			got, err := priv.ECDH(pub)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, v.Output) {
				t.Errorf("X25519 = %x, want %x", got, v.Output)
			}
		})
	}
	if f.ScalarMult[1].U[31]&0x80 == 0 {
		t.Error("second vector lost its top bit")
	}
}

// TestRFC7748Iterated runs the iterated test of RFC 7748 section 5.2 for 1
// and 1,000 iterations through curve (the 1,000,000 value only with -long).
// Every intermediate u is an X25519 output, so curve never refuses it.
func TestRFC7748Iterated(t *testing.T) {
	f, err := vectors.RFC7748()
	if err != nil {
		t.Fatal(err)
	}
	k := bytes.Clone(f.Iterated.Start)
	u := bytes.Clone(f.Iterated.Start)
	done := 0
	checked := 0
	for _, r := range f.Iterated.Results {
		if r.Iterations > 1000 && !*long {
			t.Logf("skipping %d iterations (use -long)", r.Iterations)
			continue
		}
		for ; done < r.Iterations; done++ {
			priv, pub := newKeys(t, k, u)
			out, err := priv.ECDH(pub)
			if err != nil {
				t.Fatalf("iteration %d: %v", done+1, err)
			}
			u, k = k, out
		}
		if !bytes.Equal(k, r.K) {
			t.Errorf("after %d iterations k = %x, want %x", r.Iterations, k, r.K)
		}
		checked++
	}
	if checked < 2 {
		t.Errorf("checked %d iteration counts, want at least 2", checked)
	}
}

// TestRFC7748Iterated1000Ecdh runs the same 1,000 iterations with
// crypto/ecdh directly, as a reference for the loop above.
func TestRFC7748IteratedECDH(t *testing.T) {
	f, err := vectors.RFC7748()
	if err != nil {
		t.Fatal(err)
	}
	k := bytes.Clone(f.Iterated.Start)
	u := bytes.Clone(f.Iterated.Start)
	for range 1000 {
		priv, err := ecdh.X25519().NewPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := ecdh.X25519().NewPublicKey(u)
		if err != nil {
			t.Fatal(err)
		}
		out, err := priv.ECDH(pub)
		if err != nil {
			t.Fatal(err)
		}
		u, k = k, out
	}
	if want := f.Iterated.Results[1]; want.Iterations != 1000 || !bytes.Equal(k, want.K) {
		t.Errorf("crypto/ecdh after 1000 iterations: %x, want %x", k, want.K)
	}
}

// TestRFC7748Agreement runs RFC 7748 section 6.1: both public keys from
// their private keys, and the shared secret from both sides.
func TestRFC7748Agreement(t *testing.T) {
	f, err := vectors.RFC7748()
	if err != nil {
		t.Fatal(err)
	}
	e := f.ECDH
	testAgreement(t, e.AlicePrivate, e.AlicePublic, e.BobPrivate, e.BobPublic, e.Shared)
}

// TestSignalAgreement runs libsignal's agreement answer
// (test_curve25519_agreement) with its 33-byte public keys.
func TestSignalAgreement(t *testing.T) {
	f, err := vectors.SignalRatchet()
	if err != nil {
		t.Fatal(err)
	}
	a := f.X25519Agreement
	for _, p := range [][]byte{a.AlicePublic33, a.BobPublic33} {
		if _, err := curve.ParsePublicKey(p); err != nil {
			t.Fatalf("ParsePublicKey(%x): %v", p, err)
		}
	}
	testAgreement(t, a.AlicePrivate, a.AlicePublic33[1:], a.BobPrivate, a.BobPublic33[1:], a.SharedSecret)
}

func testAgreement(t *testing.T, alicePriv, alicePub, bobPriv, bobPub, shared []byte) {
	t.Helper()
	alice, err := curve.NewPrivateKey(alicePriv)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := curve.NewPrivateKey(bobPriv)
	if err != nil {
		t.Fatal(err)
	}
	if u := alice.PublicKey().U(); !bytes.Equal(u[:], alicePub) {
		t.Errorf("Alice's public key %x, want %x", u, alicePub)
	}
	if u := bob.PublicKey().U(); !bytes.Equal(u[:], bobPub) {
		t.Errorf("Bob's public key %x, want %x", u, bobPub)
	}
	k1, err := alice.ECDH(bob.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	k2, err := bob.ECDH(alice.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1, shared) || !bytes.Equal(k2, shared) {
		t.Errorf("shared secrets %x / %x, want %x", k1, k2, shared)
	}
}

// TestSignalSignatureAnswer verifies libsignal's XEdDSA signature answer
// through curve.PublicKey.VerifySignature, and its single-byte corruptions.
func TestSignalSignatureAnswer(t *testing.T) {
	f, err := vectors.XEdDSA()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range f.XEdDSA {
		if v.ID != "lpc-test_curve25519_signature" {
			continue
		}
		pub, err := curve.ParsePublicKey(v.Public33)
		if err != nil {
			t.Fatal(err)
		}
		if !pub.VerifySignature(v.Message, v.Signature) {
			t.Fatal("libsignal's signature does not verify")
		}
		for i := range v.Signature {
			bad := bytes.Clone(v.Signature)
			bad[i] ^= 1
			if pub.VerifySignature(v.Message, bad) {
				t.Errorf("byte %d ^ 1 verifies", i)
			}
		}
		return
	}
	t.Fatal("lpc-test_curve25519_signature missing")
}
