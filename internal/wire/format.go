package wire

import (
	"fmt"
	"io"
)

// Every type that carries key material implements fmt.Formatter by writing
// its String summary (lengths, counts, indexes and public keys, never a
// secret byte) for every verb and flag. String and GoString alone are not
// enough: %d, %o, %b, %c, %U, %e, %f, %g and %t ignore them and print the
// fields.

// Format writes String for every verb.
func (s SessionStructure) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// Format writes String for every verb.
func (c Chain) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// Format writes String for every verb.
func (k ChainKey) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// Format writes String for every verb.
func (k MessageKey) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// Format writes String for every verb.
func (r Record) Format(f fmt.State, _ rune) { io.WriteString(f, r.String()) }

// Format writes String for every verb.
func (r SenderKeyRecord) Format(f fmt.State, _ rune) { io.WriteString(f, r.String()) }

// Format writes String for every verb.
func (s SenderKeyState) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// Format writes String for every verb.
func (k SenderChainKey) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// Format writes String for every verb.
func (k SenderMessageKey) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// Format writes String for every verb.
func (k SenderSigningKey) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// Format writes String for every verb.
func (m SenderKeyDistributionMessage) Format(f fmt.State, _ rune) { io.WriteString(f, m.String()) }

// String returns a summary without the chain key.
func (m ReceivedSenderKeyDistributionMessage) String() string {
	return fmt.Sprintf("wire.ReceivedSenderKeyDistributionMessage{CurrentVersion: %d, %s}",
		m.CurrentVersion, m.SenderKeyDistributionMessage.String())
}

// GoString is String, so that %#v does not print the chain key either.
func (m ReceivedSenderKeyDistributionMessage) GoString() string { return m.String() }

// Format writes String for every verb.
func (m ReceivedSenderKeyDistributionMessage) Format(f fmt.State, _ rune) {
	io.WriteString(f, m.String())
}
