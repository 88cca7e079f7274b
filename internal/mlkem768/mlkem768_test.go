package mlkem768

import (
	"bytes"
	"crypto/mlkem"
	"crypto/mlkem/mlkemtest"
	"crypto/rand"
	"crypto/sha3"
	"errors"
	"fmt"
	"testing"

	core "github.com/forwardsecret/signal/internal/mlkem"
)

// fullEncapsulationKey returns the 1184-byte FIPS 203 encapsulation key
// ByteEncode12(t̂) || ρ, as crypto/mlkem's EncapsulationKey768.Bytes does.
func fullEncapsulationKey(dk *DecapsulationKey) []byte {
	return dk.dk.AppendEncapsulationKey(nil)
}

// TestConstantSizes pins the sizes to crypto/mlkem's, to internal/mlkem's
// for the ML-KEM-768 parameter set, and to their values.
func TestConstantSizes(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"SeedSize", SeedSize, mlkem.SeedSize},
		{"SharedKeySize", SharedKeySize, mlkem.SharedKeySize},
		{"FullEncapsulationKeySize", FullEncapsulationKeySize, mlkem.EncapsulationKeySize768},
		{"CiphertextSize", CiphertextSize, mlkem.CiphertextSize768},
		{"core SeedSize", SeedSize, core.SeedSize},
		{"core SharedKeySize", SharedKeySize, core.SharedKeySize},
		{"core RandomnessSize", RandomnessSize, core.MessageSize},
		{"core HeaderSize", HeaderSize, core.HeaderSize},
		{"core EncapsulationKeySize", EncapsulationKeySize, params.VectorSize()},
		{"core FullEncapsulationKeySize", FullEncapsulationKeySize, params.EncapsulationKeySize()},
		{"core DecapsulationKeySize", DecapsulationKeySize, params.DecapsulationKeySize()},
		{"core Ciphertext1Size", Ciphertext1Size, params.Ciphertext1Size()},
		{"core Ciphertext2Size", Ciphertext2Size, params.Ciphertext2Size()},
		{"core EncapsulationStateSize", EncapsulationStateSize, params.StateSize()},
		{"HeaderSize", HeaderSize, 64},
		{"EncapsulationKeySize", EncapsulationKeySize, 1152},
		{"Ciphertext1Size", Ciphertext1Size, 960},
		{"Ciphertext2Size", Ciphertext2Size, 128},
		{"DecapsulationKeySize", DecapsulationKeySize, 2400},
		{"EncapsulationStateSize", EncapsulationStateSize, 2080},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

