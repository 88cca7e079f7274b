package mlkem

import (
	"fmt"
	"io"
)

// String returns a placeholder: the key holds ŝ and z.
func (DecapsulationKey) String() string { return "mlkem.DecapsulationKey(REDACTED)" }

// GoString is String, so that %#v does not print the key either.
func (dk DecapsulationKey) GoString() string { return dk.String() }

// Format writes String for every verb and flag, so that no fmt verb prints
// the key, whether it is formatted as a value or as a pointer, or reached
// through a field of another value.
func (dk DecapsulationKey) Format(f fmt.State, _ rune) { io.WriteString(f, dk.String()) }

// String returns a placeholder: the state holds ŷ, e2 and m.
func (EncapsulationState) String() string { return "mlkem.EncapsulationState(REDACTED)" }

// GoString is String.
func (st EncapsulationState) GoString() string { return st.String() }

// Format writes String for every verb and flag.
func (st EncapsulationState) Format(f fmt.State, _ rune) { io.WriteString(f, st.String()) }
