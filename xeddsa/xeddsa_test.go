package xeddsa_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"testing"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
	"github.com/forwardsecret/signal/internal/vectorfiles"
	"github.com/forwardsecret/signal/xeddsa"
	"github.com/forwardsecret/signal/xeddsa/internal/core"
	"github.com/forwardsecret/signal/xeddsa/xeddsatest"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// edwardsKey converts the u-coordinate u to the Ed25519 public key with
// y = (u-1)/(u+1) and the given sign, independently of the package's code.
func edwardsKey(t testing.TB, u []byte, sign byte) ed25519.PublicKey {
	t.Helper()
	fu, err := new(field.Element).SetBytes(u)
	if err != nil {
		t.Fatal(err)
	}
	one := new(field.Element).One()
	den := new(field.Element).Add(fu, one)
	y := new(field.Element).Subtract(fu, one)
	y.Multiply(y, den.Invert(den))
	A := y.Bytes()
	A[31] |= sign << 7
	return A
}

// TestConstantSizes pins the public constants to the core's.
func TestConstantSizes(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"PrivateKeySize", xeddsa.PrivateKeySize, core.ScalarSize},
		{"PublicKeySize", xeddsa.PublicKeySize, 32},
		{"SignatureSize", xeddsa.SignatureSize, ed25519.SignatureSize},
		{"RandomSize", xeddsa.RandomSize, 64},
		{"VRFSignatureSize", xeddsa.VRFSignatureSize, 96},
		{"VRFOutputSize", xeddsa.VRFOutputSize, 32},
		{"VRFRandomSize", xeddsa.VRFRandomSize, 32},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

// TestRFC8032 checks the Edwards verification core against RFC 8032
// section 7.1, and that the vectors themselves are right (crypto/ed25519
// derives the keys and reproduces the signatures).
//
// The vectors are the vectors module's rfc8032.json, read from the
// repository (the test skips without it, and fails under CI=true).
func TestRFC8032(t *testing.T) {
	var f struct {
		Ed25519 []struct {
			ID        string          `json:"id"`
			SecretKey vectorfiles.Hex `json:"secret_key"`
			PublicKey vectorfiles.Hex `json:"public_key"`
			Message   vectorfiles.Hex `json:"message"`
			Signature vectorfiles.Hex `json:"signature"`
		} `json:"ed25519"`
	}
	vectorfiles.Load(t, "rfc8032.json", &f)
	if len(f.Ed25519) != 5 {
		t.Fatalf("%d vectors, want 5", len(f.Ed25519))
	}
	for _, v := range f.Ed25519 {
		t.Run(v.ID, func(t *testing.T) {
			priv := ed25519.NewKeyFromSeed(v.SecretKey)
			if !bytes.Equal(priv.Public().(ed25519.PublicKey), v.PublicKey) {
				t.Fatalf("public key mismatch: vector transcription error?")
			}
			if !bytes.Equal(ed25519.Sign(priv, v.Message), v.Signature) {
				t.Fatalf("crypto/ed25519 does not reproduce the signature")
			}
			if !core.VerifyEdwards(v.PublicKey, v.Message, v.Signature) {
				t.Errorf("VerifyEdwards = false")
			}
			bad := bytes.Clone(v.Signature)
			bad[10] ^= 4
			if core.VerifyEdwards(v.PublicKey, v.Message, bad) {
				t.Errorf("VerifyEdwards accepted a modified signature")
			}
		})
	}
}

