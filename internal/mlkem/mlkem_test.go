package mlkem

import (
	"bytes"
	"crypto/mlkem"
	"crypto/mlkem/mlkemtest"
	"crypto/rand"
	"crypto/sha3"
	"testing"

	"github.com/forwardsecret/signal/internal/fmtcheck"
)

// reference is crypto/mlkem for one parameter set.
type reference struct {
	name string
	p    Params
	// newKey returns the encapsulation key of seed and a decapsulation
	// function for it.
	newKey func(t *testing.T, seed []byte) (ek []byte, decaps func(c []byte) ([]byte, error))
	// encaps is mlkemtest's derandomized encapsulation.
	encaps func(t *testing.T, ek, m []byte) (key, c []byte)
}

var references = []reference{
	{
		name: "ML-KEM-768",
		p:    MLKEM768,
		newKey: func(t *testing.T, seed []byte) ([]byte, func([]byte) ([]byte, error)) {
			dk, err := mlkem.NewDecapsulationKey768(seed)
			if err != nil {
				t.Fatal(err)
			}
			return dk.EncapsulationKey().Bytes(), dk.Decapsulate
		},
		encaps: func(t *testing.T, ek, m []byte) ([]byte, []byte) {
			k, err := mlkem.NewEncapsulationKey768(ek)
			if err != nil {
				t.Fatal(err)
			}
			key, c, err := mlkemtest.Encapsulate768(k, m)
			if err != nil {
				t.Fatal(err)
			}
			return key, c
		},
	},
	{
		name: "ML-KEM-1024",
		p:    MLKEM1024,
		newKey: func(t *testing.T, seed []byte) ([]byte, func([]byte) ([]byte, error)) {
			dk, err := mlkem.NewDecapsulationKey1024(seed)
			if err != nil {
				t.Fatal(err)
			}
			return dk.EncapsulationKey().Bytes(), dk.Decapsulate
		},
		encaps: func(t *testing.T, ek, m []byte) ([]byte, []byte) {
			k, err := mlkem.NewEncapsulationKey1024(ek)
			if err != nil {
				t.Fatal(err)
			}
			key, c, err := mlkemtest.Encapsulate1024(k, m)
			if err != nil {
				t.Fatal(err)
			}
			return key, c
		},
	},
}

func TestSizes(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"SeedSize", SeedSize, mlkem.SeedSize},
		{"SharedKeySize", SharedKeySize, mlkem.SharedKeySize},
		{"768 EncapsulationKeySize", MLKEM768.EncapsulationKeySize(), mlkem.EncapsulationKeySize768},
		{"768 CiphertextSize", MLKEM768.CiphertextSize(), mlkem.CiphertextSize768},
		{"768 DecapsulationKeySize", MLKEM768.DecapsulationKeySize(), 2400},
		{"768 Ciphertext1Size", MLKEM768.Ciphertext1Size(), 960},
		{"768 StateSize", MLKEM768.StateSize(), 2080},
		{"1024 EncapsulationKeySize", MLKEM1024.EncapsulationKeySize(), mlkem.EncapsulationKeySize1024},
		{"1024 CiphertextSize", MLKEM1024.CiphertextSize(), mlkem.CiphertextSize1024},
		{"1024 DecapsulationKeySize", MLKEM1024.DecapsulationKeySize(), 3168},
		{"1024 Ciphertext1Size", MLKEM1024.Ciphertext1Size(), 1408},
		{"1024 StateSize", MLKEM1024.StateSize(), 2592},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

