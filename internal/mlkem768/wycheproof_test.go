package mlkem768

import (
	"bytes"
	"crypto/sha3"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/internal/mlkem/wycheproof"
)

// load reads one ML-KEM-768 Wycheproof file.
func load(t *testing.T, name string) []wycheproof.Test {
	return wycheproof.Load(t, name, "ML-KEM-768")
}

// splitEK turns a FIPS 203 ek into our header and encapsulation vector.
func splitEK(ek []byte) (hdr, vec []byte) {
	if len(ek) < 32 {
		return nil, ek
	}
	h := sha3.Sum256(ek)
	rho := ek[len(ek)-32:]
	return append(append([]byte{}, rho...), h[:]...), ek[:len(ek)-32]
}

// TestWycheproofMLKEM covers mlkem_768_test.json: seed -> ek, decapsulation
// (valid, implicit rejection), and rejection of mis-sized ciphertexts.
func TestWycheproofMLKEM(t *testing.T) {
	var valid, invalid int
	for _, v := range load(t, "mlkem_768_test.json") {
		dk, err := newKeyFromSeed(v.Seed)
		if err != nil {
			if v.Result != "invalid" || !errors.Is(err, ErrSeedSize) {
				t.Errorf("tcId %d (%s): newKeyFromSeed: %v", v.TcID, v.Comment, err)
			}
			invalid++
			continue
		}
		if !bytes.Equal(fullEncapsulationKey(dk), v.EK) {
			t.Errorf("tcId %d (%s): ek mismatch", v.TcID, v.Comment)
		}
		var ct1, ct2 []byte
		if len(v.C) == CiphertextSize {
			ct1, ct2 = v.C[:Ciphertext1Size], v.C[Ciphertext1Size:]
		} else {
			ct1, ct2 = v.C, nil
		}
		k, err := dk.Decapsulate(ct1, ct2)
		switch v.Result {
		case "valid":
			if err != nil || !bytes.Equal(k, v.K) {
				t.Errorf("tcId %d (%s): K = %x, %v; want %x", v.TcID, v.Comment, k, err, v.K)
			}
			valid++
		default:
			if !errors.Is(err, ErrCiphertextSize) {
				t.Errorf("tcId %d (%s): err = %v, want ErrCiphertextSize", v.TcID, v.Comment, err)
			}
			invalid++
		}
	}
	t.Logf("%d valid, %d invalid vectors checked", valid, invalid)
}

// TestWycheproofMLKEMEncaps covers mlkem_768_encaps_test.json through the
// two-step interface: header -> ct1 and K, then the encapsulation vector ->
// ct2; unreduced or mis-sized keys must be refused by CheckEncapsulationKey
// and Encapsulate2.
func TestWycheproofMLKEMEncaps(t *testing.T) {
	var n int
	for _, v := range load(t, "mlkem_768_encaps_test.json") {
		n++
		hdr, ekVec := splitEK(v.EK)
		err := CheckEncapsulationKey(hdr, ekVec)
		if v.Result == "invalid" {
			if err == nil {
				t.Errorf("tcId %d (%s %v): invalid key accepted", v.TcID, v.Comment, v.Flags)
			}
			if len(ekVec) == EncapsulationKeySize {
				_, st, _, _ := encapsulate1(hdr, make([]byte, 32))
				if _, err := st.Encapsulate2(ekVec); !errors.Is(err, ErrInvalidEncapsulationKey) {
					t.Errorf("tcId %d: Encapsulate2 err = %v, want ErrInvalidEncapsulationKey", v.TcID, err)
				}
			}
			continue
		}
		if err != nil {
			t.Errorf("tcId %d (%s): %v", v.TcID, v.Comment, err)
			continue
		}
		ct1, st, k, err := encapsulate1(hdr, v.M)
		if err != nil {
			t.Fatal(err)
		}
		ct2, err := st.Encapsulate2(ekVec)
		if err != nil || !bytes.Equal(k, v.K) || !bytes.Equal(append(ct1, ct2...), v.C) {
			t.Errorf("tcId %d (%s): encapsulation mismatch (err %v)", v.TcID, v.Comment, err)
		}
	}
	t.Logf("%d vectors checked", n)
}

// TestWycheproofMLKEMKeyGen covers mlkem_768_keygen_seed_test.json: seed ->
// ek and the 2400-byte dk, and dk back through ParseDecapsulationKey.
func TestWycheproofMLKEMKeyGen(t *testing.T) {
	var n int
	for _, v := range load(t, "mlkem_768_keygen_seed_test.json") {
		n++
		if v.Result != "valid" {
			t.Fatalf("tcId %d: unexpected result %q", v.TcID, v.Result)
		}
		dk, err := newKeyFromSeed(v.Seed)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fullEncapsulationKey(dk), v.EK) || !bytes.Equal(dk.Bytes(), v.DK) {
			t.Errorf("tcId %d: key mismatch", v.TcID)
		}
		dk2, err := ParseDecapsulationKey(v.DK)
		if err != nil || !bytes.Equal(fullEncapsulationKey(dk2), v.EK) {
			t.Errorf("tcId %d: ParseDecapsulationKey: %v", v.TcID, err)
		}
	}
	t.Logf("%d vectors checked", n)
}

// TestWycheproofMLKEMSemiExpandedDecaps covers
// mlkem_768_semi_expanded_decaps_test.json through ParseDecapsulationKey.
func TestWycheproofMLKEMSemiExpandedDecaps(t *testing.T) {
	var n int
	for _, v := range load(t, "mlkem_768_semi_expanded_decaps_test.json") {
		n++
		dk, err := ParseDecapsulationKey(v.DK)
		switch {
		case v.Flag("IncorrectDecapsulationKeyLength"):
			if !errors.Is(err, ErrDecapsulationKeySize) {
				t.Errorf("tcId %d (%s): err = %v", v.TcID, v.Comment, err)
			}
			continue
		case v.Flag("InvalidDecapsulationKey"):
			if !errors.Is(err, ErrInvalidDecapsulationKey) {
				t.Errorf("tcId %d (%s): err = %v", v.TcID, v.Comment, err)
			}
			continue
		case err != nil:
			t.Errorf("tcId %d (%s): %v", v.TcID, v.Comment, err)
			continue
		}
		var k []byte
		if len(v.C) == CiphertextSize {
			k, err = dk.Decapsulate(v.C[:Ciphertext1Size], v.C[Ciphertext1Size:])
		} else {
			_, err = dk.Decapsulate(v.C, nil)
		}
		if v.Flag("IncorrectCiphertextLength") {
			if !errors.Is(err, ErrCiphertextSize) {
				t.Errorf("tcId %d (%s): err = %v", v.TcID, v.Comment, err)
			}
			continue
		}
		if v.Result != "valid" && !v.Flag("MalleableCiphertext") {
			t.Errorf("tcId %d (%s %v): unexpected invalid vector", v.TcID, v.Comment, v.Flags)
		}
		if err != nil || !bytes.Equal(k, v.K) {
			t.Errorf("tcId %d (%s): K = %x, %v; want %x", v.TcID, v.Comment, k, err, v.K)
		}
	}
	t.Logf("%d vectors checked", n)
}
