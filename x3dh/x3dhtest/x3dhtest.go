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
	"github.com/forwardsecret/signal/internal/kem"
	"github.com/forwardsecret/signal/x3dh"
	"github.com/forwardsecret/signal/x3dh/internal/core"
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
	var s *core.Suite
	switch v {
	case x3dh.V3:
		s = &core.V3
	case x3dh.V4:
		s = &core.V4
	default:
		return nil, fmt.Errorf("%w: %d", x3dh.ErrUnsupportedVersion, uint8(v))
	}
	okm, msg, err := initiate(s, identity, bundle, baseKey, kemRandom, (*x3dh.Bundle).Verify)
	if err != nil {
		return nil, err
	}
	return &x3dh.Initiation{Version: v, Keys: x3dh.SessionKeys(core.Split(okm)), Message: *msg}, nil
}

// GenericInitiate is g.Initiate with fixed randomness, as Initiate.
func GenericInitiate(g *x3dh.Generic, identity *curve.IdentityKeyPair, bundle *x3dh.Bundle, baseKey *curve.PrivateKey, kemRandom []byte) (*x3dh.GenericResult, *x3dh.Message, error) {
	s, err := core.Generic(g.Hash, g.Info, g.PQ)
	if err != nil {
		return nil, nil, err
	}
	okm, msg, err := initiate(&s, identity, bundle, baseKey, kemRandom, g.VerifyBundle)
	if err != nil {
		return nil, nil, err
	}
	r := &x3dh.GenericResult{AD: core.AssociatedData(msg.IdentityKey, bundle.IdentityKey)}
	copy(r.SK[:], okm)
	clear(okm)
	return r, msg, nil
}

// initiate is package x3dh's initiate (the same checks, in the same order,
// and the same core call) with the base key and the KEM randomness fixed.
// verify checks the bundle (Bundle.Verify, or Generic.VerifyBundle).
func initiate(s *core.Suite, identity *curve.IdentityKeyPair, b *x3dh.Bundle, baseKey *curve.PrivateKey, kemRandom []byte, verify func(*x3dh.Bundle) error) ([]byte, *x3dh.Message, error) {
	if baseKey == nil {
		return nil, nil, errNoBaseKey
	}
	if kemRandom == nil {
		kemRandom = []byte{} // never fall back to crypto/rand
	}
	if identity == nil {
		return nil, nil, fmt.Errorf("%w: nil identity", x3dh.ErrMissingKey)
	}
	if b == nil {
		return nil, nil, fmt.Errorf("%w: nil bundle", x3dh.ErrInvalidBundle)
	}
	if err := verify(b); err != nil {
		return nil, nil, err
	}
	p := core.Peer{
		IdentityKey:    b.IdentityKey,
		SignedPreKeyID: b.SignedPreKey.ID,
		SignedPreKey:   b.SignedPreKey.PublicKey,
	}
	if o := b.OneTimePreKey; o != nil {
		p.OneTimePreKey = &core.OneTimePreKey{ID: o.ID, PublicKey: o.PublicKey}
	}
	if k := b.KEMPreKey; k != nil {
		// x3dh keeps the parsed key unexported; parse its encoding again,
		// as crypto/mlkem/mlkemtest does.
		pk, err := kem.ParsePublicKey(k.PublicKey.Bytes())
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", x3dh.ErrInvalidKEMKey, err) // unreachable: Verify parsed it
		}
		p.KEMPreKey, p.KEMPreKeyID = pk, k.ID
	}
	okm, msg, err := s.Initiate(identity, &p, baseKey, kemRandom)
	return okm, (*x3dh.Message)(msg), err
}

var errNoBaseKey = fmt.Errorf("%w: x3dhtest: nil base key", x3dh.ErrMissingKey)
