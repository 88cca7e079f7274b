package ratchet

import (
	"fmt"
	"io"
	"strconv"
)

// The types below hold root, chain, header or message keys, seeds or
// private ratchet keys. Each implements fmt.Formatter with a value
// receiver, so that no verb or flag prints a secret byte whether the value
// is formatted itself, through a pointer, or as a field, slice element or
// map value of something else. (String and GoString alone do not cover %d,
// %o, %b, %c, %U, %e, %f, %g or %t, and fmt prints what an unexported
// pointer field points to under verbs such as %s or %t without calling its
// methods.) The types that already redacted themselves (State, Snapshot,
// View, ChainKey, MessageKeys and others) have their methods next to their
// definitions.

func fmtUint(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// String names the ratchet public key and the chain index; the keys are
// redacted.
func (c SenderChain) String() string {
	return "ratchet.SenderChain(REDACTED, ratchet key " + c.RatchetKey.Public.String() + ", index " + fmtUint(c.ChainKey.Index) + ")"
}

// Format prints String for every verb and flag.
func (c SenderChain) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// String names the peer's ratchet key, the chain index and the number of
// stored skipped keys; the keys are redacted.
func (c ReceiverChain) String() string {
	return "ratchet.ReceiverChain(REDACTED, ratchet key " + c.RatchetKey.String() + ", index " + fmtUint(c.ChainKey.Index) +
		", " + strconv.Itoa(len(c.Skipped)) + " skipped keys)"
}

// Format prints String for every verb and flag.
func (c ReceiverChain) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// String returns a redacted placeholder: a Builder holds the state it
// builds.
func (b Builder) String() string { return "ratchet.Builder(REDACTED)" }

// Format prints String for every verb and flag.
func (b Builder) Format(f fmt.State, _ rune) { io.WriteString(f, b.String()) }

// Format prints a placeholder for every verb: the KDF scratch holds keys.
func (kdf) Format(f fmt.State, _ rune) { io.WriteString(f, "ratchet.kdf(REDACTED)") }

// Format prints the chain's public key, index and number of stored keys.
func (c recvChain) Format(f fmt.State, _ rune) {
	io.WriteString(f, "ratchet.recvChain(REDACTED, ratchet key "+c.pub.String()+", index "+fmtUint(c.n)+
		", "+strconv.Itoa(len(c.skipped))+" skipped keys)")
}

// Format prints the message index only.
func (k skippedKey) Format(f fmt.State, _ rune) {
	io.WriteString(f, "ratchet.skippedKey(REDACTED, index "+fmtUint(k.n)+")")
}

// Format prints the message index only.
func (k legacyKey) Format(f fmt.State, _ rune) {
	io.WriteString(f, "ratchet.legacyKey(REDACTED, index "+fmtUint(k.n)+")")
}
