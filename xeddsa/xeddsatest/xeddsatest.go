// Package xeddsatest provides deterministic XEdDSA and VXEdDSA signing for
// known-answer tests, in the style of crypto/mlkem/mlkemtest.
//
// Signatures made with caller-chosen randomness are only as good as that
// randomness: reusing it with different messages under one key can leak the
// key (XEdDSA). Nothing outside tests should import this package; production
// code uses package xeddsa, which draws its randomness from crypto/rand.
package xeddsatest

import (
	"errors"

	"github.com/forwardsecret/signal/xeddsa"
	"github.com/forwardsecret/signal/xeddsa/internal/core"
)

var (
	// ErrRandomSize is returned for randomness of the wrong length.
	ErrRandomSize = errors.New("xeddsatest: random input has the wrong length")
	// ErrInvalidConvention is returned for a Convention other than
	// xeddsa.SignBit and xeddsa.Spec.
	ErrInvalidConvention = errors.New("xeddsatest: invalid convention")
)

// Sign returns the XEdDSA signature of message under the X25519 private
// scalar priv (clamped as X25519 clamps it) in convention c, using random as
// the randomness Z ([xeddsa.RandomSize] bytes). Equal inputs give equal
// signatures.
func Sign(priv, message, random []byte, c xeddsa.Convention) ([]byte, error) {
	if c != xeddsa.SignBit && c != xeddsa.Spec {
		return nil, ErrInvalidConvention
	}
	if len(random) != xeddsa.RandomSize {
		return nil, ErrRandomSize
	}
	k, err := core.NewKey(priv)
	if err != nil {
		return nil, xeddsa.ErrInvalidPrivateKey
	}
	defer k.Clear()
	var sig [xeddsa.SignatureSize]byte
	k.Sign(&sig, message, random, c == xeddsa.SignBit)
	return sig[:], nil
}

// VRFSign returns the VXEdDSA signature of message under priv and its VRF
// output, using random as the randomness Z ([xeddsa.VRFRandomSize] bytes).
// The output does not depend on random.
func VRFSign(priv, message, random []byte) (sig, vrf []byte, err error) {
	if len(random) != xeddsa.VRFRandomSize {
		return nil, nil, ErrRandomSize
	}
	k, err := core.NewKey(priv)
	if err != nil {
		return nil, nil, xeddsa.ErrInvalidPrivateKey
	}
	defer k.Clear()
	var s [xeddsa.VRFSignatureSize]byte
	var v [xeddsa.VRFOutputSize]byte
	if !k.VRFSign(&s, &v, message, random) {
		return nil, nil, xeddsa.ErrVRFHashToIdentity
	}
	return s[:], v[:], nil
}
