package kem

import (
	"bytes"
	"crypto/mlkem"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	core "github.com/forwardsecret/signal/internal/mlkem"
)

var allTypes = []Type{Kyber1024, MLKEM1024}

// ekPKELen is the length of ByteEncode12(ŝ) at the start of an expanded key,
// and of ByteEncode12(t̂) at the start of ek.
const ekPKELen = RawPublicKeySize - 32

func TestConstantSizes(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"PublicKeySize", PublicKeySize, 1569},
		{"CiphertextSize", CiphertextSize, 1569},
		{"SharedSecretSize", SharedSecretSize, 32},
		{"SeedSize", SeedSize, 64},
		{"PrivateKeySize", PrivateKeySize, 65},
		{"RawExpandedKeySize", RawExpandedKeySize, 3168},
		{"LibsignalPrivateKeySize", LibsignalPrivateKeySize, 3169},
		{"RawPublicKeySize", RawPublicKeySize, core.MLKEM1024.EncapsulationKeySize()},
		{"RawCiphertextSize", RawCiphertextSize, core.MLKEM1024.CiphertextSize()},
		{"RawExpandedKeySize", RawExpandedKeySize, core.MLKEM1024.DecapsulationKeySize()},
		{"ekPKELen", ekPKELen, core.MLKEM1024.VectorSize()},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

