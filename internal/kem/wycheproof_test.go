package kem

import (
	"bytes"
	"errors"
	"testing"

	"github.com/forwardsecret/signal/internal/mlkem/wycheproof"
)

// typed prefixes b with the type byte of t.
func typed(t Type, b []byte) []byte { return append([]byte{byte(t)}, b...) }

// load reads one ML-KEM-1024 Wycheproof file.
func load(t *testing.T, name string) []wycheproof.Test {
	return wycheproof.Load(t, name, "ML-KEM-1024")
}

// TestWycheproofMLKEM covers mlkem_1024_test.json: seed -> ek, and
// decapsulation (valid, implicit rejection, wrong lengths), through crypto/mlkem
// and through our expanded-key core.
func TestWycheproofMLKEM(t *testing.T) {
	var valid, invalid int
	for _, v := range load(t, "mlkem_1024_test.json") {
		kp, err := NewKeyPairFromSeed(MLKEM1024, v.Seed)
		if err != nil {
			if v.Result != "invalid" || !errors.Is(err, ErrPrivateKeyLength) {
				t.Errorf("tcId %d (%s): NewKeyPairFromSeed: %v", v.TcID, v.Comment, err)
			}
			invalid++
			continue
		}
		if !bytes.Equal(kp.Public.Bytes(), typed(MLKEM1024, v.EK)) {
			t.Errorf("tcId %d (%s): ek mismatch", v.TcID, v.Comment)
		}
		imported, err := ParsePrivateKey(kp.Private.LibsignalBytes())
		if err != nil {
			t.Fatalf("tcId %d: re-importing the expanded key: %v", v.TcID, err)
		}
		for _, sk := range []*PrivateKey{kp.Private, imported} {
			k, err := sk.Decapsulate(typed(MLKEM1024, v.C))
			switch {
			case v.Result == "valid" && (err != nil || !bytes.Equal(k, v.K)):
				t.Errorf("tcId %d (%s), seed=%v: K = %x, %v; want %x", v.TcID, v.Comment, sk.dk != nil, k, err, v.K)
			case v.Result == "invalid" && !errors.Is(err, ErrCiphertextLength):
				t.Errorf("tcId %d (%s): err = %v, want ErrCiphertextLength", v.TcID, v.Comment, err)
			}
		}
		if v.Result == "valid" {
			valid++
		} else {
			invalid++
		}
	}
	t.Logf("%d valid, %d invalid vectors checked", valid, invalid)
}

// TestWycheproofMLKEMEncaps covers mlkem_1024_encaps_test.json: derandomized
// encapsulation, and rejection of unreduced or mis-sized keys.
func TestWycheproofMLKEMEncaps(t *testing.T) {
	var n int
	for _, v := range load(t, "mlkem_1024_encaps_test.json") {
		n++
		pk, err := ParsePublicKey(typed(MLKEM1024, v.EK))
		if v.Result == "invalid" {
			want := ErrPublicKeyLength
			if len(v.EK) == RawPublicKeySize {
				want = ErrInvalidPublicKey // ModulusOverflow / "not reduced"
			}
			if !errors.Is(err, want) {
				t.Errorf("tcId %d (%s %v): err = %v, want %v", v.TcID, v.Comment, v.Flags, err, want)
			}
			continue
		}
		if err != nil {
			t.Errorf("tcId %d (%s): %v", v.TcID, v.Comment, err)
			continue
		}
		k, c, err := EncapsulateDerand(pk, v.M)
		if err != nil || !bytes.Equal(k, v.K) || !bytes.Equal(c, typed(MLKEM1024, v.C)) {
			t.Errorf("tcId %d (%s): encapsulation mismatch (err %v)", v.TcID, v.Comment, err)
		}
	}
	t.Logf("%d vectors checked", n)
}

// TestWycheproofMLKEMKeyGen covers mlkem_1024_keygen_seed_test.json: seed ->
// ek, and seed -> expanded dk through LibsignalBytes, and the expanded dk back
// through ParsePrivateKey.
func TestWycheproofMLKEMKeyGen(t *testing.T) {
	var n int
	for _, v := range load(t, "mlkem_1024_keygen_seed_test.json") {
		n++
		if v.Result != "valid" {
			t.Fatalf("tcId %d: unexpected result %q", v.TcID, v.Result)
		}
		kp, err := NewKeyPairFromSeed(MLKEM1024, v.Seed)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(kp.Public.Bytes(), typed(MLKEM1024, v.EK)) {
			t.Errorf("tcId %d: ek mismatch", v.TcID)
		}
		if !bytes.Equal(kp.Private.LibsignalBytes(), typed(MLKEM1024, v.DK)) {
			t.Errorf("tcId %d: expanded dk mismatch", v.TcID)
		}
		sk, err := ParsePrivateKey(typed(MLKEM1024, v.DK))
		if err != nil || !sk.PublicKey().Equal(kp.Public) {
			t.Errorf("tcId %d: importing dk: %v", v.TcID, err)
		}
	}
	t.Logf("%d vectors checked", n)
}

// TestWycheproofMLKEMSemiExpandedDecaps covers
// mlkem_1024_semi_expanded_decaps_test.json through ParsePrivateKey's
// libsignal (expanded) form.
func TestWycheproofMLKEMSemiExpandedDecaps(t *testing.T) {
	var n int
	for _, v := range load(t, "mlkem_1024_semi_expanded_decaps_test.json") {
		n++
		flag := ""
		if len(v.Flags) == 1 {
			flag = v.Flags[0]
		}
		sk, err := ParsePrivateKey(typed(MLKEM1024, v.DK))
		switch flag {
		case "IncorrectDecapsulationKeyLength":
			if !errors.Is(err, ErrPrivateKeyLength) {
				t.Errorf("tcId %d (%s): err = %v", v.TcID, v.Comment, err)
			}
			continue
		case "InvalidDecapsulationKey":
			if !errors.Is(err, ErrInvalidPrivateKey) {
				t.Errorf("tcId %d (%s): err = %v", v.TcID, v.Comment, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("tcId %d (%s): %v", v.TcID, v.Comment, err)
			continue
		}
		if !bytes.Equal(sk.PublicKey().Bytes(), typed(MLKEM1024, v.EK)) {
			t.Errorf("tcId %d: embedded ek mismatch", v.TcID)
		}
		k, err := sk.Decapsulate(typed(MLKEM1024, v.C))
		switch {
		case flag == "IncorrectCiphertextLength":
			if !errors.Is(err, ErrCiphertextLength) {
				t.Errorf("tcId %d (%s): err = %v", v.TcID, v.Comment, err)
			}
		case v.Result != "valid" || flag != "" && flag != "MalleableCiphertext":
			t.Errorf("tcId %d: unhandled vector %q %v", v.TcID, v.Result, v.Flags)
		case err != nil || !bytes.Equal(k, v.K):
			t.Errorf("tcId %d (%s): K = %x, %v; want %x", v.TcID, v.Comment, k, err, v.K)
		}
	}
	t.Logf("%d vectors checked", n)
}
