package x3dh

// DecodeBundle exposes the decoder without the signature checks, for
// FuzzBundle's round-trip property.
var DecodeBundle = decodeBundle
