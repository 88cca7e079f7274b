// Package derand links package x3dh's initiator with fixed randomness to
// package x3dhtest without exporting it from x3dh. Package x3dh sets the
// variables in its init function; x3dhtest, which imports x3dh, asserts their
// types.
package derand

// Initiate is x3dh's initiate function:
// func(x3dh.Version, *curve.IdentityKeyPair, *x3dh.Bundle, *curve.PrivateKey, []byte) (*x3dh.Initiation, error).
var Initiate any

// GenericInitiate is x3dh's genericInitiate function:
// func(*x3dh.Generic, *curve.IdentityKeyPair, *x3dh.Bundle, *curve.PrivateKey, []byte) (*x3dh.GenericResult, *x3dh.Message, error).
var GenericInitiate any