// TestRoundTripEd25519CrossCheck signs random messages under random keys in
// both conventions, verifies them, and checks each signature with
// crypto/ed25519.Verify under the Edwards form of the key: the sign bit
// taken from the signature (SignBit) or 0 (Spec).
func TestRoundTripEd25519CrossCheck(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 300
	} else if raceEnabled {
		n = 1000
	}
	for _, c := range []xeddsa.Convention{xeddsa.SignBit, xeddsa.Spec} {
		t.Run(c.String(), func(t *testing.T) {
			k := make([]byte, 32)
			for i := range n {
				rand.Read(k)
				priv, err := xeddsa.NewPrivateKey(k)
				if err != nil {
					t.Fatal(err)
				}
				msg := make([]byte, i%200)
				rand.Read(msg)
				sig := priv.Sign(msg, c)
				pub := priv.PublicKey()
				if !xeddsa.Verify(pub, msg, sig, c) {
					t.Fatalf("round %d: signature does not verify", i)
				}
				sign := byte(0)
				edSig := bytes.Clone(sig)
				if c == xeddsa.SignBit {
					sign = sig[63] >> 7
					edSig[63] &= 0x7f
				} else if sig[63]&0x80 != 0 {
					t.Fatalf("round %d: Spec signature with top bit set", i)
				}
				if !ed25519.Verify(edwardsKey(t, pub, sign), msg, edSig) {
					t.Fatalf("round %d: crypto/ed25519 rejects the signature", i)
				}
				if i%16 == 0 {
					other := xeddsa.SignBit + xeddsa.Spec - c
					// The other convention accepts exactly when the sign
					// bit of A is 0.
					if got := xeddsa.Verify(pub, msg, sig, other); got != (sign == 0) {
						t.Fatalf("round %d: Verify(%v) = %v with sign %d", i, other, got, sign)
					}
					msg2 := append(bytes.Clone(msg), 0)
					if xeddsa.Verify(pub, msg2, sig, c) {
						t.Fatalf("round %d: verifies for another message", i)
					}
				}
			}
		})
	}
}

// TestVRFRoundTrip signs and verifies random VRF inputs and checks that the
// output depends on the key and the message.
func TestVRFRoundTrip(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 30
	}
	seen := map[string]bool{}
	k := make([]byte, 32)
	for i := range n {
		rand.Read(k)
		priv, _ := xeddsa.NewPrivateKey(k)
		msg := []byte(fmt.Sprint("message ", i))
		sig, out, err := priv.VRFSign(msg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := xeddsa.VRFVerify(priv.PublicKey(), msg, sig)
		if err != nil || !bytes.Equal(got, out) {
			t.Fatalf("round %d: VRFVerify = %x, %v; want %x", i, got, err, out)
		}
		if seen[string(out)] {
			t.Fatalf("round %d: repeated output", i)
		}
		seen[string(out)] = true
		if _, err := xeddsa.VRFVerify(priv.PublicKey(), append(msg, 1), sig); err == nil {
			t.Fatalf("round %d: verifies for another message", i)
		}
	}
}

func TestDeterministicSign(t *testing.T) {
	priv := bytes.Repeat([]byte{3}, 32)
	z := bytes.Repeat([]byte{9}, 64)
	for _, c := range []xeddsa.Convention{xeddsa.SignBit, xeddsa.Spec} {
		a, err := xeddsatest.Sign(priv, []byte("m"), z, c)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := xeddsatest.Sign(priv, []byte("m"), z, c)
		if !bytes.Equal(a, b) {
			t.Errorf("%v: not deterministic", c)
		}
		z2 := bytes.Clone(z)
		z2[63] ^= 1
		d, _ := xeddsatest.Sign(priv, []byte("m"), z2, c)
		if bytes.Equal(a, d) {
			t.Errorf("%v: randomness ignored", c)
		}
	}
	if _, err := xeddsatest.Sign(priv, nil, z[:32], xeddsa.SignBit); err != xeddsatest.ErrRandomSize {
		t.Errorf("short random: %v", err)
	}
	if _, err := xeddsatest.Sign(priv[:31], nil, z, xeddsa.SignBit); err != xeddsa.ErrInvalidPrivateKey {
		t.Errorf("short key: %v", err)
	}
	if _, err := xeddsatest.Sign(priv, nil, z, 0); err != xeddsatest.ErrInvalidConvention {
		t.Errorf("zero convention: %v", err)
	}
	if _, _, err := xeddsatest.VRFSign(priv, nil, z); err != xeddsatest.ErrRandomSize {
		t.Errorf("VRF 64-byte random: %v", err)
	}
	if _, _, err := xeddsatest.VRFSign(priv[:1], nil, z[:32]); err != xeddsa.ErrInvalidPrivateKey {
		t.Errorf("VRF short key: %v", err)
	}
}

