package curve

import (
	"bytes"
	"crypto/ecdh"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"filippo.io/edwards25519"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParsePublicKeyErrors(t *testing.T) {
	good := append([]byte{KeyTypeDJB}, bytes.Repeat([]byte{9}, 32)...)
	if _, err := ParsePublicKey(good); err != nil {
		t.Fatalf("valid key: %v", err)
	}
	for _, n := range []int{0, 1, 32, 34, 65} {
		b := make([]byte, n)
		if n > 0 {
			b[0] = KeyTypeDJB
		}
		if _, err := ParsePublicKey(b); !errors.Is(err, ErrInvalidPublicKey) {
			t.Errorf("length %d: err = %v, want ErrInvalidPublicKey", n, err)
		}
	}
	for _, typ := range []byte{0x00, 0x04, 0x06, 0x08, 0xff} {
		b := bytes.Clone(good)
		b[0] = typ
		_, err := ParsePublicKey(b)
		if !errors.Is(err, ErrInvalidPublicKey) || !errors.Is(err, ErrBadKeyType) {
			t.Errorf("type 0x%02x: err = %v, want ErrInvalidPublicKey and ErrBadKeyType", typ, err)
		}
	}
	if _, err := NewPublicKey(make([]byte, 33)); !errors.Is(err, ErrInvalidPublicKey) {
		t.Errorf("NewPublicKey(33 bytes): err = %v", err)
	}
	if _, err := NewPrivateKey(make([]byte, 31)); !errors.Is(err, ErrInvalidPrivateKey) {
		t.Errorf("NewPrivateKey(31 bytes): err = %v", err)
	}
}

func TestPublicKeyRoundTrip(t *testing.T) {
	kp, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	enc := kp.Public.Bytes()
	if len(enc) != PublicKeySize || enc[0] != KeyTypeDJB {
		t.Fatalf("encoding %x", enc)
	}
	p, err := ParsePublicKey(enc)
	if err != nil || p != kp.Public || !p.Equal(kp.Public) {
		t.Fatalf("round trip: %v %v", p, err)
	}
	u := p.U()
	q, _ := NewPublicKey(u[:])
	if q != p {
		t.Fatal("NewPublicKey(U()) differs")
	}
	if p.IsZero() || !(PublicKey{}).IsZero() {
		t.Fatal("IsZero")
	}
	other, _ := GenerateKeyPair()
	if p.Equal(other.Public) {
		t.Fatal("distinct keys compare equal")
	}
}

func TestPrivateKeyClampedOnLoad(t *testing.T) {
	raw := bytes.Repeat([]byte{0xff}, 32)
	k, err := NewPrivateKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	b := k.Bytes()
	if b[0]&7 != 0 || b[31]&0x80 != 0 || b[31]&0x40 == 0 {
		t.Fatalf("not clamped: %x", b)
	}
	// The public key equals RFC 7748 X25519(k, 9), which clamps internally.
	ref, _ := ecdh.X25519().NewPrivateKey(raw)
	if !bytes.Equal(ref.PublicKey().Bytes(), k.PublicKey().Bytes()[1:]) {
		t.Fatal("public key differs from crypto/ecdh's")
	}
}

// libsignal's agreement answer (libsignal-protocol-c tests/test_curve25519.c,
// test_curve25519_agreement; the same numbers are in package vectors).
func TestAgreementKnownAnswer(t *testing.T) {
	alice, _ := NewPrivateKey(mustHex(t, "c806439dc9d2c476ffed8f2580c0888d58ab406bf7ae3698879021b96bb4bf59"))
	bob, _ := NewPrivateKey(mustHex(t, "b03b34c33a1c44f225b662d2bf4859b8135411fa7b0386d45fb75dc5b91b4466"))
	if got := hex.EncodeToString(alice.PublicKey().Bytes()); got != "051bb75966f2e93a3691dfff942bb2a466a1c08b8d78ca3f4d6df8b8bfa2e4ee28" {
		t.Fatalf("alice public %s", got)
	}
	want := "325f239328941ced6e673b86ba41017448e99b649a9c3806c1dd7ca4c477e629"
	s1, err1 := alice.ECDH(bob.PublicKey())
	s2, err2 := bob.ECDH(alice.PublicKey())
	if err1 != nil || err2 != nil || hex.EncodeToString(s1) != want || hex.EncodeToString(s2) != want {
		t.Fatalf("agreement %x %x %v %v", s1, s2, err1, err2)
	}
}

func TestECDHRejectsZero(t *testing.T) {
	k, _ := GeneratePrivateKey()
	// u = 0 and u = 1 are of low order: X25519 gives the all-zero value.
	for _, u := range [][]byte{make([]byte, 32), append([]byte{1}, make([]byte, 31)...)} {
		p, _ := NewPublicKey(u)
		if _, err := k.ECDH(p); !errors.Is(err, ErrZeroSharedSecret) {
			t.Errorf("u=%x: err = %v, want ErrZeroSharedSecret", u[:1], err)
		}
	}
}

func TestSecretsRedacted(t *testing.T) {
	id, err := GenerateIdentityKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	secret := hex.EncodeToString(id.PrivateKey().Bytes())
	kp := NewKeyPair(id.PrivateKey())
	for _, v := range []any{id, id.PrivateKey(), kp, &kp} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q"} {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(strings.ToLower(out), secret) {
				t.Errorf("%s of %T leaks the private key: %s", verb, v, out)
			}
		}
	}
}