func TestTypeString(t *testing.T) {
	for typ, want := range map[Type]string{Kyber1024: "Kyber1024", MLKEM1024: "ML-KEM-1024", 0x07: "Type(0x07)", 0xff: "Type(0xff)"} {
		if got := typ.String(); got != want {
			t.Errorf("Type(%#x).String() = %q, want %q", byte(typ), got, want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, typ := range allTypes {
		t.Run(typ.String(), func(t *testing.T) {
			kp, err := GenerateKeyPair(typ)
			if err != nil {
				t.Fatal(err)
			}
			if kp.Public.Type() != typ || kp.Private.Type() != typ || !kp.Private.PublicKey().Equal(kp.Public) {
				t.Fatal("key pair types or public keys disagree")
			}
			pkBytes := kp.Public.Bytes()
			if len(pkBytes) != PublicKeySize || pkBytes[0] != byte(typ) {
				t.Fatalf("public key encoding: len %d, first byte %#x", len(pkBytes), pkBytes[0])
			}
			pk, err := ParsePublicKey(pkBytes)
			if err != nil || !pk.Equal(kp.Public) || !bytes.Equal(pk.Bytes(), pkBytes) {
				t.Fatalf("public key does not round-trip: %v", err)
			}
			ss, ct := pk.Encapsulate()
			if len(ss) != SharedSecretSize || len(ct) != CiphertextSize || ct[0] != byte(typ) {
				t.Fatalf("encapsulate: ss %d bytes, ct %d bytes, type %#x", len(ss), len(ct), ct[0])
			}
			got, err := kp.Private.Decapsulate(ct)
			if err != nil || !bytes.Equal(got, ss) {
				t.Fatalf("decapsulate = %x, %v; want %x", got, err, ss)
			}

			// Storage form and libsignal form both reload to a working key.
			for _, form := range [][]byte{kp.Private.Bytes(), kp.Private.LibsignalBytes()} {
				sk, err := ParsePrivateKey(form)
				if err != nil {
					t.Fatalf("ParsePrivateKey(%d bytes): %v", len(form), err)
				}
				if sk.Type() != typ || !sk.PublicKey().Equal(kp.Public) {
					t.Fatalf("reloaded key (%d bytes) differs", len(form))
				}
				if got, err := sk.Decapsulate(ct); err != nil || !bytes.Equal(got, ss) {
					t.Fatalf("reloaded key (%d bytes): decapsulate = %x, %v", len(form), got, err)
				}
				if !bytes.Equal(sk.Bytes(), form) {
					t.Fatalf("Bytes() of a key parsed from %d bytes does not reproduce them", len(form))
				}
			}
			seed, err := kp.Private.Seed()
			if err != nil {
				t.Fatal(err)
			}
			again, err := NewKeyPairFromSeed(typ, seed)
			if err != nil || !again.Public.Equal(kp.Public) {
				t.Fatalf("NewKeyPairFromSeed does not reproduce the key: %v", err)
			}
		})
	}
}

// TestTransform pins the relation between the two types: the same ML-KEM key
// and randomness give the same ciphertext body, and Kyber1024's secret is
// SHAKE256(K || SHA3-256(c))[:32] of ML-KEM's K, with m = SHA3-256(coins).
func TestTransform(t *testing.T) {
	seed := bytes.Repeat([]byte{0x5a}, SeedSize)
	coins := bytes.Repeat([]byte{0xa5}, RandomSize)
	ky, _ := NewKeyPairFromSeed(Kyber1024, seed)
	ml, _ := NewKeyPairFromSeed(MLKEM1024, seed)
	if !bytes.Equal(ky.Public.Bytes()[1:], ml.Public.Bytes()[1:]) || ky.Public.Equal(ml.Public) {
		t.Fatal("same seed must give the same raw key, but typed keys must differ")
	}
	kySS, kyCT, err := EncapsulateDerand(ky.Public, coins)
	if err != nil {
		t.Fatal(err)
	}
	m := sha3Sum256(coins)
	mlSS, mlCT, err := EncapsulateDerand(ml.Public, m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kyCT[1:], mlCT[1:]) || kyCT[0] != byte(Kyber1024) || mlCT[0] != byte(MLKEM1024) {
		t.Fatal("ciphertext bodies should match, type bytes differ")
	}
	if !bytes.Equal(kySS, kyberKDF(mlSS, mlCT[1:])) || bytes.Equal(kySS, mlSS) {
		t.Fatal("Kyber1024 shared secret is not the round-3 KDF of ML-KEM's")
	}
	// Each key decapsulates only its own type's ciphertext.
	if _, err := ky.Private.Decapsulate(mlCT); !errors.Is(err, ErrCiphertextType) {
		t.Errorf("Kyber1024 key, ML-KEM ciphertext: err = %v", err)
	}
	if _, err := ml.Private.Decapsulate(kyCT); !errors.Is(err, ErrCiphertextType) {
		t.Errorf("ML-KEM key, Kyber1024 ciphertext: err = %v", err)
	}
}

// TestExpandedMatchesMLKEM checks the expanded-key core against crypto/mlkem
// on random keys, valid ciphertexts and tampered ones (implicit rejection).
func TestExpandedMatchesMLKEM(t *testing.T) {
	iters := 20
	if testing.Short() {
		iters = 3
	}
	for i := range iters {
		typ := allTypes[i%2]
		kp, err := GenerateKeyPair(typ)
		if err != nil {
			t.Fatal(err)
		}
		imported, err := ParsePrivateKey(kp.Private.LibsignalBytes())
		if err != nil {
			t.Fatal(err)
		}
		ss, ct := kp.Public.Encapsulate()
		bad := bytes.Clone(ct)
		bad[1+i*37%RawCiphertextSize] ^= 1 << (i % 8)
		for _, c := range [][]byte{ct, bad} {
			a, err1 := kp.Private.Decapsulate(c)
			b, err2 := imported.Decapsulate(c)
			if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
				t.Fatalf("iteration %d: seeded %x (%v) vs expanded %x (%v)", i, a, err1, b, err2)
			}
		}
		if got, _ := imported.Decapsulate(bad); bytes.Equal(got, ss) {
			t.Fatalf("iteration %d: tampered ciphertext gave the real secret", i)
		}
	}
}

func TestImplicitRejection(t *testing.T) {
	for _, typ := range allTypes {
		a, _ := GenerateKeyPair(typ)
		b, _ := GenerateKeyPair(typ)
		ss, ct := a.Public.Encapsulate()
		got, err := b.Private.Decapsulate(ct)
		if err != nil || len(got) != SharedSecretSize || bytes.Equal(got, ss) {
			t.Errorf("%v: wrong key: %x, %v", typ, got, err)
		}
		got2, _ := b.Private.Decapsulate(ct)
		if !bytes.Equal(got, got2) {
			t.Errorf("%v: implicit rejection is not deterministic", typ)
		}
	}
}

func TestParsePublicKeyRejects(t *testing.T) {
	kp, _ := GenerateKeyPair(Kyber1024)
	good := kp.Public.Bytes()
	unreduced := bytes.Clone(good)
	unreduced[1], unreduced[2] = 0xff, 0x0f // first coefficient 4095 >= q
	for _, c := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrPublicKeyLength},
		{"type only", good[:1], ErrPublicKeyLength},
		{"short", good[:PublicKeySize-1], ErrPublicKeyLength},
		{"long", append(bytes.Clone(good), 0), ErrPublicKeyLength},
		{"raw without type byte", good[1:], ErrUnknownType}, // first key byte is not a type
		{"Kyber768 type", append([]byte{0x07}, good[1:]...), ErrUnknownType},
		{"Curve25519 type", append([]byte{0x05}, good[1:]...), ErrUnknownType},
		{"unknown type, wrong length", []byte{0x09, 1, 2}, ErrUnknownType},
		{"unreduced coefficient", unreduced, ErrInvalidPublicKey},
	} {
		in := c.in
		if c.name == "raw without type byte" {
			in = append([]byte{0x42}, good[2:]...) // make the first byte certainly not a type
		}
		pk, err := ParsePublicKey(in)
		if pk != nil || !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, %v; want %v", c.name, pk, err, c.want)
		}
	}
}

