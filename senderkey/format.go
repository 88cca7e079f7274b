package senderkey

import (
	"fmt"
	"io"
)

// The types below hold chain keys, message keys or seeds, or private
// signing keys. Each implements fmt.Formatter with a value receiver (a
// pointer receiver for MemoryStore, which holds a lock), so that no verb
// or flag prints a secret byte whether the value is formatted itself,
// through a pointer, or as a field, slice element or map value of
// something else. Record and DistributionMessage have theirs next to
// their definitions.

// Format prints the chain id, iteration and number of stored keys.
func (s state) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "senderkey.state(REDACTED, chain %d, iteration %d, %d skipped keys, signing key %v, can sign %t)",
		s.chainID, s.chain.iteration, len(s.keys), s.signingPub, s.signingPriv != nil)
}

// Format prints the iteration only.
func (c chainKey) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "senderkey.chainKey(REDACTED, iteration %d)", c.iteration)
}

// Format prints a placeholder.
func (messageKeys) Format(f fmt.State, _ rune) { io.WriteString(f, "senderkey.messageKeys(REDACTED)") }

// Format prints the iteration only.
func (k skippedKey) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "senderkey.skippedKey(REDACTED, iteration %d)", k.iteration)
}

// Format prints a placeholder.
func (signingCache) Format(f fmt.State, _ rune) {
	io.WriteString(f, "senderkey.signingCache(REDACTED)")
}

// Format prints the planned change's shape only.
func (a advance) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "senderkey.advance(REDACTED, stored %d, %d skipped keys, next iteration %d)",
		a.stored, len(a.skipped), a.next.iteration)
}

// String returns a placeholder: the store's records hold keys. Formatting
// takes no lock.
func (m *MemoryStore) String() string { return "senderkey.MemoryStore(REDACTED)" }

// GoString is String.
func (m *MemoryStore) GoString() string { return m.String() }

// Format prints String for every verb and flag.
func (m *MemoryStore) Format(f fmt.State, _ rune) { io.WriteString(f, m.String()) }

// String returns a placeholder. A Cipher's store holds every sender key,
// and fmt would print what it points to through the Cipher's unexported
// field under verbs such as %s or %t, without calling the store's own
// methods. Formatting takes no lock.
func (c *Cipher) String() string { return "senderkey.Cipher(REDACTED)" }

// GoString is String.
func (c *Cipher) GoString() string { return c.String() }

// Format prints String for every verb and flag.
func (c *Cipher) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }
