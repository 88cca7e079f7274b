package kem

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/sha3"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	core "github.com/forwardsecret/signal/internal/mlkem"
)

// nistDRBG is the AES-256 CTR_DRBG (no derivation function, no reseeding) of
// the NIST PQC competition's rng.c, which generated every round-3 KAT file:
// randombytes_init(seed) followed by randombytes calls.
type nistDRBG struct {
	key [32]byte
	v   [16]byte
}

func newNISTDRBG(t testing.TB, seed []byte) *nistDRBG {
	if len(seed) != 48 {
		t.Fatalf("DRBG seed is %d bytes, want 48", len(seed))
	}
	d := new(nistDRBG)
	d.update(seed)
	return d
}

func (d *nistDRBG) incV() {
	for j := 15; j >= 0; j-- {
		d.v[j]++
		if d.v[j] != 0 {
			return
		}
	}
}

// update is AES256_CTR_DRBG_Update.
func (d *nistDRBG) update(provided []byte) {
	block, err := aes.NewCipher(d.key[:])
	if err != nil {
		panic(err)
	}
	var temp [48]byte
	for i := range 3 {
		d.incV()
		block.Encrypt(temp[16*i:], d.v[:])
	}
	for i := range provided {
		temp[i] ^= provided[i]
	}
	copy(d.key[:], temp[:32])
	copy(d.v[:], temp[32:])
}

// randombytes returns the next n bytes, exactly as one randombytes(x, n) call.
func (d *nistDRBG) randombytes(n int) []byte {
	block, err := aes.NewCipher(d.key[:])
	if err != nil {
		panic(err)
	}
	out := make([]byte, 0, n+16)
	var b [16]byte
	for len(out) < n {
		d.incV()
		block.Encrypt(b[:], d.v[:])
		out = append(out, b[:]...)
	}
	d.update(nil)
	return out[:n]
}

// TestNISTDRBG pins the DRBG to the first seed of every NIST KAT file:
// randombytes_init(0, 1, ..., 47) then randombytes(48) gives count 0's seed.
func TestNISTDRBG(t *testing.T) {
	var entropy [48]byte
	for i := range entropy {
		entropy[i] = byte(i)
	}
	got := newNISTDRBG(t, entropy[:]).randombytes(48)
	want := mustHex(t, katZero(t)["seed"])
	if !bytes.Equal(got, want) {
		t.Fatalf("DRBG count-0 seed = %x, want %x", got, want)
	}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// katZero reads testdata/kyber1024_r3_kat0.rsp (see its header for the source).
func katZero(t testing.TB) map[string]string {
	t.Helper()
	f, err := os.Open("testdata/kyber1024_r3_kat0.rsp")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kat := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<16)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		key, value, ok := strings.Cut(line, " = ")
		if !ok {
			t.Fatalf("bad KAT line %q", line)
		}
		kat[key] = value
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"seed", "pk", "sk", "ct", "ss"} {
		if kat[key] == "" {
			t.Fatalf("KAT lacks %s", key)
		}
	}
	return kat
}

// TestKyber1024RoundThreeKAT runs NIST round-3 Kyber1024 KAT count 0 through
// our transform. The reference crypto_kem_keypair draws d then z (32 bytes
// each) from the DRBG, crypto_kem_enc draws its 32 coins next.
func TestKyber1024RoundThreeKAT(t *testing.T) {
	kat := katZero(t)
	drbg := newNISTDRBG(t, mustHex(t, kat["seed"]))
	d := drbg.randombytes(32)
	z := drbg.randombytes(32)
	coins := drbg.randombytes(32)

	katPK := mustHex(t, kat["pk"])
	katSK := mustHex(t, kat["sk"])
	katCT := mustHex(t, kat["ct"])
	katSS := mustHex(t, kat["ss"])

	// The DRBG is in step with the reference: the secret key ends with z.
	if !bytes.Equal(katSK[RawExpandedKeySize-32:], z) {
		t.Fatalf("z from the DRBG = %x, KAT sk ends with %x", z, katSK[RawExpandedKeySize-32:])
	}

	pk, err := ParsePublicKey(append([]byte{byte(Kyber1024)}, katPK...))
	if err != nil {
		t.Fatal(err)
	}
	ss, ct, err := EncapsulateDerand(pk, coins)
	if err != nil {
		t.Fatal(err)
	}
	if ct[0] != byte(Kyber1024) || !bytes.Equal(ct[1:], katCT) {
		t.Errorf("ciphertext differs from the KAT")
	}
	if !bytes.Equal(ss, katSS) {
		t.Errorf("encapsulated shared secret = %x, want %x", ss, katSS)
	}

	// Decapsulation with the KAT's own (round-3 expanded) secret key, imported
	// as libsignal stores it.
	sk, err := ParsePrivateKey(append([]byte{byte(Kyber1024)}, katSK...))
	if err != nil {
		t.Fatal(err)
	}
	if !sk.PublicKey().Equal(pk) {
		t.Errorf("imported private key's public key differs from the KAT pk")
	}
	got, err := sk.Decapsulate(ct)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, katSS) {
		t.Errorf("decapsulated shared secret = %x, want %x", got, katSS)
	}
	if lb := sk.LibsignalBytes(); lb[0] != byte(Kyber1024) || !bytes.Equal(lb[1:], katSK) {
		t.Errorf("LibsignalBytes does not reproduce the imported key")
	}
	if _, err := sk.Seed(); err != ErrNoSeed {
		t.Errorf("Seed() on an imported key: err = %v, want ErrNoSeed", err)
	}

	// And through crypto/mlkem with a seeded key of ours: same coins, same
	// transform, both sides agree.
	kp, err := NewKeyPairFromSeed(Kyber1024, append(append([]byte{}, d...), z...))
	if err != nil {
		t.Fatal(err)
	}
	ss2, ct2, err := EncapsulateDerand(kp.Public, coins)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := kp.Private.Decapsulate(ct2); err != nil || !bytes.Equal(got, ss2) {
		t.Errorf("seeded key pair: decapsulate = %x, %v; want %x", got, err, ss2)
	}
}

// TestKyber1024RoundThreeKeyGen documents the one difference in key
// generation: round 3 expands d with G(d), ML-KEM with G(d || k). The KAT's
// key pair is reproduced by the former; our seeded keys use the latter, so
// the same d || z gives a different (equally valid) key pair.
func TestKyber1024RoundThreeKeyGen(t *testing.T) {
	kat := katZero(t)
	drbg := newNISTDRBG(t, mustHex(t, kat["seed"]))
	d := drbg.randombytes(32)
	z := drbg.randombytes(32)
	katSK := mustHex(t, kat["sk"])

	g := sha3.Sum512(d) // round 3: (ρ, σ) = G(d), no k byte
	round3 := new(core.DecapsulationKey).SetPKESeed(core.MLKEM1024, g[:32], g[32:], z)
	if !bytes.Equal(round3.AppendBytes(nil), katSK) {
		t.Fatalf("K-PKE.KeyGen with (ρ, σ) = G(d) does not reproduce the KAT secret key")
	}

	kp, err := NewKeyPairFromSeed(Kyber1024, append(append([]byte{}, d...), z...))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(kp.Public.Bytes()[1:], mustHex(t, kat["pk"])) {
		t.Fatalf("ML-KEM key generation reproduced a round-3 key; the documented difference is wrong")
	}
	if lb := kp.Private.LibsignalBytes(); !bytes.Equal(lb[LibsignalPrivateKeySize-32:], z) {
		t.Errorf("z is not carried into the expanded form")
	}
}

func sha3Sum256(b []byte) []byte { h := sha3.Sum256(b); return h[:] }
