package mlkem768

import (
	"bytes"
	"crypto/mlkem"
	"crypto/mlkem/mlkemtest"
	"errors"
	"testing"
)

// fuzzSeed is a fixed key-generation seed for the fuzz targets.
var fuzzSeed = bytes.Repeat([]byte{0x5a}, SeedSize)

// FuzzDecapsulate decapsulates arbitrary ciphertexts with a fixed key and
// checks the result against crypto/mlkem (including implicit rejection).
func FuzzDecapsulate(f *testing.F) {
	ref, _ := mlkem.NewDecapsulationKey768(fuzzSeed)
	for i := range 4 {
		_, ct, _ := mlkemtest.Encapsulate768(ref.EncapsulationKey(), bytes.Repeat([]byte{byte(i)}, 32))
		f.Add(ct)
	}
	f.Add(make([]byte, CiphertextSize))
	f.Add(bytes.Repeat([]byte{0xff}, CiphertextSize))
	dk, err := newKeyFromSeed(fuzzSeed)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, ct []byte) {
		var got []byte
		var err error
		if len(ct) >= Ciphertext1Size {
			got, err = dk.Decapsulate(ct[:Ciphertext1Size], ct[Ciphertext1Size:])
		} else {
			got, err = dk.Decapsulate(ct, nil)
		}
		want, refErr := ref.Decapsulate(ct)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("err = %v, crypto/mlkem err = %v", err, refErr)
		}
		if err != nil {
			if !errors.Is(err, ErrCiphertextSize) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("K = %x, crypto/mlkem K = %x", got, want)
		}
	})
}

// FuzzParse feeds arbitrary bytes to every parser: decapsulation keys,
// encapsulation states, header/encapsulation-vector pairs and Encapsulate2.
// Accepted inputs must round-trip; rejected ones must return the package's
// sentinel errors.
func FuzzParse(f *testing.F) {
	dk, _ := newKeyFromSeed(fuzzSeed)
	_, st, _, _ := encapsulate1(dk.Header(), make([]byte, 32))
	f.Add(dk.Bytes())
	f.Add(st.Bytes())
	f.Add(append(dk.Header(), dk.EncapsulationKey()...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if k, err := ParseDecapsulationKey(b); err == nil {
			if !bytes.Equal(k.Bytes(), b) {
				t.Fatal("decapsulation key does not round-trip")
			}
		} else if !errors.Is(err, ErrDecapsulationKeySize) && !errors.Is(err, ErrInvalidDecapsulationKey) {
			t.Fatalf("ParseDecapsulationKey: %v", err)
		}
		if s, err := ParseEncapsulationState(b); err == nil {
			s2, err := ParseEncapsulationState(s.Bytes())
			if err != nil || *s2 != *s {
				t.Fatal("state does not round-trip")
			}
			if _, err := s.Encapsulate2(dk.EncapsulationKey()); err != nil {
				t.Fatal(err)
			}
		} else if !errors.Is(err, ErrEncapsulationStateSize) && !errors.Is(err, ErrInvalidEncapsulationState) {
			t.Fatalf("ParseEncapsulationState: %v", err)
		}
		if len(b) >= HeaderSize {
			hdr, ek := b[:HeaderSize], b[HeaderSize:]
			err := CheckEncapsulationKey(hdr, ek)
			if err != nil && !errors.Is(err, ErrEncapsulationKeySize) && !errors.Is(err, ErrInvalidEncapsulationKey) {
				t.Fatalf("CheckEncapsulationKey: %v", err)
			}
			_, st, _, err := encapsulate1(hdr, make([]byte, 32))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.Encapsulate2(ek); err != nil && !errors.Is(err, ErrEncapsulationKeySize) && !errors.Is(err, ErrInvalidEncapsulationKey) {
				t.Fatalf("Encapsulate2: %v", err)
			}
		}
	})
}