// TestAgainstStdlib checks, for random seeds and messages and both parameter
// sets, that key generation, the expanded form, two-step encapsulation and
// decapsulation (with implicit rejection) agree byte for byte with
// crypto/mlkem and crypto/mlkem/mlkemtest.
func TestAgainstStdlib(t *testing.T) {
	iters := 50
	if testing.Short() {
		iters = 5
	}
	for _, ref := range references {
		t.Run(ref.name, func(t *testing.T) {
			p := ref.p
			for i := range iters {
				seed, m := make([]byte, SeedSize), make([]byte, MessageSize)
				rand.Read(seed)
				rand.Read(m)
				refEK, refDecaps := ref.newKey(t, seed)
				dk := new(DecapsulationKey).SetSeed(p, seed)
				if dk.Params() != p {
					t.Fatalf("Params() = %v", dk.Params())
				}
				if got := dk.AppendEncapsulationKey(nil); !bytes.Equal(got, refEK) {
					t.Fatalf("iteration %d: ek differs from crypto/mlkem", i)
				}
				if got := dk.AppendVector(nil); !bytes.Equal(got, refEK[:p.VectorSize()]) {
					t.Fatalf("iteration %d: vector is not ek without ρ", i)
				}
				hdr := dk.AppendHeader(nil)
				h := sha3.Sum256(refEK)
				if !bytes.Equal(hdr, append(bytes.Clone(refEK[p.VectorSize():]), h[:]...)) {
					t.Fatalf("iteration %d: header is not ρ || H(ek)", i)
				}
				if !CheckEncapsulationKey(p, hdr, dk.AppendVector(nil)) {
					t.Fatalf("iteration %d: CheckEncapsulationKey refuses the key's own vector", i)
				}

				// The expanded form round-trips.
				b := dk.AppendBytes(nil)
				if len(b) != p.DecapsulationKeySize() {
					t.Fatalf("iteration %d: %d-byte expanded key", i, len(b))
				}
				dk2 := new(DecapsulationKey)
				if !dk2.SetBytes(p, b) || *dk2 != *dk {
					t.Fatalf("iteration %d: expanded key does not round-trip", i)
				}

				// Two-step encapsulation is mlkemtest's encapsulation.
				var st EncapsulationState
				c1, key := st.Encapsulate1(nil, p, hdr, m)
				st2 := new(EncapsulationState)
				if !st2.SetBytes(p, st.AppendBytes(nil)) || *st2 != st {
					t.Fatalf("iteration %d: state does not round-trip", i)
				}
				c, ok := st2.Encapsulate2(c1, dk.AppendVector(nil))
				if !ok {
					t.Fatalf("iteration %d: Encapsulate2 refuses the key's own vector", i)
				}
				refKey, refC := ref.encaps(t, refEK, m)
				if !bytes.Equal(c, refC) || !bytes.Equal(key[:], refKey) {
					t.Fatalf("iteration %d: encapsulation differs from mlkemtest", i)
				}
				if len(c1) != p.Ciphertext1Size() || len(c) != p.CiphertextSize() {
					t.Fatalf("iteration %d: ciphertext sizes %d, %d", i, len(c1), len(c))
				}

				// Decapsulation, and implicit rejection of a tampered
				// ciphertext, agree with crypto/mlkem.
				bad := bytes.Clone(c)
				bad[i*37%len(bad)] ^= 1 << (i % 8)
				for _, c := range [][]byte{c, bad} {
					want, err := refDecaps(c)
					if err != nil {
						t.Fatal(err)
					}
					if got := dk.Decapsulate(c[:p.Ciphertext1Size()], c[p.Ciphertext1Size():]); !bytes.Equal(got[:], want) {
						t.Fatalf("iteration %d: Decapsulate differs from crypto/mlkem", i)
					}
				}
			}
		})
	}
}

// TestSetBytesRejects checks the three checks of the expanded form, and that
// a refused key is cleared.
func TestSetBytesRejects(t *testing.T) {
	for _, p := range []Params{MLKEM768, MLKEM1024} {
		good := new(DecapsulationKey).SetSeed(p, bytes.Repeat([]byte{7}, SeedSize)).AppendBytes(nil)
		sLen, ekLen := p.VectorSize(), p.EncapsulationKeySize()
		rehash := func(b []byte) []byte {
			h := sha3.Sum256(b[sLen : sLen+ekLen])
			copy(b[sLen+ekLen:], h[:])
			return b
		}
		badHash := bytes.Clone(good)
		badHash[sLen+ekLen+3] ^= 1
		unreducedT := bytes.Clone(good)
		unreducedT[sLen], unreducedT[sLen+1] = 0xff, 0x0f
		unreducedS := bytes.Clone(good)
		unreducedS[3*100+1] |= 0xf0
		unreducedS[3*100+2] = 0xff
		for name, b := range map[string][]byte{
			"hash":         badHash,
			"unreduced t̂": rehash(unreducedT),
			"unreduced ŝ":  unreducedS,
		} {
			dk := new(DecapsulationKey).SetSeed(p, bytes.Repeat([]byte{8}, SeedSize))
			if dk.SetBytes(p, b) || *dk != (DecapsulationKey{}) {
				t.Errorf("%v, %s: accepted, or the key is not cleared", p.k, name)
			}
		}
		hdr := new(DecapsulationKey).SetSeed(p, bytes.Repeat([]byte{7}, SeedSize)).AppendHeader(nil)
		if CheckEncapsulationKey(p, hdr, unreducedT[sLen:sLen+p.VectorSize()]) {
			t.Errorf("%v: CheckEncapsulationKey accepted a vector with the wrong hash", p.k)
		}
		rehashed := rehash(bytes.Clone(unreducedT))
		h := sha3.Sum256(rehashed[sLen : sLen+ekLen])
		hdr = append(bytes.Clone(hdr[:32]), h[:]...)
		if CheckEncapsulationKey(p, hdr, rehashed[sLen:sLen+p.VectorSize()]) {
			t.Errorf("%v: CheckEncapsulationKey accepted an unreduced vector", p.k)
		}
		var st EncapsulationState
		st.Encapsulate1(nil, p, hdr, make([]byte, MessageSize))
		if c2, ok := st.Encapsulate2([]byte{1}, rehashed[sLen:sLen+p.VectorSize()]); ok || !bytes.Equal(c2, []byte{1}) {
			t.Errorf("%v: Encapsulate2 accepted an unreduced vector", p.k)
		}
	}
}

