package curve

import (
	"fmt"
	"io"
)

// Format prints String for every verb and flag. It has a value receiver so
// that an IdentityKeyPair value, or one reached through a field of another
// value, does not print its private keys either (fmt reaches a pointer
// field under verbs such as %s or %t by printing what it points to).
func (k IdentityKeyPair) Format(f fmt.State, _ rune) {
	if k.priv == nil {
		io.WriteString(f, "curve.IdentityKeyPair(empty)")
		return
	}
	io.WriteString(f, k.String())
}

// String names the public key only; the private key is redacted.
func (kp KeyPair) String() string {
	if kp.Private == nil {
		return "curve.KeyPair(no private key, public " + kp.Public.String() + ")"
	}
	return "curve.KeyPair(REDACTED, public " + kp.Public.String() + ")"
}

// GoString is String: %#v never prints the private key either.
func (kp KeyPair) GoString() string { return kp.String() }

// Format prints String for every verb and flag.
func (kp KeyPair) Format(f fmt.State, _ rune) { io.WriteString(f, kp.String()) }
