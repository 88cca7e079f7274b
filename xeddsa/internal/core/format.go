package core

import (
	"fmt"
	"io"
)

// String returns a redacted placeholder.
func (Key) String() string { return "core.Key(REDACTED)" }

// GoString returns a redacted placeholder.
func (Key) GoString() string { return "core.Key(REDACTED)" }

// Format prints a redacted placeholder for every verb and flag: the key
// holds the private scalar in several forms.
func (Key) Format(f fmt.State, _ rune) { io.WriteString(f, "core.Key(REDACTED)") }
