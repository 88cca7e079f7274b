package curve

import (
	"bytes"
	"crypto/ecdh"
	"encoding/hex"
	"errors"
	"testing"
)

// FuzzX25519 compares the ladder (x25519, used by PrivateKey.ECDH) and the
// fixed-base derivation (x25519Base, used by PrivateKey.PublicKey) with
// crypto/ecdh on arbitrary 32-byte scalars and u-coordinates: non-canonical
// u (p <= u < 2^255), u with bit 255 set, and low-order points included.
// Inputs of other lengths are truncated or zero-padded to 32 bytes, so every
// fuzz input is used.
//
// crypto/ecdh's X25519 accepts any 32-byte scalar (it clamps) and any 32-byte
// u (it masks the top bit and reduces), but its ECDH returns an error instead
// of an all-zero result; such a result must be all zeros here, and
// PrivateKey.ECDHTo must report ErrZeroSharedSecret with dst zeroed.
func FuzzX25519(f *testing.F) {
	// RFC 7748: the two X25519 tests of section 5.2 (scalar, u; the second
	// has bit 255 of u set) and the key pairs of section 6.1, as in the
	// vectors module's rfc7748.json.
	rfcScalarMult := [][2][]byte{
		{mustFuzzHex(f, "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
			mustFuzzHex(f, "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")},
		{mustFuzzHex(f, "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
			mustFuzzHex(f, "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493")},
	}
	alicePrivate := mustFuzzHex(f, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
	alicePublic := mustFuzzHex(f, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
	bobPrivate := mustFuzzHex(f, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
	bobPublic := mustFuzzHex(f, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
	u9 := mustFuzzHex(f, "0900000000000000000000000000000000000000000000000000000000000000")
	scalars := [][]byte{
		alicePrivate,
		bobPrivate,
		u9,               // 9
		make([]byte, 32), // 0, clamped to 2^254
		bytes.Repeat([]byte{0xff}, 32),
		mustFuzzHex(f, "0100000000000000000000000000000000000000000000000000000000000080"), // 1 with bit 255 set
	}
	us := [][]byte{
		alicePublic,
		bobPublic,
		u9,               // 9, the base point
		make([]byte, 32), // 0 (low order)
		mustFuzzHex(f, "0100000000000000000000000000000000000000000000000000000000000000"), // 1 (low order)
		mustFuzzHex(f, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // p-1 (low order)
		mustFuzzHex(f, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // p, non-canonical 0
		mustFuzzHex(f, "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // p+1, non-canonical 1
		mustFuzzHex(f, "f6ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // p+9, non-canonical 9
		mustFuzzHex(f, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // 2^255-1 = p+18
		mustFuzzHex(f, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"), // 2^256-1, top bit
		mustFuzzHex(f, "0900000000000000000000000000000000000000000000000000000000000080"), // 9 with bit 255 set
		mustFuzzHex(f, "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"), // order 8
		mustFuzzHex(f, "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"), // order 8
	}
	for _, v := range rfcScalarMult {
		f.Add(v[0], v[1])
	}
	for _, k := range scalars {
		for _, u := range us {
			f.Add(bytes.Clone(k), bytes.Clone(u))
		}
	}

	f.Fuzz(func(t *testing.T, kIn, uIn []byte) {
		var k, u [32]byte
		copy(k[:], kIn)
		copy(u[:], uIn)
		k0, u0 := k, u

		ref, err := ecdh.X25519().NewPrivateKey(k[:])
		if err != nil {
			t.Fatalf("ecdh.NewPrivateKey(%x): %v", k, err)
		}
		peer, err := ecdh.X25519().NewPublicKey(u[:])
		if err != nil {
			t.Fatalf("ecdh.NewPublicKey(%x): %v", u, err)
		}
		want, err := ref.ECDH(peer)
		zero := err != nil // crypto/ecdh refuses the all-zero result
		if zero {
			want = make([]byte, 32)
		} else if bytes.Equal(want, make([]byte, 32)) {
			t.Fatalf("crypto/ecdh returned all zeros for k=%x u=%x", k, u)
		}

		// The ladder.
		var got [32]byte
		x25519(&got, &k, &u)
		if !bytes.Equal(got[:], want) {
			t.Fatalf("x25519(k=%x, u=%x) = %x, crypto/ecdh %x (zero=%v)", k, u, got, want, zero)
		}
		if k != k0 || u != u0 {
			t.Fatal("x25519 modified its inputs")
		}

		// Fixed base, against crypto/ecdh's public key and the ladder on u = 9.
		wantPub := ref.PublicKey().Bytes()
		var pub, ladderPub [32]byte
		x25519Base(&pub, &k)
		if !bytes.Equal(pub[:], wantPub) {
			t.Fatalf("x25519Base(k=%x) = %x, crypto/ecdh %x", k, pub, wantPub)
		}
		nine := [32]byte{9}
		x25519(&ladderPub, &k, &nine)
		if ladderPub != pub {
			t.Fatalf("k=%x: ladder on 9 = %x, fixed base %x", k, ladderPub, pub)
		}

		// The public API on top of them.
		priv, err := NewPrivateKey(k[:])
		if err != nil {
			t.Fatal(err)
		}
		if p := priv.PublicKey().U(); !bytes.Equal(p[:], wantPub) {
			t.Fatalf("PrivateKey.PublicKey(k=%x) = %x, crypto/ecdh %x", k, p, wantPub)
		}
		remote, err := NewPublicKey(u[:])
		if err != nil {
			t.Fatal(err)
		}
		dst := [32]byte{0xaa}
		err = priv.ECDHTo(&dst, remote)
		switch {
		case zero && !errors.Is(err, ErrZeroSharedSecret):
			t.Fatalf("ECDHTo(k=%x, u=%x): %v, want ErrZeroSharedSecret", k, u, err)
		case !zero && err != nil:
			t.Fatalf("ECDHTo(k=%x, u=%x): %v", k, u, err)
		case !bytes.Equal(dst[:], want):
			t.Fatalf("ECDHTo(k=%x, u=%x) = %x, want %x", k, u, dst, want)
		}
	})
}

func mustFuzzHex(f *testing.F, s string) []byte {
	f.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		f.Fatalf("bad seed %q: %v", s, err)
	}
	return b
}
