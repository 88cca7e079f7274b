// Command pqxdh writes vectors/data/pqxdh.json: known answers for Signal's
// X3DH (v3) and PQXDH (v4, Kyber1024 and ML-KEM-1024) handshakes and for the
// specifications' generic form, with fixed keys and fixed KEM randomness.
//
// It is written from the specifications (signal.org/docs/specifications/x3dh,
// .../pqxdh) and the facts in PROTOCOL.md, with standard-library primitives
// only: crypto/ecdh (X25519), crypto/hkdf, crypto/sha256, crypto/sha512,
// crypto/mlkem with crypto/mlkem/mlkemtest (derandomized encapsulation), and
// crypto/sha3 (round-3 Kyber's hashes). It deliberately does not import the
// packages the vectors check (x3dh, curve, xeddsa, internal/kem).
//
// Signatures are not part of the key schedule, so the vectors carry none; a
// test that needs a bundle signs the prekeys itself.
//
// Usage (from vectors/, through go generate): go run ./internal/gen/pqxdh -o data/pqxdh.json
package main

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/mlkem"
	"crypto/mlkem/mlkemtest"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"hash"
	"log"
	"os"
)

// Vector is one handshake. Byte strings are hex. Keys are as they appear on
// the wire: Curve25519 public keys 0x05 || u (33 bytes), KEM public keys and
// ciphertexts type byte || 1568 bytes. Private keys are 32 raw bytes before
// RFC 7748 clamping (X25519 clamps them).
type Vector struct {
	Name string `json:"name"`
	// Form is "signal" (session version 3 or 4, okm split into keys) or
	// "generic" (the specifications' SK and AD).
	Form    string `json:"form"`
	Version int    `json:"version,omitempty"`
	KEM     string `json:"kem,omitempty"`
	Hash    string `json:"hash"`
	Info    string `json:"info"`

	AliceIdentityPrivate   string `json:"alice_identity_private"`
	AliceIdentityPublic    string `json:"alice_identity_public"`
	AliceBasePrivate       string `json:"alice_base_private"`
	AliceBasePublic        string `json:"alice_base_public"`
	BobIdentityPrivate     string `json:"bob_identity_private"`
	BobIdentityPublic      string `json:"bob_identity_public"`
	BobSignedPreKeyPrivate string `json:"bob_signed_prekey_private"`
	BobSignedPreKeyPublic  string `json:"bob_signed_prekey_public"`
	BobOneTimePrivate      string `json:"bob_one_time_prekey_private,omitempty"`
	BobOneTimePublic       string `json:"bob_one_time_prekey_public,omitempty"`
	BobKEMSeed             string `json:"bob_kem_seed,omitempty"`
	BobKEMPublic           string `json:"bob_kem_public,omitempty"`
	KEMRandom              string `json:"kem_random,omitempty"`

	KEMCiphertext   string `json:"kem_ciphertext,omitempty"`
	KEMSharedSecret string `json:"kem_shared_secret,omitempty"`
	DH1             string `json:"dh1"`
	DH2             string `json:"dh2"`
	DH3             string `json:"dh3"`
	DH4             string `json:"dh4,omitempty"`
	Secret          string `json:"secret"`
	OKM             string `json:"okm"`
	RootKey         string `json:"root_key,omitempty"`
	ChainKey        string `json:"chain_key,omitempty"`
	AuthKey         string `json:"auth_key,omitempty"`
	SK              string `json:"sk,omitempty"`
	AD              string `json:"ad,omitempty"`
}

// File is the whole of pqxdh.json.
type File struct {
	Description string            `json:"description"`
	Source      string            `json:"source"`
	Conventions map[string]string `json:"conventions"`
	Vectors     []Vector          `json:"vectors"`
}

const (
	infoV3 = "WhisperText"
	infoV4 = "WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024"
	kyber  = "Kyber1024"
	mlkem_ = "ML-KEM-1024"
)

type spec struct {
	name    string
	form    string
	version int
	kem     string // "" for X3DH
	hash    string
	info    string
	oneTime bool
}

var specs = []spec{
	{"x3dh_v3", "signal", 3, "", "SHA-256", infoV3, false},
	{"x3dh_v3_one_time", "signal", 3, "", "SHA-256", infoV3, true},
	{"pqxdh_v4_kyber1024", "signal", 4, kyber, "SHA-256", infoV4, false},
	{"pqxdh_v4_kyber1024_one_time", "signal", 4, kyber, "SHA-256", infoV4, true},
	{"pqxdh_v4_mlkem1024", "signal", 4, mlkem_, "SHA-256", infoV4, false},
	{"pqxdh_v4_mlkem1024_one_time", "signal", 4, mlkem_, "SHA-256", infoV4, true},
	{"generic_x3dh_sha512", "generic", 0, "", "SHA-512", "ExampleProtocol", true},
	{"generic_pqxdh_sha512_mlkem1024", "generic", 0, mlkem_, "SHA-512", "ExampleProtocol_CURVE25519_SHA-512_ML-KEM-1024", true},
	{"generic_pqxdh_sha256_kyber1024", "generic", 0, kyber, "SHA-256", "ExampleProtocol_CURVE25519_SHA-256_CRYSTALS-KYBER-1024", false},
}

