package kem

import (
	"bytes"
	"errors"
	"testing"
)

var sentinels = []error{
	ErrUnknownType, ErrPublicKeyLength, ErrInvalidPublicKey, ErrCiphertextLength,
	ErrCiphertextType, ErrPrivateKeyLength, ErrInvalidPrivateKey,
}

func isSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// fuzzKeys are fixed key pairs of both types (same seed), plus the KAT's
// round-3 key imported in libsignal's expanded form.
func fuzzKeys(t testing.TB) (kyber, mlkem KeyPair, katSK *PrivateKey) {
	seed := bytes.Repeat([]byte{0x3c}, SeedSize)
	kyber, _ = NewKeyPairFromSeed(Kyber1024, seed)
	mlkem, _ = NewKeyPairFromSeed(MLKEM1024, seed)
	katSK, err := ParsePrivateKey(typed(Kyber1024, mustHex(t, katZero(t)["sk"])))
	if err != nil {
		t.Fatal(err)
	}
	return kyber, mlkem, katSK
}

// addSeeds adds each seed and fails if there are none, so a lost seed source
// cannot silently empty the corpus.
func addSeeds(f *testing.F, seeds ...[]byte) {
	if len(seeds) == 0 {
		f.Fatal("no fuzz seeds")
	}
	for _, s := range seeds {
		f.Add(s)
	}
}

func FuzzParsePublicKey(f *testing.F) {
	kat := katZero(f)
	ky, ml, _ := fuzzKeys(f)
	katPK := mustHex(f, kat["pk"])
	addSeeds(f,
		typed(Kyber1024, katPK),
		typed(MLKEM1024, katPK),
		ky.Public.Bytes(),
		ml.Public.Bytes(),
		typed(0x07, katPK),
		katPK,
		typed(Kyber1024, katPK[:100]),
		[]byte{byte(Kyber1024)},
		nil,
	)
	f.Fuzz(func(t *testing.T, b []byte) {
		pk, err := ParsePublicKey(b)
		if err != nil {
			if pk != nil || !isSentinel(err) {
				t.Fatalf("ParsePublicKey: %v, %v", pk, err)
			}
			return
		}
		// Accepted keys are canonical: they serialize back to the input.
		if pk.Type() != Type(b[0]) || !bytes.Equal(pk.Bytes(), b) {
			t.Fatalf("accepted key does not round-trip")
		}
		ss, ct := pk.Encapsulate()
		if len(ss) != SharedSecretSize || len(ct) != CiphertextSize || ct[0] != b[0] {
			t.Fatalf("encapsulation to an accepted key: %d, %d", len(ss), len(ct))
		}
	})
}

func FuzzDecapsulate(f *testing.F) {
	kat := katZero(f)
	ky, ml, katSK := fuzzKeys(f)
	kyCT := mustHex(f, kat["ct"])
	_, kyOwn, _ := EncapsulateDerand(ky.Public, bytes.Repeat([]byte{1}, 32))
	_, mlOwn, _ := EncapsulateDerand(ml.Public, bytes.Repeat([]byte{2}, 32))
	addSeeds(f,
		typed(Kyber1024, kyCT),
		kyOwn,
		mlOwn,
		typed(0x07, kyCT),
		kyCT,
		kyOwn[:CiphertextSize-1],
		append(bytes.Clone(mlOwn), 0),
		[]byte{byte(MLKEM1024)},
		nil,
	)
	// Each seeded key is paired with its own expanded-form import, which goes
	// through our core instead of crypto/mlkem: they must agree on everything.
	pairs := [][2]*PrivateKey{
		{ky.Private, mustParsePrivateF(f, ky.Private.LibsignalBytes())},
		{ml.Private, mustParsePrivateF(f, ml.Private.LibsignalBytes())},
	}
	f.Fuzz(func(t *testing.T, ct []byte) {
		for _, p := range pairs {
			a, errA := p[0].Decapsulate(ct)
			b, errB := p[1].Decapsulate(ct)
			if errA != errB || !bytes.Equal(a, b) {
				t.Fatalf("%v: crypto/mlkem (%x, %v) and expanded core (%x, %v) disagree", p[0].Type(), a, errA, b, errB)
			}
			wellFormed := len(ct) == CiphertextSize && ct[0] == byte(p[0].Type())
			if wellFormed != (errA == nil) {
				t.Fatalf("%v: well-formed %v but err %v", p[0].Type(), wellFormed, errA)
			}
			if errA != nil && (a != nil || !isSentinel(errA)) {
				t.Fatalf("%v: bad error %v", p[0].Type(), errA)
			}
			if errA == nil && len(a) != SharedSecretSize {
				t.Fatalf("%v: %d-byte secret", p[0].Type(), len(a))
			}
		}
		// Whatever the input, also decapsulate a well-formed ciphertext built
		// from it, so that every execution compares the two implementations.
		for _, p := range pairs {
			wf := make([]byte, CiphertextSize)
			wf[0] = byte(p[0].Type())
			copy(wf[1:], ct)
			a, errA := p[0].Decapsulate(wf)
			b, errB := p[1].Decapsulate(wf)
			if errA != nil || errB != nil || !bytes.Equal(a, b) {
				t.Fatalf("%v, well-formed: crypto/mlkem (%x, %v) and expanded core (%x, %v) disagree", p[0].Type(), a, errA, b, errB)
			}
		}
		if _, err := katSK.Decapsulate(ct); err != nil && !isSentinel(err) {
			t.Fatalf("KAT key: %v", err)
		}
	})
}

func FuzzParsePrivateKey(f *testing.F) {
	kat := katZero(f)
	ky, ml, _ := fuzzKeys(f)
	katSK := mustHex(f, kat["sk"])
	addSeeds(f,
		typed(Kyber1024, katSK),
		ky.Private.Bytes(),
		ml.Private.LibsignalBytes(),
		typed(0x07, katSK),
		katSK,
		typed(MLKEM1024, katSK[:SeedSize]),
		nil,
	)
	f.Fuzz(func(t *testing.T, b []byte) {
		sk, err := ParsePrivateKey(b)
		if err != nil {
			if sk != nil || !isSentinel(err) {
				t.Fatalf("ParsePrivateKey: %v, %v", sk, err)
			}
			return
		}
		if sk.Type() != Type(b[0]) || !bytes.Equal(sk.Bytes(), b) {
			t.Fatalf("accepted private key does not round-trip")
		}
		ss, ct := sk.PublicKey().Encapsulate()
		if got, err := sk.Decapsulate(ct); err != nil || !bytes.Equal(got, ss) {
			t.Fatalf("accepted private key does not decapsulate its own public key's ciphertext")
		}
	})
}

func mustParsePrivateF(f *testing.F, b []byte) *PrivateKey {
	f.Helper()
	sk, err := ParsePrivateKey(b)
	if err != nil {
		f.Fatal(err)
	}
	return sk
}
