package xeddsa

import (
	"fmt"
	"io"
)

// Format prints a redacted placeholder for every verb and flag. It has a
// value receiver so that a PrivateKey value, or one reached through a
// field of another value, does not print the scalar either.
func (PrivateKey) Format(f fmt.State, _ rune) { io.WriteString(f, "xeddsa.PrivateKey(REDACTED)") }
