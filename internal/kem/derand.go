package kem

import (
	"crypto/mlkem/mlkemtest"
	"crypto/sha3"
)

// EncapsulateDerand is Encapsulate with caller-chosen randomness, for
// known-answer tests and vector generators only: reusing random breaks
// security. random is RandomSize bytes and means what each scheme's own
// known-answer files mean by it:
//
//   - Kyber1024: the round-3 "coins", the 32 bytes crypto_kem_enc draws from
//     randombytes. Round 3 hashes them first: m = SHA3-256(coins).
//   - MLKEM1024: the message m of FIPS 203 ML-KEM.Encaps_internal.
//
// It returns ErrRandomLength for other lengths, and fails in FIPS 140-only
// mode (crypto/mlkem/mlkemtest refuses derandomized encapsulation there).
func EncapsulateDerand(pk *PublicKey, random []byte) (sharedSecret, ciphertext []byte, err error) {
	if len(random) != RandomSize {
		return nil, nil, ErrRandomLength
	}
	m := random
	if pk.t == Kyber1024 {
		h := sha3.Sum256(random)
		m = h[:]
	}
	k, c, err := mlkemtest.Encapsulate1024(pk.ek, m)
	if err != nil {
		return nil, nil, err
	}
	sharedSecret, ciphertext = finish(pk.t, k, c)
	return sharedSecret, ciphertext, nil
}
