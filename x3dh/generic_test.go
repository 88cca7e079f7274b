package x3dh_test

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha512"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh"
	"github.com/forwardsecret/signal/x3dh/x3dhtest"
)

// TestGenericMatchesSignal: with SHA-256 and Signal's info strings, SK is the
// first 32 bytes of the same HKDF output, i.e. Signal's root key.
func TestGenericMatchesSignal(t *testing.T) {
	b := newBob(t, x3dh.Kyber1024)
	alice := newIdentity(t)
	base, err := curve.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	rnd := bytes.Repeat([]byte{7}, x3dhtest.KEMRandomSize)
	bu := b.bundle(t, true, true)
	for _, tc := range []struct {
		v x3dh.Version
		g x3dh.Generic
	}{
		{x3dh.V3, x3dh.Generic{Hash: crypto.SHA256, Info: x3dh.InfoV3}},
		{x3dh.V4, x3dh.Generic{Hash: crypto.SHA256, Info: x3dh.InfoV4, PQ: true}},
	} {
		in, err := x3dhtest.Initiate(tc.v, alice, bu, base, rnd)
		if err != nil {
			t.Fatal(err)
		}
		gr, msg, err := x3dhtest.GenericInitiate(&tc.g, alice, bu, base, rnd)
		if err != nil {
			t.Fatal(err)
		}
		if gr.SK != in.Keys.RootKey {
			t.Errorf("%v: generic SK differs from the root key", tc.v)
		}
		if !bytes.Equal(msg.KEMCiphertext, in.Message.KEMCiphertext) || !msg.BaseKey.Equal(in.Message.BaseKey) {
			t.Errorf("%v: generic message differs", tc.v)
		}
	}
}

func TestGenericRoundTrip(t *testing.T) {
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA512} {
		for _, kt := range []x3dh.KEMType{x3dh.Kyber1024, x3dh.MLKEM1024} {
			for _, pq := range []bool{false, true} {
				b := newBob(t, kt)
				alice := newIdentity(t)
				g := &x3dh.Generic{Hash: h, Info: "MyProtocol_CURVE25519_SHA-512_ML-KEM-1024", PQ: pq}
				gr, msg, err := g.Initiate(alice, b.bundle(t, true, true))
				if err != nil {
					t.Fatal(err)
				}
				if (msg.KEMCiphertext != nil) != pq {
					t.Fatalf("PQ=%v but ciphertext present=%v", pq, msg.KEMCiphertext != nil)
				}
				br, err := g.Respond(b.keys(msg), msg)
				if err != nil {
					t.Fatal(err)
				}
				if br.SK != gr.SK || !bytes.Equal(br.AD, gr.AD) {
					t.Fatalf("%v %v PQ=%v: sides disagree", h, kt, pq)
				}
				wantAD := append(alice.PublicKey().Bytes(), b.identity.PublicKey().Bytes()...)
				if !bytes.Equal(gr.AD, wantAD) {
					t.Fatalf("AD = %x, want %x", gr.AD, wantAD)
				}
			}
		}
	}
}