// fixed returns n deterministic bytes for one label of one vector.
func fixed(vector, label string, n int) []byte {
	out := make([]byte, 0, n)
	for i := byte(0); len(out) < n; i++ {
		h := sha256.Sum256([]byte(fmt.Sprintf("pqxdh vector %s %s %d", vector, label, i)))
		out = append(out, h[:]...)
	}
	return out[:n]
}

// x25519Key is a Curve25519 private scalar and its 33-byte public encoding.
type x25519Key struct {
	raw  []byte
	priv *ecdh.PrivateKey
	pub  []byte
}

func newX25519Key(vector, label string) x25519Key {
	raw := fixed(vector, label, 32)
	priv, err := ecdh.X25519().NewPrivateKey(raw)
	if err != nil {
		log.Fatal(err)
	}
	return x25519Key{raw: raw, priv: priv, pub: append([]byte{0x05}, priv.PublicKey().Bytes()...)}
}

// dh is X25519(a, B) for B in its 33-byte encoding.
func dh(a x25519Key, b []byte) []byte {
	pub, err := ecdh.X25519().NewPublicKey(b[1:])
	if err != nil {
		log.Fatal(err)
	}
	s, err := a.priv.ECDH(pub)
	if err != nil {
		log.Fatal(err)
	}
	return s
}

// encapsulate runs the KEM with fixed randomness and returns the typed
// ciphertext and the shared secret.
//
// ML-KEM-1024 (type 0x0A): random is FIPS 203's message m for
// ML-KEM.Encaps_internal.
//
// Kyber1024 (type 0x08), round 3: random is the "coins" of the reference
// crypto_kem_enc. It computes m = SHA3-256(coins), (K̄, r) = G(m || H(pk)),
// c = Enc(pk, m, r), K = SHAKE256(K̄ || SHA3-256(c))[:32]. The first three
// steps are exactly ML-KEM.Encaps_internal(ek, m), which returns K̄.
func encapsulate(kem string, ek *mlkem.EncapsulationKey1024, random []byte) (ct, ss []byte) {
	m := random
	if kem == kyber {
		h := sha3.Sum256(random)
		m = h[:]
	}
	k, c, err := mlkemtest.Encapsulate1024(ek, m)
	if err != nil {
		log.Fatal(err)
	}
	typ := byte(0x0A)
	if kem == kyber {
		typ = 0x08
		hc := sha3.Sum256(c)
		x := sha3.NewSHAKE256()
		x.Write(k)
		x.Write(hc[:])
		k = make([]byte, 32)
		x.Read(k)
	}
	return append([]byte{typ}, c...), k
}

func makeVector(s spec) Vector {
	v := Vector{Name: s.name, Form: s.form, Version: s.version, KEM: s.kem, Hash: s.hash, Info: s.info}
	aliceID := newX25519Key(s.name, "alice identity")
	aliceBase := newX25519Key(s.name, "alice base")
	bobID := newX25519Key(s.name, "bob identity")
	bobSPK := newX25519Key(s.name, "bob signed prekey")
	x := hex.EncodeToString
	v.AliceIdentityPrivate, v.AliceIdentityPublic = x(aliceID.raw), x(aliceID.pub)
	v.AliceBasePrivate, v.AliceBasePublic = x(aliceBase.raw), x(aliceBase.pub)
	v.BobIdentityPrivate, v.BobIdentityPublic = x(bobID.raw), x(bobID.pub)
	v.BobSignedPreKeyPrivate, v.BobSignedPreKeyPublic = x(bobSPK.raw), x(bobSPK.pub)

	// X3DH section 3.3 / PQXDH section 3.3, Alice's side:
	// DH1 = DH(IK_A, SPK_B), DH2 = DH(EK_A, IK_B), DH3 = DH(EK_A, SPK_B),
	// DH4 = DH(EK_A, OPK_B).
	dh1 := dh(aliceID, bobSPK.pub)
	dh2 := dh(aliceBase, bobID.pub)
	dh3 := dh(aliceBase, bobSPK.pub)
	// KDF input: F = 32 0xFF bytes (curve25519), then the DH outputs in order.
	secret := append(bytes.Repeat([]byte{0xFF}, 32), dh1...)
	secret = append(append(secret, dh2...), dh3...)
	v.DH1, v.DH2, v.DH3 = x(dh1), x(dh2), x(dh3)
	if s.oneTime {
		bobOPK := newX25519Key(s.name, "bob one-time prekey")
		v.BobOneTimePrivate, v.BobOneTimePublic = x(bobOPK.raw), x(bobOPK.pub)
		dh4 := dh(aliceBase, bobOPK.pub)
		v.DH4 = x(dh4)
		secret = append(secret, dh4...)
	}
	if s.kem != "" {
		seed := fixed(s.name, "bob kem seed", mlkem.SeedSize)
		dk, err := mlkem.NewDecapsulationKey1024(seed)
		if err != nil {
			log.Fatal(err)
		}
		ek := dk.EncapsulationKey()
		typ := byte(0x0A)
		if s.kem == kyber {
			typ = 0x08
		}
		random := fixed(s.name, "kem random", 32)
		ct, ss := encapsulate(s.kem, ek, random)
		v.BobKEMSeed, v.BobKEMPublic = x(seed), x(append([]byte{typ}, ek.Bytes()...))
		v.KEMRandom, v.KEMCiphertext, v.KEMSharedSecret = x(random), x(ct), x(ss)
		// PQXDH: SK = KDF(DH1 || DH2 || DH3 [|| DH4] || SS).
		secret = append(secret, ss...)
	}
	v.Secret = x(secret)

	// HKDF with salt = HashLen zero bytes (nil: RFC 5869's default).
	var h func() hash.Hash
	switch s.hash {
	case "SHA-256":
		h = sha256.New
	case "SHA-512":
		h = sha512.New
	}
	n := 32
	if s.form == "signal" {
		n = 64
		if s.version == 4 {
			n = 96
		}
	}
	okm, err := hkdf.Key(h, secret, nil, s.info, n)
	if err != nil {
		log.Fatal(err)
	}
	v.OKM = x(okm)
	if s.form == "signal" {
		v.RootKey, v.ChainKey = x(okm[:32]), x(okm[32:64])
		if s.version == 4 {
			v.AuthKey = x(okm[64:96])
		}
	} else {
		v.SK = x(okm)
		v.AD = x(append(append([]byte{}, aliceID.pub...), bobID.pub...))
	}
	return v
}