func TestPrivateKey(t *testing.T) {
	if _, err := xeddsa.NewPrivateKey(make([]byte, 31)); err != xeddsa.ErrInvalidPrivateKey {
		t.Errorf("31-byte key: %v", err)
	}
	k := bytes.Repeat([]byte{0xff}, 32)
	priv, err := xeddsa.NewPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	// Clamping: the key behaves as its clamped form.
	clamped := bytes.Clone(k)
	clamped[0] &= 248
	clamped[31] = clamped[31]&127 | 64
	priv2, _ := xeddsa.NewPrivateKey(clamped)
	if !bytes.Equal(priv.PublicKey(), priv2.PublicKey()) {
		t.Error("key not clamped")
	}
	for _, s := range []string{priv.String(), fmt.Sprintf("%v %+v %#v %s", priv, priv, priv, priv)} {
		if bytes.Contains([]byte(s), []byte("ff")) || !bytes.Contains([]byte(s), []byte("REDACTED")) {
			t.Errorf("formatted key: %q", s)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Sign with the zero Convention did not panic")
		}
	}()
	priv.Sign(nil, 0)
}

// lowOrderU lists the u-coordinates of low order on Curve25519 and its twist
// with their non-canonical and bit-255 variants (libsodium's blocklist and
// x/crypto's curve25519 vectors).
var lowOrderU = []string{
	"0000000000000000000000000000000000000000000000000000000000000000", // 0: order 2
	"0100000000000000000000000000000000000000000000000000000000000000", // 1: order 4
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", // order 8
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", // order 8
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p-1: order 4 (twist)
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p = 0
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p+1 = 1
	"cdeb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880", // bit 255 set
	"4c9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
	"d9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"daffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"dbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
}

// TestVerifyRejectsLowOrderKeys checks that low-order keys are rejected even
// with a signature that satisfies the verification equation: for a key A of
// small order, s = 0 and R = -h·A, found by trying messages until the R
// picked among the small multiples of A matches its own challenge.
func TestVerifyRejectsLowOrderKeys(t *testing.T) {
	for _, us := range lowOrderU {
		u := mustHex(us)
		for _, c := range []xeddsa.Convention{xeddsa.SignBit, xeddsa.Spec} {
			sig := make([]byte, 64)
			if xeddsa.Verify(u, []byte("m"), sig, c) {
				t.Errorf("u=%s %v: accepted", us, c)
			}
		}
		if _, err := xeddsa.VRFVerify(u, []byte("m"), make([]byte, 96)); err == nil {
			t.Errorf("u=%s: VRFVerify accepted", us)
		}
	}
	forged := 0
	for _, us := range lowOrderU[1:4] { // canonical, on-curve, non-zero x
		u := mustHex(us)
		for sign := byte(0); sign < 2; sign++ {
			A := edwardsKey(t, u, sign)
			P, err := new(edwards25519.Point).SetBytes(A)
			if err != nil {
				t.Fatal(err)
			}
			sig, msg := forgeSmallOrder(t, P, A)
			if sig == nil {
				t.Fatalf("u=%s: no forgery found", us)
			}
			forged++
			if ed25519.Verify(A, msg, sig) != true {
				// crypto/ed25519 accepts small-order keys; the forgery
				// must pass the bare equation for this test to mean
				// anything.
				t.Fatalf("u=%s sign=%d: forgery does not satisfy the equation", us, sign)
			}
			if core.VerifyEdwards(A, msg, sig) {
				t.Errorf("u=%s sign=%d: VerifyEdwards accepted a small-order key", us, sign)
			}
			c := xeddsa.Spec
			if sign == 1 {
				c = xeddsa.SignBit
				sig[63] |= 0x80
			}
			if xeddsa.Verify(u, msg, sig, c) {
				t.Errorf("u=%s sign=%d: Verify accepted a small-order key", us, sign)
			}
		}
	}
	if forged != 6 {
		t.Errorf("%d forgeries", forged)
	}
}

func forgeSmallOrder(t *testing.T, P *edwards25519.Point, A []byte) (sig, msg []byte) {
	var multiples [8][]byte
	Q := edwards25519.NewIdentityPoint()
	for i := range multiples {
		multiples[i] = Q.Bytes()
		Q = new(edwards25519.Point).Add(Q, P)
	}
	zero := edwards25519.NewScalar()
	for m := range 1000 {
		msg = []byte(fmt.Sprint("forge ", m))
		for _, R := range multiples {
			h := sha512.New()
			h.Write(R)
			h.Write(A)
			h.Write(msg)
			k, _ := new(edwards25519.Scalar).SetUniformBytes(h.Sum(nil))
			minusA := new(edwards25519.Point).Negate(P)
			got := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(k, minusA, zero)
			if bytes.Equal(got.Bytes(), R) {
				return append(bytes.Clone(R), zero.Bytes()...), msg
			}
		}
	}
	return nil, nil
}