// TestStateSetBytes checks the byte-swapped layout of libcrux issue 1275 and
// the range check on e2.
func TestStateSetBytes(t *testing.T) {
	p := MLKEM768
	dk := new(DecapsulationKey).SetSeed(p, bytes.Repeat([]byte{9}, SeedSize))
	var st EncapsulationState
	st.Encapsulate1(nil, p, dk.AppendHeader(nil), bytes.Repeat([]byte{1}, MessageSize))
	b := st.AppendBytes(nil)
	for i := 0; i < len(b)-MessageSize; i += 2 {
		b[i], b[i+1] = b[i+1], b[i]
	}
	var st2 EncapsulationState
	if !st2.SetBytes(p, b) || st2 != st {
		t.Fatal("byte-swapped state not recovered")
	}
	b[p.StateSize()-40], b[p.StateSize()-39] = 0x55, 0x55 // an e2 coefficient out of range both ways
	if st2.SetBytes(p, b) || st2 != (EncapsulationState{}) {
		t.Fatal("state with e2 out of range accepted, or not cleared")
	}
	// Every e2 value in [-2, 2] is accepted, both signs of every other.
	for v := -3; v <= 3; v++ {
		b := st.AppendBytes(nil)
		b[p.k*n*2+10], b[p.k*n*2+11] = byte(v), byte(v>>8)
		if got, want := st2.SetBytes(p, b), v >= -eta && v <= eta; got != want {
			t.Errorf("e2 coefficient %d: accepted %v, want %v", v, got, want)
		}
	}
}

// TestNoSecretsInFmt formats keys and states, as values and as pointers,
// under every fmt verb.
func TestNoSecretsInFmt(t *testing.T) {
	seed := fmtcheck.Secret("mlkem seed", SeedSize)
	m := fmtcheck.Secret("mlkem m", MessageSize)
	for _, p := range []Params{MLKEM768, MLKEM1024} {
		dk := new(DecapsulationKey).SetSeed(p, seed)
		var st EncapsulationState
		st.Encapsulate1(nil, p, dk.AppendHeader(nil), m)
		z := seed[32:]
		t.Run("*DecapsulationKey", func(t *testing.T) { fmtcheck.NoSecrets(t, dk, z) })
		t.Run("DecapsulationKey", func(t *testing.T) { fmtcheck.NoSecrets(t, *dk, z) })
		t.Run("*EncapsulationState", func(t *testing.T) { fmtcheck.NoSecrets(t, &st, m) })
		t.Run("EncapsulationState", func(t *testing.T) { fmtcheck.NoSecrets(t, st, m) })
	}
}

// TestZetas pins the NTT tables to the values in FIPS 203, Appendix A.
func TestZetas(t *testing.T) {
	if zetas[0] != 1 || zetas[1] != 1729 || zetas[2] != 2580 || gammas[0] != 17 || gammas[1] != q-17 || gammas[2] != 2761 {
		t.Errorf("zetas = %v..., gammas = %v...", zetas[:3], gammas[:3])
	}
}

// TestWrongLengthsPanic checks that the core refuses, rather than
// truncates, inputs of the wrong length: its callers check lengths first.
func TestWrongLengthsPanic(t *testing.T) {
	p := MLKEM768
	dk := new(DecapsulationKey).SetSeed(p, make([]byte, SeedSize))
	hdr, vec := dk.AppendHeader(nil), dk.AppendVector(nil)
	var st EncapsulationState
	c1, _ := st.Encapsulate1(nil, p, hdr, make([]byte, MessageSize))
	c2, _ := st.Encapsulate2(nil, vec)
	long := func(b []byte) []byte { return append(bytes.Clone(b), 0) }
	for name, f := range map[string]func(){
		"SetSeed":               func() { new(DecapsulationKey).SetSeed(p, make([]byte, SeedSize+1)) },
		"SetPKESeed":            func() { new(DecapsulationKey).SetPKESeed(p, make([]byte, 32), make([]byte, 33), make([]byte, 32)) },
		"SetBytes":              func() { new(DecapsulationKey).SetBytes(p, long(dk.AppendBytes(nil))) },
		"CheckEncapsulationKey": func() { CheckEncapsulationKey(p, hdr, long(vec)) },
		"Decapsulate c1":        func() { dk.Decapsulate(long(c1), c2) },
		"Decapsulate c2":        func() { dk.Decapsulate(c1, c2[1:]) },
		"Encapsulate1 header":   func() { st.Encapsulate1(nil, p, long(hdr), make([]byte, MessageSize)) },
		"Encapsulate1 m":        func() { st.Encapsulate1(nil, p, hdr, make([]byte, MessageSize+1)) },
		"Encapsulate2":          func() { st.Encapsulate2(nil, vec[1:]) },
		"state SetBytes":        func() { st.SetBytes(p, long(st.AppendBytes(nil))) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic on a wrong length", name)
				}
			}()
			f()
		}()
	}
}
