package kem

import (
	"fmt"
	"io"
)

// Format writes String for every verb and flag, so that no fmt verb prints
// the key, whether it is formatted as a value or as a pointer, or reached
// through a field of another value.
func (sk PrivateKey) Format(f fmt.State, _ rune) { io.WriteString(f, sk.String()) }

// String names the key type, with the private key redacted.
func (kp KeyPair) String() string {
	if kp.Private == nil {
		return "kem.KeyPair(no private key)"
	}
	return "kem.KeyPair(" + kp.Private.t.String() + ", REDACTED)"
}

// GoString is String.
func (kp KeyPair) GoString() string { return kp.String() }

// Format writes String for every verb and flag.
func (kp KeyPair) Format(f fmt.State, _ rune) { io.WriteString(f, kp.String()) }