// TestVerifyRejectsMalformed covers lengths, s out of range, non-canonical u
// and non-canonical R. None may panic.
func TestVerifyRejectsMalformed(t *testing.T) {
	k := bytes.Repeat([]byte{0x42}, 32)
	priv, _ := xeddsa.NewPrivateKey(k)
	pub := priv.PublicKey()
	msg := []byte("hello")
	for _, c := range []xeddsa.Convention{xeddsa.SignBit, xeddsa.Spec} {
		sig := priv.Sign(msg, c)
		if !xeddsa.Verify(pub, msg, sig, c) {
			t.Fatal("valid signature rejected")
		}
		for _, n := range []int{0, 1, 31, 33, 64} {
			if xeddsa.Verify(make([]byte, n), msg, sig, c) {
				t.Errorf("%v: %d-byte key accepted", c, n)
			}
		}
		for _, n := range []int{0, 32, 63, 65, 96} {
			s := make([]byte, n)
			copy(s, sig)
			if xeddsa.Verify(pub, msg, s, c) {
				t.Errorf("%v: %d-byte signature accepted", c, n)
			}
		}
		if xeddsa.Verify(pub, msg, append(bytes.Clone(sig), 0), c) {
			t.Errorf("%v: signature with a trailing byte accepted", c)
		}

		// s + L: the same residue, not canonical (s < 2^253 still).
		withL := addL(sig)
		if withL[63]&0xe0 != sig[63]&0x80 {
			t.Fatalf("s+L overflowed 2^253")
		}
		if xeddsa.Verify(pub, msg, withL, c) {
			t.Errorf("%v: s+L accepted", c)
		}
		// s >= 2^253 (bits 253, 254 set).
		for _, bit := range []byte{0x20, 0x40, 0x60} {
			bad := bytes.Clone(sig)
			bad[63] |= bit
			if xeddsa.Verify(pub, msg, bad, c) {
				t.Errorf("%v: s with bits %#x accepted", c, bit)
			}
		}
		// All-ones s.
		bad := bytes.Clone(sig)
		for i := 32; i < 64; i++ {
			bad[i] = 0xff
		}
		if xeddsa.Verify(pub, msg, bad, c) {
			t.Errorf("%v: s = 2^256-1 accepted", c)
		}
	}

	// Non-canonical u: the key with bit 255 set, and u in [p, 2^255).
	topBit := bytes.Clone(pub)
	topBit[31] |= 0x80
	sig := priv.Sign(msg, xeddsa.SignBit)
	if xeddsa.Verify(topBit, msg, sig, xeddsa.SignBit) {
		t.Error("u with bit 255 set accepted")
	}
	for d := range 19 {
		u := mustHex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
		u[0] += byte(d)
		if xeddsa.Verify(u, msg, sig, xeddsa.SignBit) || xeddsa.Verify(u, msg, sig, xeddsa.Spec) {
			t.Errorf("u = p+%d accepted", d)
		}
	}
}

// addL returns sig with L added to its s (libsignal sign bit preserved).
func addL(sig []byte) []byte {
	L := mustHex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
	out := bytes.Clone(sig)
	top := out[63] & 0x80
	out[63] &= 0x7f
	var carry uint16
	for i := range 32 {
		v := uint16(out[32+i]) + uint16(L[i]) + carry
		out[32+i] = byte(v)
		carry = v >> 8
	}
	out[63] |= top
	return out
}

