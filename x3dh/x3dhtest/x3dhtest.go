// Package x3dhtest provides the initiator's side of package x3dh with
// caller-chosen randomness, for known-answer tests and vector generators.
//
// The functions here are deterministic: given the same inputs they produce the
// same base key and KEM ciphertext. Reusing a base key or KEM randomness in a
// real handshake destroys its security; never use this package outside tests.
// It mirrors crypto/mlkem/mlkemtest.
package x3dhtest

import (
	"fmt"

	"github.com/forwardsecret/signal/curve"
	"github.com/forwardsecret/signal/x3dh"
	"github.com/forwardsecret/signal/x3dh/internal/derand"
)

// KEMRandomSize is the size of the KEM randomness. It means what each KEM's
// own known-answer files mean by it: for x3dh.Kyber1024 the round-3 "coins"
// (hashed with SHA3-256 into the message m), for x3dh.MLKEM1024 the message m
// of FIPS 203 ML-KEM.Encaps_internal.
const KEMRandomSize = 32

// Initiate is x3dh.Initiate with the base (ephemeral) private key fixed to
// baseKey and, for x3dh.V4, the KEM encapsulation randomness fixed to
// kemRandom (KEMRandomSize bytes; ignored by x3dh.V3). A kemRandom of the
// wrong length yields an error wrapping x3dh.ErrRandomLength.
func Initiate(v x3dh.Version, identity *curve.IdentityKeyPair, bundle *x3dh.Bundle, baseKey *curve.PrivateKey, kemRandom []byte) (*x3dh.Initiation, error) {
	f := derand.Initiate.(func(x3dh.Version, *curve.IdentityKeyPair, *x3dh.Bundle, *curve.PrivateKey, []byte) (*x3dh.Initiation, error))
	if baseKey == nil {
		return nil, errNoBaseKey
	}
	if kemRandom == nil {
		kemRandom = []byte{} // never fall back to crypto/rand
	}
	return f(v, identity, bundle, baseKey, kemRandom)
}

// GenericInitiate is g.Initiate with fixed randomness, as Initiate.
func GenericInitiate(g *x3dh.Generic, identity *curve.IdentityKeyPair, bundle *x3dh.Bundle, baseKey *curve.PrivateKey, kemRandom []byte) (*x3dh.GenericResult, *x3dh.Message, error) {
	f := derand.GenericInitiate.(func(*x3dh.Generic, *curve.IdentityKeyPair, *x3dh.Bundle, *curve.PrivateKey, []byte) (*x3dh.GenericResult, *x3dh.Message, error))
	if baseKey == nil {
		return nil, nil, errNoBaseKey
	}
	if kemRandom == nil {
		kemRandom = []byte{}
	}
	return f(g, identity, bundle, baseKey, kemRandom)
}

var errNoBaseKey = fmt.Errorf("%w: x3dhtest: nil base key", x3dh.ErrMissingKey)
