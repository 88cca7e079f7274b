package main

import (
	"crypto/mlkem"
	"crypto/mlkem/mlkemtest"
	"crypto/sha3"
	"log"
)

// KEM: Kyber1024 and ML-KEM-1024 encapsulation with a given message.

// encapsulate runs the KEM with the message m of ML-KEM.Encaps_internal
// for both types. (Round-3 Kyber computes m = SHA3-256(coins) from its
// random coins; the transcripts give m itself, which is what an
// implementation built on crypto/mlkem draws.)
func encapsulate(kem string, ek *mlkem.EncapsulationKey1024, m []byte) (ct, ss []byte) {
	k, c, err := mlkemtest.Encapsulate1024(ek, m)
	if err != nil {
		log.Fatal(err)
	}
	typ := byte(0x0A)
	if kem == "Kyber1024" {
		typ = 0x08
		hc := sha3.Sum256(c)
		s := sha3.NewSHAKE256()
		s.Write(k)
		s.Write(hc[:])
		k = make([]byte, 32)
		s.Read(k)
	}
	return append([]byte{typ}, c...), k
}
