package he

import (
	"fmt"
	"io"
	"strconv"
)

// The types below hold root, chain, header or message keys or private
// ratchet keys. Each implements fmt.Formatter with a value receiver, so
// that no verb or flag prints a secret byte whether the value is formatted
// itself, through a pointer, or as a field, slice element or map value of
// something else.

// String returns a redacted summary.
func (s State) String() string {
	return fmt.Sprintf("he.State(REDACTED, %d sent on this chain, %d stored chains)", s.ns, len(s.skipped))
}

// Format prints String for every verb, so no fmt verb reveals a key.
func (s State) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// Format prints the number of stored keys only.
func (c heChain) Format(f fmt.State, _ rune) {
	io.WriteString(f, "he.heChain(REDACTED, "+strconv.Itoa(len(c.keys))+" skipped keys)")
}

// Format prints the message index only.
func (k skippedKey) Format(f fmt.State, _ rune) {
	io.WriteString(f, "he.skippedKey(REDACTED, index "+strconv.FormatUint(uint64(k.n), 10)+")")
}

// Format prints a placeholder for every verb: the KDF scratch holds keys.
func (kdf) Format(f fmt.State, _ rune) { io.WriteString(f, "he.kdf(REDACTED)") }
