package libtest

import (
	"bytes"
	"testing"

	"github.com/forwardsecret/signal/vectors"
	"github.com/forwardsecret/signal/xeddsa"
	"github.com/forwardsecret/signal/xeddsa/xeddsatest"
)

// The known answers of xeddsa.json for package xeddsa. (RFC 8032 and
// Wycheproof's Ed25519 tests, which check xeddsa's internal Edwards
// verification core, run in xeddsa/xeddsa_test.go and
// xeddsa/wycheproof_test.go.)

func loadXEdDSA(t testing.TB) *vectors.XEdDSAFile {
	t.Helper()
	f, err := vectors.XEdDSA()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// conventionOf maps a vector's scheme to our convention. Entries without a
// scheme are libsignal's own signatures (SignBit).
func conventionOf(t *testing.T, scheme string) xeddsa.Convention {
	switch scheme {
	case vectors.SchemeSignal, "":
		return xeddsa.SignBit
	case vectors.SchemeSpec:
		return xeddsa.Spec
	}
	t.Fatalf("unknown scheme %q", scheme)
	return 0
}

// TestXEdDSAVectors runs every XEdDSA entry of xeddsa.json in its stated
// convention, plus the entry's negative cases.
func TestXEdDSAVectors(t *testing.T) {
	f := loadXEdDSA(t)
	if len(f.XEdDSA) != 3 {
		t.Errorf("xeddsa.json has %d XEdDSA entries, want 3 (update this test when adding some)", len(f.XEdDSA))
	}
	for _, v := range f.XEdDSA {
		t.Run(v.ID, func(t *testing.T) {
			c := conventionOf(t, v.Scheme)
			priv, err := xeddsa.NewPrivateKey(v.Private)
			if err != nil {
				t.Fatal(err)
			}
			pub := v.PublicU()
			if !bytes.Equal(priv.PublicKey(), pub) {
				t.Fatalf("public key %x, want %x", priv.PublicKey(), pub)
			}
			switch v.Operation {
			case "sign":
				sig, err := xeddsatest.Sign(v.Private, v.Message, v.Random, c)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(sig, v.Signature) {
					t.Errorf("signature\n got %x\nwant %x", sig, v.Signature)
				}
			case "verify":
				if v.Valid == nil || !*v.Valid {
					t.Fatalf("verify entry without valid=true")
				}
			default:
				t.Fatalf("unknown operation %q", v.Operation)
			}
			if !xeddsa.Verify(pub, v.Message, v.Signature, c) {
				t.Errorf("Verify(%v) = false", c)
			}
			// Negative cases common to all entries: XOR 0x01 into byte 0,
			// and into each of the 64 bytes.
			for i := range v.Signature {
				bad := bytes.Clone(v.Signature)
				bad[i] ^= 0x01
				if xeddsa.Verify(pub, v.Message, bad, c) {
					t.Errorf("signature with byte %d ^ 0x01 verifies", i)
				}
			}
			ff := bytes.Repeat([]byte{0xff}, 32)
			if xeddsa.Verify(ff, v.Message, v.Signature, c) {
				t.Errorf("public key 0xff*32 accepted")
			}
		})
	}
}

// TestLibsignalSignatureBitFlips checks libsignal's signature answer
// (test_curve25519_signature) and that each of its 512 single-bit flips is
// rejected.
func TestLibsignalSignatureBitFlips(t *testing.T) {
	f := loadXEdDSA(t)
	var v *vectors.XEdDSAVector
	for i := range f.XEdDSA {
		if f.XEdDSA[i].ID == "lpc-test_curve25519_signature" {
			v = &f.XEdDSA[i]
		}
	}
	if v == nil {
		t.Fatal("lpc-test_curve25519_signature missing")
	}
	pub := v.PublicU()
	if !xeddsa.Verify(pub, v.Message, v.Signature, xeddsa.SignBit) {
		t.Fatal("libsignal signature does not verify")
	}
	// The top bit of byte 63 is set: the Spec convention must reject it.
	if v.Signature[63]&0x80 == 0 || xeddsa.Verify(pub, v.Message, v.Signature, xeddsa.Spec) {
		t.Error("expected a sign-bit signature that the Spec convention rejects")
	}
	flips := 0
	for i := 0; i < 8*len(v.Signature); i++ {
		bad := bytes.Clone(v.Signature)
		bad[i/8] ^= 1 << (i % 8)
		if xeddsa.Verify(pub, v.Message, bad, xeddsa.SignBit) {
			t.Errorf("flip of bit %d verifies", i)
		}
		flips++
	}
	if flips != 512 {
		t.Fatalf("%d flips", flips)
	}
	for i := 0; i < 8*len(v.Message); i++ {
		bad := bytes.Clone(v.Message)
		bad[i/8] ^= 1 << (i % 8)
		if xeddsa.Verify(pub, bad, v.Signature, xeddsa.SignBit) {
			t.Errorf("message bit %d flipped verifies", i)
		}
	}
}

// TestVXEdDSAVectors reproduces every VXEdDSA entry: the signature from the
// fixed randomness where one is listed, the VRF output always (also with
// fresh randomness), and the entry's negative cases.
func TestVXEdDSAVectors(t *testing.T) {
	f := loadXEdDSA(t)
	if len(f.VXEdDSA) != 3 {
		t.Errorf("xeddsa.json has %d VXEdDSA entries, want 3", len(f.VXEdDSA))
	}
	for _, v := range f.VXEdDSA {
		t.Run(v.ID, func(t *testing.T) {
			priv, err := xeddsa.NewPrivateKey(v.Private)
			if err != nil {
				t.Fatal(err)
			}
			pub := v.PublicU()
			if !bytes.Equal(priv.PublicKey(), pub) {
				t.Fatalf("public key %x, want %x", priv.PublicKey(), pub)
			}
			if len(v.VRF) != xeddsa.VRFOutputSize {
				t.Fatalf("entry has no VRF output")
			}
			want := v.ExpectedSignature()
			if want != nil {
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
				got, err := xeddsa.VRFVerify(pub, v.Message, want)
				if err != nil || !bytes.Equal(got, v.VRF) {
					t.Errorf("VRFVerify(listed signature) = %x, %v", got, err)
				}
			}
			sig, out, err := priv.VRFSign(v.Message)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, v.VRF) {
				t.Errorf("fresh-randomness vrf %x, want %x", out, v.VRF)
			}
			if want != nil && bytes.Equal(sig, want) {
				t.Errorf("fresh randomness gave the fixed-randomness signature")
			}
			got, err := xeddsa.VRFVerify(pub, v.Message, sig)
			if err != nil || !bytes.Equal(got, v.VRF) {
				t.Errorf("VRFVerify = %x, %v", got, err)
			}

			// Negative cases: XOR 0xff into byte 4 of the message, the
			// public key, or the signature.
			if want == nil {
				want = sig
			}
			msg := bytes.Clone(v.Message)
			msg[4] ^= 0xff
			if _, err := xeddsa.VRFVerify(pub, msg, want); err != xeddsa.ErrInvalidSignature {
				t.Errorf("modified message: err = %v", err)
			}
			badPub := bytes.Clone(pub)
			badPub[4] ^= 0xff
			if _, err := xeddsa.VRFVerify(badPub, v.Message, want); err != xeddsa.ErrInvalidSignature {
				t.Errorf("modified public key: err = %v", err)
			}
			for i := range want {
				bad := bytes.Clone(want)
				bad[i] ^= 0xff
				if out, err := xeddsa.VRFVerify(pub, v.Message, bad); err == nil || out != nil {
					t.Errorf("signature byte %d ^ 0xff: out %x, err %v", i, out, err)
				}
			}
		})
	}
}