func TestIdentitySignVerify(t *testing.T) {
	id, _ := GenerateIdentityKeyPair()
	msg := []byte("signed prekey")
	sig, err := id.Sign(msg)
	if err != nil || len(sig) != SignatureSize {
		t.Fatalf("Sign: %d bytes, %v", len(sig), err)
	}
	if !id.PublicKey().VerifySignature(msg, sig) {
		t.Fatal("signature does not verify")
	}
	sig[10] ^= 1
	if id.PublicKey().VerifySignature(msg, sig) {
		t.Fatal("tampered signature verifies")
	}
}

// smallOrder lists Edwards encodings of points of order 2, 4 and 8.
var smallOrder = []string{
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
	"0000000000000000000000000000000000000000000000000000000000000000", // order 4
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
}

func TestCheckCanonicalTorsionFree(t *testing.T) {
	for range 20 {
		kp, _ := GenerateKeyPair()
		if err := kp.Public.CheckCanonicalTorsionFree(); err != nil {
			t.Fatalf("generated key rejected: %v", err)
		}
	}
	// A prime-order point plus a small-order point has torsion.
	var seed [64]byte
	seed[0] = 42
	s, _ := edwards25519.NewScalar().SetUniformBytes(seed[:])
	P := new(edwards25519.Point).ScalarBaseMult(s)
	for _, enc := range smallOrder {
		T, err := new(edwards25519.Point).SetBytes(mustHex(t, enc))
		if err != nil {
			t.Fatal(err)
		}
		if new(edwards25519.Point).MultByCofactor(T).Equal(edwards25519.NewIdentityPoint()) != 1 {
			t.Fatalf("%s is not of small order", enc)
		}
		Q := new(edwards25519.Point).Add(P, T)
		pub, _ := NewPublicKey(Q.BytesMontgomery())
		if err := pub.CheckCanonicalTorsionFree(); !errors.Is(err, ErrTorsion) {
			t.Errorf("P+T(%s): err = %v, want ErrTorsion", enc[:8], err)
		}
		low, _ := NewPublicKey(T.BytesMontgomery())
		if err := low.CheckCanonicalTorsionFree(); !errors.Is(err, ErrTorsion) {
			t.Errorf("T(%s) itself: err = %v, want ErrTorsion", enc[:8], err)
		}
	}
	// Non-canonical: u = p, u = p+1, and the top bit set.
	for _, enc := range []string{
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"0900000000000000000000000000000000000000000000000000000000000080",
	} {
		pub, _ := NewPublicKey(mustHex(t, enc))
		if err := pub.CheckCanonicalTorsionFree(); !errors.Is(err, ErrNotCanonical) {
			t.Errorf("%s: err = %v, want ErrNotCanonical", enc, err)
		}
	}
	// Points on the twist (u^3 + A u^2 + u not a square mod p) are refused.
	p := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	exp := new(big.Int).Rsh(new(big.Int).Sub(p, big.NewInt(1)), 1)
	twist := 0
	for u := int64(2); u < 60; u++ {
		U := big.NewInt(u)
		v2 := new(big.Int).Mul(U, U)
		v2.Mul(v2, U)
		v2.Add(v2, new(big.Int).Mul(big.NewInt(486662), new(big.Int).Mul(U, U)))
		v2.Add(v2, U)
		v2.Mod(v2, p)
		onTwist := new(big.Int).Exp(v2, exp, p).Cmp(big.NewInt(1)) != 0
		var b [32]byte
		b[0] = byte(u)
		pub, _ := NewPublicKey(b[:])
		err := pub.CheckCanonicalTorsionFree()
		if onTwist {
			twist++
			if !errors.Is(err, ErrTorsion) {
				t.Errorf("u=%d on the twist: err = %v, want ErrTorsion", u, err)
			}
		} else if err != nil && !errors.Is(err, ErrTorsion) {
			t.Errorf("u=%d: unexpected error %v", u, err)
		}
	}
	if twist == 0 {
		t.Fatal("no twist points among the u tried")
	}
}

func BenchmarkECDH(b *testing.B) {
	k, _ := GeneratePrivateKey()
	p, _ := GenerateKeyPair()
	var out [32]byte
	b.ReportAllocs()
	for b.Loop() {
		if err := k.ECDHTo(&out, p.Public); err != nil {
			b.Fatal(err)
		}
	}
}