// TestGenericFromSpec recomputes SK with crypto/ecdh and crypto/hkdf straight
// from the X3DH specification (section 3.3), for SHA-512 with a one-time
// prekey.
func TestGenericFromSpec(t *testing.T) {
	b := newBob(t, x3dh.Kyber1024)
	alice := newIdentity(t)
	base, err := curve.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	g := &x3dh.Generic{Hash: crypto.SHA512, Info: "ExampleApp"}
	gr, _, err := x3dhtest.GenericInitiate(g, alice, b.bundle(t, true, false), base, nil)
	if err != nil {
		t.Fatal(err)
	}
	dh := func(priv *curve.PrivateKey, pub curve.PublicKey) []byte {
		k, err := ecdh.X25519().NewPrivateKey(priv.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		u := pub.U()
		p, err := ecdh.X25519().NewPublicKey(u[:])
		if err != nil {
			t.Fatal(err)
		}
		s, err := k.ECDH(p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	km := bytes.Repeat([]byte{0xFF}, 32)
	km = append(km, dh(alice.PrivateKey(), b.signed.KeyPair.Public)...)
	km = append(km, dh(base, b.identity.PublicKey())...)
	km = append(km, dh(base, b.signed.KeyPair.Public)...)
	km = append(km, dh(base, b.oneTime.KeyPair.Public)...)
	sk, err := hkdf.Key(sha512.New, km, make([]byte, sha512.Size), "ExampleApp", 32)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gr.SK[:], sk) {
		t.Fatalf("SK = %x, want %x", gr.SK, sk)
	}
}

func TestGenericRejections(t *testing.T) {
	b := newBob(t, x3dh.Kyber1024)
	alice := newIdentity(t)
	for _, g := range []x3dh.Generic{
		{Hash: crypto.MD5, Info: "MyProtocol"},
		{Hash: crypto.SHA3_256, Info: "MyProtocol"},
		{Hash: crypto.SHA256, Info: "short"},
		{Hash: crypto.SHA512},
	} {
		if _, _, err := g.Initiate(alice, b.bundle(t, false, true)); !errors.Is(err, x3dh.ErrInvalidGeneric) {
			t.Errorf("%+v: Initiate: %v", g, err)
		}
		if _, err := g.Respond(b.keys(&x3dh.Message{}), &x3dh.Message{}); !errors.Is(err, x3dh.ErrInvalidGeneric) {
			t.Errorf("%+v: Respond: %v", g, err)
		}
	}
	g := &x3dh.Generic{Hash: crypto.SHA256, Info: "MyProtocol", PQ: true}
	if _, _, err := g.Initiate(alice, b.bundle(t, false, false)); !errors.Is(err, x3dh.ErrMissingKEMPreKey) {
		t.Errorf("PQ without KEM prekey: %v", err)
	}
	_, msg, err := g.Initiate(alice, b.bundle(t, false, true))
	if err != nil {
		t.Fatal(err)
	}
	msg.BaseKey = lowOrder
	if _, err := g.Respond(b.keys(msg), msg); !errors.Is(err, x3dh.ErrInvalidBaseKey) {
		t.Errorf("low-order base key: %v", err)
	}
}

// TestGenericVerifySignedPreKey checks the signature hook: it replaces the
// XEdDSA check (a bundle whose signature XEdDSA rejects passes when the hook
// accepts), its error is returned, and the other checks still run.
func TestGenericVerifySignedPreKey(t *testing.T) {
	b := newBob(t, x3dh.Kyber1024)
	alice := newIdentity(t)
	bu := b.bundle(t, true, false)
	bu.SignedPreKey.Signature = bytes.Repeat([]byte{1}, 64) // not an XEdDSA signature
	plain := x3dh.Generic{Hash: crypto.SHA256, Info: "OMEMO X3DH"}
	if _, _, err := plain.Initiate(alice, bu); !errors.Is(err, x3dh.ErrBadSignedPreKeySignature) {
		t.Fatalf("without hook: %v, want ErrBadSignedPreKeySignature", err)
	}
	calls := 0
	g := plain
	g.VerifySignedPreKey = func(got *x3dh.Bundle) error {
		calls++
		if got != bu {
			t.Error("hook got another bundle")
		}
		return nil
	}
	if _, _, err := g.Initiate(alice, bu); err != nil || calls != 1 {
		t.Fatalf("with accepting hook: %v (%d calls)", err, calls)
	}
	if _, _, err := x3dhtest.GenericInitiate(&g, alice, bu, mustPriv(t), nil); err != nil {
		t.Fatalf("x3dhtest with hook: %v", err)
	}
	g.VerifySignedPreKey = func(*x3dh.Bundle) error { return x3dh.ErrBadSignedPreKeySignature }
	if _, _, err := g.Initiate(alice, bu); !errors.Is(err, x3dh.ErrBadSignedPreKeySignature) {
		t.Fatalf("rejecting hook: %v", err)
	}
	g.VerifySignedPreKey = func(*x3dh.Bundle) error { return nil }
	zero := *bu
	zero.IdentityKey = curve.PublicKey{}
	if _, _, err := g.Initiate(alice, &zero); !errors.Is(err, x3dh.ErrInvalidBundle) {
		t.Fatalf("zero identity with hook: %v", err)
	}
}

func mustPriv(t *testing.T) *curve.PrivateKey {
	t.Helper()
	k, err := curve.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
