package mlkem768

import (
	"fmt"
	"io"
)

// Format writes String for every verb and flag, so that no fmt verb prints
// the key: String and GoString alone do not cover %d, %o, %b, %c, %U, %e,
// %f, %g or %t, which print the fields.
func (dk DecapsulationKey) Format(f fmt.State, _ rune) { io.WriteString(f, dk.String()) }

// Format writes String for every verb and flag, so that no fmt verb prints
// the state.
func (st EncapsulationState) Format(f fmt.State, _ rune) { io.WriteString(f, st.String()) }
