package vectors

import "fmt"

//go:generate go run ./internal/gen/pqxdh -o data/pqxdh.json

// PQXDHFile is data/pqxdh.json: known answers for Signal's X3DH (v3) and
// PQXDH (v4, Kyber1024 and ML-KEM-1024) handshakes and the specifications'
// generic form, made by this project's generator (internal/gen/pqxdh) from
// the specifications with standard-library primitives. Conventions holds the
// file's own description of every field.
type PQXDHFile struct {
	Description string            `json:"description"`
	Source      string            `json:"source"`
	Conventions map[string]string `json:"conventions"`
	Vectors     []PQXDHVector     `json:"vectors"`
}

// PQXDHVector is one handshake with fixed keys and KEM randomness. Curve25519
// public keys are 33-byte wire forms; private keys are 32 bytes before
// clamping; KEM keys and ciphertexts carry their type byte.
type PQXDHVector struct {
	Name string `json:"name"`
	// Form is "signal" (Version 3 or 4: RootKey, ChainKey, AuthKey) or
	// "generic" (SK and AD).
	Form    string `json:"form"`
	Version int    `json:"version"`
	// KEM is "Kyber1024", "ML-KEM-1024", or empty for X3DH.
	KEM  string `json:"kem"`
	Hash string `json:"hash"` // "SHA-256" or "SHA-512"
	Info string `json:"info"`

	AliceIdentityPrivate   Hex `json:"alice_identity_private"`
	AliceIdentityPublic    Hex `json:"alice_identity_public"`
	AliceBasePrivate       Hex `json:"alice_base_private"`
	AliceBasePublic        Hex `json:"alice_base_public"`
	BobIdentityPrivate     Hex `json:"bob_identity_private"`
	BobIdentityPublic      Hex `json:"bob_identity_public"`
	BobSignedPreKeyPrivate Hex `json:"bob_signed_prekey_private"`
	BobSignedPreKeyPublic  Hex `json:"bob_signed_prekey_public"`
	// The one-time prekey is absent (nil) in vectors without one.
	BobOneTimePreKeyPrivate Hex `json:"bob_one_time_prekey_private"`
	BobOneTimePreKeyPublic  Hex `json:"bob_one_time_prekey_public"`
	// BobKEMSeed is the 64-byte ML-KEM seed d || z of the KEM prekey.
	BobKEMSeed   Hex `json:"bob_kem_seed"`
	BobKEMPublic Hex `json:"bob_kem_public"`
	// KEMRandom is the encapsulation randomness (see Conventions).
	KEMRandom       Hex `json:"kem_random"`
	KEMCiphertext   Hex `json:"kem_ciphertext"`
	KEMSharedSecret Hex `json:"kem_shared_secret"`

	DH1      Hex `json:"dh1"`
	DH2      Hex `json:"dh2"`
	DH3      Hex `json:"dh3"`
	DH4      Hex `json:"dh4"` // absent without a one-time prekey
	Secret   Hex `json:"secret"`
	OKM      Hex `json:"okm"`
	RootKey  Hex `json:"root_key"`
	ChainKey Hex `json:"chain_key"`
	AuthKey  Hex `json:"auth_key"`
	SK       Hex `json:"sk"`
	AD       Hex `json:"ad"`
}

// PQXDH loads data/pqxdh.json.
func PQXDH() (*PQXDHFile, error) {
	f := new(PQXDHFile)
	if err := load("pqxdh.json", f); err != nil {
		return nil, err
	}
	if len(f.Vectors) == 0 {
		return nil, fmt.Errorf("vectors: pqxdh.json has no vectors")
	}
	for _, v := range f.Vectors {
		if v.Name == "" || len(v.Secret) == 0 || len(v.OKM) == 0 {
			return nil, fmt.Errorf("vectors: pqxdh.json: vector %q is incomplete", v.Name)
		}
	}
	return f, nil
}
