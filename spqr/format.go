package spqr

import (
	"fmt"
	"io"
)

// The types below hold the SPQR auth key, chain and root keys, the Braid's
// decapsulation key, MAC keys or epoch secrets (State holds all of them in
// encoded form). Each implements fmt.Formatter with a value receiver, so
// that no verb or flag prints a secret byte whether the value is formatted
// itself, through a pointer, or as a field, slice element or map value of
// something else. (String and GoString alone do not cover %d, %o, %b, %c,
// %U, %e, %f, %g or %t, and fmt prints what an unexported pointer field
// points to under verbs such as %s or %t without calling its methods.)

// Format prints String for every verb and flag.
func (s State) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// String describes the parameters with the auth key redacted.
func (p Params) String() string {
	return fmt.Sprintf("spqr.Params{Direction: %d, Version: %d, MinVersion: %d, AuthKey: REDACTED, Chain: {MaxJump: %d, MaxOutOfOrderKeys: %d}}",
		p.Direction, p.Version, p.MinVersion, p.Chain.MaxJump, p.Chain.MaxOutOfOrderKeys)
}

// GoString is String.
func (p Params) GoString() string { return p.String() }

// Format prints String for every verb and flag.
func (p Params) Format(f fmt.State, _ rune) { io.WriteString(f, p.String()) }

// Format prints which parts the decoded state has; no key.
func (st state) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "spqr.state(REDACTED, negotiating %t, chain %t, braid %t)", st.vn != nil, st.chain != nil, st.braid != nil)
}

// Format prints the negotiation's direction and minimum version; no key.
func (n negotiation) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "spqr.negotiation(REDACTED, direction %d, min version %d)", n.dir, n.minVersion)
}

// Format prints the Braid's state kind and epoch; no key.
func (b braid) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "spqr.braid(REDACTED, %s, epoch %d)", b.kind.String(), b.epoch)
}

// Format prints the epoch only.
func (e epochSecret) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "spqr.epochSecret(REDACTED, epoch %d)", e.epoch)
}

// Format prints a placeholder: both fields are keys.
func (authenticator) Format(f fmt.State, _ rune) { io.WriteString(f, "spqr.authenticator(REDACTED)") }

// Format prints the chain's epochs; no key.
func (c chain) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "spqr.chain(REDACTED, direction %d, current epoch %d, send epoch %d, %d epochs)",
		c.dir, c.currentEpoch, c.sendEpoch, len(c.links))
}

// Format prints the counters only.
func (e chainEpoch) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "spqr.chainEpoch(REDACTED, send counter %d, receive counter %d)", e.send.ctr, e.recv.ctr)
}

// Format prints the counter only.
func (d chainDir) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "spqr.chainDir(REDACTED, counter %d)", d.ctr)
}

// Format prints the field number, wire type and length: a field being
// parsed may be a key.
func (p pfield) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "spqr.pfield{num: %d, type: %d, %d bytes}", p.num, p.typ, len(p.b))
}