// TestAgainstStdlib checks, for random seeds and randomness, that key
// generation, two-step encapsulation and decapsulation agree byte for byte
// with crypto/mlkem and crypto/mlkem/mlkemtest.
func TestAgainstStdlib(t *testing.T) {
	iters := 200
	if testing.Short() {
		iters = 20
	}
	for i := range iters {
		seed := make([]byte, SeedSize)
		m := make([]byte, RandomnessSize)
		rand.Read(seed)
		rand.Read(m)
		dk, err := newKeyFromSeed(seed)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := mlkem.NewDecapsulationKey768(seed)
		if err != nil {
			t.Fatal(err)
		}
		refEK := ref.EncapsulationKey().Bytes()
		if !bytes.Equal(fullEncapsulationKey(dk), refEK) {
			t.Fatalf("iteration %d: ek differs from crypto/mlkem", i)
		}
		if !bytes.Equal(dk.EncapsulationKey(), refEK[:EncapsulationKeySize]) {
			t.Fatalf("iteration %d: encapsulation vector is not ek[:1152]", i)
		}
		hdr := dk.Header()
		h := sha3.Sum256(refEK)
		if !bytes.Equal(hdr, append(append([]byte{}, refEK[EncapsulationKeySize:]...), h[:]...)) {
			t.Fatalf("iteration %d: header is not rho || SHA3-256(ek)", i)
		}
		if err := CheckEncapsulationKey(hdr, dk.EncapsulationKey()); err != nil {
			t.Fatalf("iteration %d: CheckEncapsulationKey: %v", i, err)
		}

		ct1, st, k1, err := encapsulate1(hdr, m)
		if err != nil {
			t.Fatal(err)
		}
		ct2, err := st.Encapsulate2(dk.EncapsulationKey())
		if err != nil {
			t.Fatal(err)
		}
		refK, refCT, err := mlkemtest.Encapsulate768(ref.EncapsulationKey(), m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(append(append([]byte{}, ct1...), ct2...), refCT) {
			t.Fatalf("iteration %d: ct1 || ct2 differs from mlkemtest.Encapsulate768", i)
		}
		if !bytes.Equal(k1, refK) {
			t.Fatalf("iteration %d: shared key differs from mlkemtest.Encapsulate768", i)
		}
		k2, err := ref.Decapsulate(refCT)
		if err != nil || !bytes.Equal(k2, k1) {
			t.Fatalf("iteration %d: crypto/mlkem decapsulates to %x, %v; want %x", i, k2, err, k1)
		}
		k3, err := dk.Decapsulate(ct1, ct2)
		if err != nil || !bytes.Equal(k3, k1) {
			t.Fatalf("iteration %d: Decapsulate = %x, %v; want %x", i, k3, err, k1)
		}

		// Our decapsulation of a crypto/mlkem ciphertext, and implicit
		// rejection of a tampered one, agree with crypto/mlkem.
		bad := append([]byte{}, refCT...)
		bad[i%len(bad)] ^= 1 << (i % 8)
		want, _ := ref.Decapsulate(bad)
		got, err := dk.Decapsulate(bad[:Ciphertext1Size], bad[Ciphertext1Size:])
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("iteration %d: implicit rejection differs from crypto/mlkem", i)
		}

		// The 2400-byte form round-trips and matches the expanded FIPS 203 dk.
		dk2, err := ParseDecapsulationKey(dk.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(dk2.Bytes(), dk.Bytes()) || !bytes.Equal(dk2.Header(), hdr) {
			t.Fatalf("iteration %d: decapsulation key does not round-trip", i)
		}
		if got, _ := dk2.Decapsulate(ct1, ct2); !bytes.Equal(got, k1) {
			t.Fatalf("iteration %d: parsed key decapsulates differently", i)
		}

		// The state survives serialization.
		st2, err := ParseEncapsulationState(st.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if ct2b, _ := st2.Encapsulate2(dk.EncapsulationKey()); !bytes.Equal(ct2b, ct2) {
			t.Fatalf("iteration %d: state round trip changes ct2", i)
		}
	}
}

func TestRandomized(t *testing.T) {
	dk, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ct1, st, k1, err := Encapsulate1(dk.Header())
	if err != nil {
		t.Fatal(err)
	}
	ct2, err := st.Encapsulate2(dk.EncapsulationKey())
	if err != nil {
		t.Fatal(err)
	}
	k2, err := dk.Decapsulate(ct1, ct2)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("round trip: %x != %x (%v)", k1, k2, err)
	}
	if s := fmt.Sprintf("%v %v %+v %#v %v", dk, st, *dk, *st, []any{dk, *st}); bytes.Contains([]byte(s), []byte(fmt.Sprint(dk.Bytes()[:4]))) || bytes.Count([]byte(s), []byte("redacted")) != 6 {
		t.Errorf("String reveals secrets: %q", s)
	}
}

func TestStateByteSwapped(t *testing.T) {
	dk, _ := GenerateKey()
	ct1, st, k1, _ := Encapsulate1(dk.Header())
	b := st.Bytes()
	for i := 0; i < len(b)-32; i += 2 {
		b[i], b[i+1] = b[i+1], b[i]
	}
	st2, err := ParseEncapsulationState(b)
	if err != nil {
		t.Fatal(err)
	}
	ct2, _ := st2.Encapsulate2(dk.EncapsulationKey())
	if k2, _ := dk.Decapsulate(ct1, ct2); !bytes.Equal(k1, k2) {
		t.Fatal("byte-swapped (libcrux issue 1275) state not recovered")
	}
	b[EncapsulationStateSize-40] = 0x55 // e2 coefficient out of range both ways
	b[EncapsulationStateSize-39] = 0x55
	if _, err := ParseEncapsulationState(b); !errors.Is(err, ErrInvalidEncapsulationState) {
		t.Fatalf("err = %v, want ErrInvalidEncapsulationState", err)
	}
}

func TestErrors(t *testing.T) {
	dk, _ := GenerateKey()
	hdr, ek := dk.Header(), dk.EncapsulationKey()
	if _, err := newKeyFromSeed(make([]byte, 63)); !errors.Is(err, ErrSeedSize) {
		t.Error(err)
	}
	if _, _, _, err := Encapsulate1(hdr[:63]); !errors.Is(err, ErrHeaderSize) {
		t.Error(err)
	}
	if _, _, _, err := encapsulate1(hdr, make([]byte, 31)); !errors.Is(err, ErrRandomnessSize) {
		t.Error(err)
	}
	bad := append([]byte{}, ek...)
	bad[0] ^= 1
	if err := CheckEncapsulationKey(hdr, bad); !errors.Is(err, ErrInvalidEncapsulationKey) {
		t.Error(err)
	}
	if err := CheckEncapsulationKey(hdr, ek[1:]); !errors.Is(err, ErrEncapsulationKeySize) {
		t.Error(err)
	}
	// An unreduced coefficient (0xFFF) with a matching hash is still refused.
	unreduced := append([]byte{}, ek...)
	unreduced[0], unreduced[1] = 0xff, unreduced[1]|0x0f
	h := sha3.New256()
	h.Write(unreduced)
	h.Write(hdr[:32])
	hdr2 := append(append([]byte{}, hdr[:32]...), h.Sum(nil)...)
	if err := CheckEncapsulationKey(hdr2, unreduced); !errors.Is(err, ErrInvalidEncapsulationKey) {
		t.Error(err)
	}
	_, st, _, _ := Encapsulate1(hdr)
	if _, err := st.Encapsulate2(unreduced); !errors.Is(err, ErrInvalidEncapsulationKey) {
		t.Error(err)
	}
	if _, err := st.Encapsulate2(ek[:10]); !errors.Is(err, ErrEncapsulationKeySize) {
		t.Error(err)
	}
	if _, err := dk.Decapsulate(make([]byte, 959), make([]byte, 128)); !errors.Is(err, ErrCiphertextSize) {
		t.Error(err)
	}
	b := dk.Bytes()
	b[DecapsulationKeySize-40] ^= 1 // H(ek)
	if _, err := ParseDecapsulationKey(b); !errors.Is(err, ErrInvalidDecapsulationKey) {
		t.Error(err)
	}
	if _, err := ParseDecapsulationKey(b[1:]); !errors.Is(err, ErrDecapsulationKeySize) {
		t.Error(err)
	}
	if _, err := ParseEncapsulationState(make([]byte, 10)); !errors.Is(err, ErrEncapsulationStateSize) {
		t.Error(err)
	}
}