func TestDecapsulateRejects(t *testing.T) {
	kp, _ := GenerateKeyPair(Kyber1024)
	_, ct := kp.Public.Encapsulate()
	for _, sk := range []*PrivateKey{kp.Private, mustParsePrivate(t, kp.Private.LibsignalBytes())} {
		for _, c := range []struct {
			name string
			in   []byte
			want error
		}{
			{"empty", nil, ErrCiphertextLength},
			{"type only", ct[:1], ErrCiphertextLength},
			{"short", ct[:CiphertextSize-1], ErrCiphertextLength},
			{"long", append(bytes.Clone(ct), 0), ErrCiphertextLength},
			{"raw without type byte", ct[1:], ErrUnknownType},
			{"unknown type", append([]byte{0x07}, ct[1:]...), ErrUnknownType},
			{"other known type", append([]byte{byte(MLKEM1024)}, ct[1:]...), ErrCiphertextType},
			{"other known type, wrong length", []byte{byte(MLKEM1024), 1}, ErrCiphertextType},
		} {
			in := c.in
			if c.name == "raw without type byte" {
				in = append([]byte{0x42}, ct[2:]...)
			}
			ss, err := sk.Decapsulate(in)
			if ss != nil || !errors.Is(err, c.want) {
				t.Errorf("%s: got %x, %v; want %v", c.name, ss, err, c.want)
			}
		}
	}
}

func mustParsePrivate(t *testing.T, b []byte) *PrivateKey {
	t.Helper()
	sk, err := ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return sk
}

func TestKeyConstructorsReject(t *testing.T) {
	if _, err := GenerateKeyPair(0x07); !errors.Is(err, ErrUnknownType) {
		t.Errorf("GenerateKeyPair(0x07): %v", err)
	}
	seed := make([]byte, SeedSize)
	if _, err := NewKeyPairFromSeed(0x00, seed); !errors.Is(err, ErrUnknownType) {
		t.Errorf("NewKeyPairFromSeed(0x00): %v", err)
	}
	for _, l := range []int{0, 32, SeedSize - 1, SeedSize + 1} {
		if _, err := NewKeyPairFromSeed(Kyber1024, make([]byte, l)); !errors.Is(err, ErrPrivateKeyLength) {
			t.Errorf("NewKeyPairFromSeed(%d bytes): %v", l, err)
		}
	}
	kp, _ := GenerateKeyPair(MLKEM1024)
	if _, _, err := EncapsulateDerand(kp.Public, make([]byte, 31)); !errors.Is(err, ErrRandomLength) {
		t.Errorf("EncapsulateDerand(31 bytes): %v", err)
	}
}