// generate returns the contents of pqxdh.json.
func generate() []byte {
	f := File{
		Description: "Known answers for Signal's X3DH (session version 3) and PQXDH (version 4, with Kyber1024 and with ML-KEM-1024 prekeys) handshakes, with and without a one-time prekey, and for the generic form of the X3DH and PQXDH specifications. Keys and KEM randomness are fixed (derived from labels with SHA-256).",
		Source:      "Generated by vectors/internal/gen/pqxdh from the X3DH and PQXDH specifications (signal.org/docs/specifications) and PROTOCOL.md, using only Go standard-library primitives (crypto/ecdh, crypto/hkdf, crypto/mlkem, crypto/mlkem/mlkemtest, crypto/sha3). Regenerate with go generate in vectors/.",
		Conventions: map[string]string{
			"keys":          "Curve25519 public keys are 0x05 || u (33 bytes). Private keys are 32 bytes before RFC 7748 clamping. KEM public keys and ciphertexts are type byte || 1568 bytes: 0x08 Kyber1024 (round 3), 0x0A ML-KEM-1024 (FIPS 203).",
			"bob_kem_seed":  "64-byte d || z; the KEM key pair is ML-KEM-1024 KeyGen_internal(d, z) for both types (an ML-KEM-1024 key pair is a valid round-3 Kyber key pair).",
			"kem_random":    "ML-KEM-1024: the message m of ML-KEM.Encaps_internal. Kyber1024: the round-3 coins; m = SHA3-256(coins), and the shared secret is SHAKE256(K || SHA3-256(c))[:32] where (K, c) = ML-KEM.Encaps_internal(ek, m) and c is the ciphertext without its type byte.",
			"secret":        "0xFF * 32 || DH1 || DH2 || DH3 [|| DH4] [|| kem_shared_secret], with DH1 = DH(IK_A, SPK_B), DH2 = DH(EK_A, IK_B), DH3 = DH(EK_A, SPK_B), DH4 = DH(EK_A, OPK_B).",
			"okm":           "HKDF(hash, salt = HashLen zero bytes, ikm = secret, info). Signal form: 64 bytes (v3: root_key || chain_key) or 96 bytes (v4: root_key || chain_key || auth_key, the SPQR authentication key). Generic form: 32 bytes, sk.",
			"info":          "v3: WhisperText. v4: WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024 for both KEM types, as libsignal (rust/protocol/src/pqxdh.rs) uses one label for every KEM type. Generic vectors use the specifications' info_curve_hash_pqkem naming.",
			"ad":            "Generic form only: Encode(IK_A) || Encode(IK_B), 66 bytes.",
			"signatures":    "Not included: prekey signatures (XEdDSA, randomized) do not enter the key schedule. Tests sign the prekeys with the identity keys themselves.",
			"chain_key_use": "chain_key is Bob's first sending chain key and Alice's receiving chain key for Bob's signed prekey; the Double Ratchet steps that follow are not part of these vectors.",
		},
	}
	for _, s := range specs {
		f.Vectors = append(f.Vectors, makeVector(s))
	}
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	return append(out, '\n')
}

func main() {
	out := flag.String("o", "", "output file (default: standard output)")
	flag.Parse()
	data := generate()
	if *out == "" {
		os.Stdout.Write(data)
		return
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		log.Fatal(err)
	}
}
