package core

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// referenceToEdwards is the direct conversion: y = (u-1)/(u+1) with an
// inversion, then point decompression.
func referenceToEdwards(u []byte, sign byte) ([]byte, bool) {
	if u[31]&0x80 != 0 {
		return nil, false
	}
	fu, _ := new(field.Element).SetBytes(u)
	if !bytes.Equal(fu.Bytes(), u) {
		return nil, false
	}
	den := new(field.Element).Add(fu, feOne)
	if den.Equal(new(field.Element).Zero()) == 1 {
		return nil, false
	}
	y := new(field.Element).Subtract(fu, feOne)
	y.Multiply(y, den.Invert(den))
	enc := y.Bytes()
	enc[31] |= sign << 7
	P, err := new(edwards25519.Point).SetBytes(enc)
	if err != nil || isSmallOrder(P) {
		return nil, false
	}
	return enc, true
}

// TestMontgomeryToEdwards checks the one-exponentiation conversion against
// the reference on random u (about half of them on the twist), on X25519
// public keys, and on the low-order values.
func TestMontgomeryToEdwards(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 2000
	}
	check := func(u []byte) (ok bool) {
		for sign := byte(0); sign < 2; sign++ {
			want, wantOK := referenceToEdwards(u, sign)
			var enc [32]byte
			var P edwards25519.Point
			gotOK := montgomeryToEdwards(&P, &enc, u, sign)
			if gotOK != wantOK {
				t.Fatalf("u=%x sign=%d: ok=%v, reference %v", u, sign, gotOK, wantOK)
			}
			if !gotOK {
				continue
			}
			if !bytes.Equal(enc[:], want) || !bytes.Equal(P.Bytes(), want) {
				t.Fatalf("u=%x sign=%d: %x / %x, reference %x", u, sign, enc, P.Bytes(), want)
			}
			if !bytes.Equal(P.BytesMontgomery(), u) {
				t.Fatalf("u=%x: round trip gives %x", u, P.BytesMontgomery())
			}
			ok = true
		}
		return ok
	}
	onCurve := 0
	u := make([]byte, 32)
	for range n {
		rand.Read(u)
		u[31] &= 0x7f
		if check(u) {
			onCurve++
		}
	}
	// About half of all u are on the curve, half on the twist.
	if onCurve < n/3 || onCurve > 2*n/3 {
		t.Errorf("%d of %d random u on the curve", onCurve, n)
	}
	for range 200 {
		k, _ := NewKey(randBytes(32))
		pub := k.PublicKey()
		if !check(pub[:]) {
			t.Fatalf("public key %x rejected", pub)
		}
	}
	for _, s := range []string{
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	} {
		var b [32]byte
		hexDecode(t, s, b[:])
		if check(b[:]) {
			t.Errorf("low-order u=%s accepted", s)
		}
	}
}

// TestElligator2 checks that the map always lands on Curve25519 (v² = u³ +
// Au² + u is a square) and that hash-to-point yields points of prime order.
func TestElligator2(t *testing.T) {
	var u, r, e, t2 field.Element
	for i := range 2000 {
		b := randBytes(32)
		if i == 0 {
			clear(b) // r = 0
		}
		r.SetBytes(b)
		elligator2(&u, &r)
		t2.Multiply(montA, &u)
		e.Square(&u)
		e.Add(&e, &t2)
		e.Add(&e, feOne)
		e.Multiply(&e, &u)
		if _, sq := t2.SqrtRatio(&e, feOne); sq != 1 {
			t.Fatalf("r=%x: u=%x is on the twist", b, u.Bytes())
		}
	}
	// Known value: r = 0 gives x = -A, e = -A (-A is a non-square), so u = 0.
	elligator2(&u, new(field.Element).Zero())
	if u.Equal(new(field.Element).Zero()) != 1 {
		t.Errorf("elligator2(0) = %x, want 0", u.Bytes())
	}

	lMinus1, _ := new(edwards25519.Scalar).SetCanonicalBytes([]byte{
		0xec, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
	})
	for range 50 {
		h := getHash()
		h.Write(randBytes(40))
		P, ok := hashToPoint(h)
		putHash(h)
		if !ok {
			t.Fatal("hashToPoint failed")
		}
		// (l-1)·P = -P iff P has order l.
		Q := new(edwards25519.Point).ScalarMult(lMinus1, P)
		if Q.Add(Q, P).Equal(edwards25519.NewIdentityPoint()) != 1 {
			t.Fatal("hashToPoint output not of prime order")
		}
	}
}

func TestVRFLabels(t *testing.T) {
	want := append([]byte{3, 30}, "VEdDSA_25519_SHA512_Elligator2"...)
	want = append(want, 0, 1, '2')
	if !bytes.Equal(label2[:], want) {
		t.Errorf("labelset('2') = %x, want %x", label2, want)
	}
	if basePointBytes[0] != 0x58 || basePointBytes[31] != 0x66 {
		t.Errorf("B = %x", basePointBytes)
	}
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func hexDecode(t *testing.T, s string, dst []byte) {
	t.Helper()
	if _, err := hex.Decode(dst, []byte(s)); err != nil {
		t.Fatal(err)
	}
}