func TestParsePrivateKeyRejects(t *testing.T) {
	kp, _ := GenerateKeyPair(Kyber1024)
	lib := kp.Private.LibsignalBytes()
	badHash := bytes.Clone(lib)
	badHash[LibsignalPrivateKeySize-33] ^= 1
	badEK := bytes.Clone(lib)
	badEK[1+ekPKELen+5] ^= 1
	// An unreduced ek with a matching hash: the modulus check must still catch it.
	unreduced := bytes.Clone(lib)
	unreduced[1+ekPKELen], unreduced[1+ekPKELen+1] = 0xff, 0x0f
	h := sha3Sum256(unreduced[1+ekPKELen : 1+ekPKELen+RawPublicKeySize])
	copy(unreduced[1+ekPKELen+RawPublicKeySize:], h)
	other, _ := GenerateKeyPair(Kyber1024)
	foreignS := append(other.Private.LibsignalBytes()[:1+ekPKELen], lib[1+ekPKELen:]...)
	unreducedS := bytes.Clone(lib)
	unreducedS[1+3*100+1] |= 0xf0 // coefficient 201 becomes >= 0xf00 > q
	unreducedS[1+3*100+2] = 0xff
	for _, c := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrPrivateKeyLength},
		{"unreduced secret", unreducedS, ErrInvalidPrivateKey},
		{"secret of another key", foreignS, ErrInvalidPrivateKey},
		{"unknown type", append([]byte{0x07}, lib[1:]...), ErrUnknownType},
		{"type only", lib[:1], ErrPrivateKeyLength},
		{"seed form short", kp.Private.Bytes()[:PrivateKeySize-1], ErrPrivateKeyLength},
		{"expanded short", lib[:LibsignalPrivateKeySize-1], ErrPrivateKeyLength},
		{"expanded long", append(bytes.Clone(lib), 0), ErrPrivateKeyLength},
		{"corrupted hash", badHash, ErrInvalidPrivateKey},
		{"corrupted embedded ek", badEK, ErrInvalidPrivateKey},
		{"unreduced embedded ek", unreduced, ErrInvalidPrivateKey},
	} {
		sk, err := ParsePrivateKey(c.in)
		if sk != nil || !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, %v; want %v", c.name, sk, err, c.want)
		}
	}
}

// TestSecretsNotPrinted checks that no formatting verb prints the seed or
// the expanded key.
func TestSecretsNotPrinted(t *testing.T) {
	kp, _ := GenerateKeyPair(Kyber1024)
	seed, _ := kp.Private.Seed()
	imported := mustParsePrivate(t, kp.Private.LibsignalBytes())
	for _, sk := range []*PrivateKey{kp.Private, imported} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
			out := fmt.Sprintf(verb, sk) + fmt.Sprintf(verb, kp)
			for _, secret := range [][]byte{seed[:8], seed[32:40]} {
				if strings.Contains(strings.ToLower(out), hex.EncodeToString(secret)) {
					t.Errorf("%s prints the secret: %s", verb, out)
				}
			}
			if !strings.Contains(fmt.Sprintf(verb, sk), "REDACTED") && verb != "%x" {
				t.Errorf("%s: %q lacks REDACTED", verb, fmt.Sprintf(verb, sk))
			}
		}
	}
}

// TestKeysInteroperateWithMLKEM checks our MLKEM1024 type against raw
// crypto/mlkem both ways.
func TestKeysInteroperateWithMLKEM(t *testing.T) {
	dk, err := mlkem.GenerateKey1024()
	if err != nil {
		t.Fatal(err)
	}
	pk, err := ParsePublicKey(append([]byte{byte(MLKEM1024)}, dk.EncapsulationKey().Bytes()...))
	if err != nil {
		t.Fatal(err)
	}
	ss, ct := pk.Encapsulate()
	if got, err := dk.Decapsulate(ct[1:]); err != nil || !bytes.Equal(got, ss) {
		t.Fatalf("crypto/mlkem decapsulation of our ciphertext: %v", err)
	}
	seed := make([]byte, SeedSize)
	rand.Read(seed)
	kp, _ := NewKeyPairFromSeed(MLKEM1024, seed)
	dk2, _ := mlkem.NewDecapsulationKey1024(seed)
	ss2, ct2 := dk2.EncapsulationKey().Encapsulate()
	if got, err := kp.Private.Decapsulate(append([]byte{byte(MLKEM1024)}, ct2...)); err != nil || !bytes.Equal(got, ss2) {
		t.Fatalf("our decapsulation of a crypto/mlkem ciphertext: %v", err)
	}
}