// TestVerifyRejectsNonCanonicalR builds, with a known key, a signature whose
// R is the identity encoded non-canonically (y = 1 + p): it satisfies the
// equation, and the same signature with the canonical encoding verifies,
// but the non-canonical one must not.
func TestVerifyRejectsNonCanonicalR(t *testing.T) {
	k := bytes.Repeat([]byte{0x55}, 32)
	a, _ := new(edwards25519.Scalar).SetBytesWithClamping(clampBytes(k))
	Apoint := new(edwards25519.Point).ScalarBaseMult(a)
	A := Apoint.Bytes()
	sign := A[31] >> 7
	priv, _ := xeddsa.NewPrivateKey(k)
	pub := priv.PublicKey()
	msg := []byte("non-canonical R")
	for _, R := range [][]byte{
		mustHex("0100000000000000000000000000000000000000000000000000000000000000"), // canonical identity
		mustHex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // y = 1 + p
		mustHex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"), // y = 1 + p, sign bit set
	} {
		// s = h·a makes s·B - h·A the identity.
		h := sha512.New()
		h.Write(R)
		h.Write(A)
		h.Write(msg)
		hs, _ := new(edwards25519.Scalar).SetUniformBytes(h.Sum(nil))
		s := new(edwards25519.Scalar).Multiply(hs, a)
		sig := append(bytes.Clone(R), s.Bytes()...)
		canonical := R[0] == 1
		if got := core.VerifyEdwards(A, msg, sig); got != canonical {
			t.Errorf("R=%x: VerifyEdwards = %v", R, got)
		}
		sig[63] |= sign << 7
		if got := xeddsa.Verify(pub, msg, sig, xeddsa.SignBit); got != canonical {
			t.Errorf("R=%x: Verify = %v", R, got)
		}
	}
	// R that is not a point at all, or whose y is >= p.
	sig := priv.Sign(msg, xeddsa.SignBit)
	for _, R := range []string{
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"0200000000000000000000000000000000000000000000000000000000000000",
	} {
		bad := append(mustHex(R), sig[32:]...)
		if xeddsa.Verify(pub, msg, bad, xeddsa.SignBit) {
			t.Errorf("R=%s accepted", R)
		}
	}
}

func clampBytes(k []byte) []byte {
	c := bytes.Clone(k)
	c[0] &= 248
	c[31] = c[31]&127 | 64
	return c
}

// addLAt returns b with L added to the 32-byte little-endian scalar at off.
func addLAt(b []byte, off int) []byte {
	L := mustHex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
	out := bytes.Clone(b)
	var carry uint16
	for i := range 32 {
		v := uint16(out[off+i]) + uint16(L[i]) + carry
		out[off+i] = byte(v)
		carry = v >> 8
	}
	return out
}

// TestVRFVerifyRejectsMalformed: wrong lengths, h or s not reduced, Kv not
// canonical or of small order.
func TestVRFVerifyRejectsMalformed(t *testing.T) {
	priv, _ := xeddsa.NewPrivateKey(bytes.Repeat([]byte{0x21}, 32))
	pub := priv.PublicKey()
	msg := []byte("vrf")
	sig, out, err := priv.VRFSign(msg)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := xeddsa.VRFVerify(pub, msg, sig); err != nil || !bytes.Equal(got, out) {
		t.Fatalf("valid signature: %x, %v", got, err)
	}
	cases := map[string][]byte{
		"empty":           nil,
		"95 bytes":        sig[:95],
		"97 bytes":        append(bytes.Clone(sig), 0),
		"XEdDSA-sized":    sig[:64],
		"h + L":           addLAt(sig, 32),
		"s + L":           addLAt(sig, 64),
		"Kv y = 2^255-1":  append(mustHex("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), sig[32:]...),
		"Kv identity":     append(mustHex("0100000000000000000000000000000000000000000000000000000000000000"), sig[32:]...),
		"Kv order 2":      append(mustHex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), sig[32:]...),
		"Kv sign flipped": func() []byte { b := bytes.Clone(sig); b[31] ^= 0x80; return b }(),
	}
	for name, bad := range cases {
		if got, err := xeddsa.VRFVerify(pub, msg, bad); err != xeddsa.ErrInvalidSignature || got != nil {
			t.Errorf("%s: %x, %v", name, got, err)
		}
	}
	for _, n := range []int{0, 31, 33} {
		if _, err := xeddsa.VRFVerify(make([]byte, n), msg, sig); err == nil {
			t.Errorf("%d-byte key accepted", n)
		}
	}
	// An XEdDSA signature is not a VXEdDSA signature, and vice versa.
	if xeddsa.Verify(pub, msg, sig[:64], xeddsa.Spec) {
		t.Error("VRF prefix verifies as XEdDSA")
	}
}
