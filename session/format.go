package session

import (
	"fmt"
	"io"
	"strconv"
)

// The types below hold session state: ratchet and SPQR keys, directly or
// in archived, encoded states. Each implements fmt.Formatter with a value
// receiver, so that no verb or flag prints a secret byte whether the value
// is formatted itself, through a pointer, or as a field, slice element or
// map value of something else. (fmt prints what an unexported pointer
// field points to under verbs such as %s or %t without calling its
// methods, so a struct that merely points to a redacting type is not
// safe by itself.)

// String describes the record by the version of its current state and the
// number of archived states, for example
// "session.Record{current: v4, archived: 3}". It prints no key.
func (r Record) String() string {
	cur := "none"
	if r.current != nil {
		cur = "v" + strconv.Itoa(int(r.current.version))
	}
	return "session.Record{current: " + cur + ", archived: " + strconv.Itoa(len(r.previous)) + "}"
}

// GoString is String.
func (r Record) GoString() string { return r.String() }

// Format prints String for every verb and flag.
func (r Record) Format(f fmt.State, _ rune) { io.WriteString(f, r.String()) }

// Format prints the version, the identity keys and whether the handshake is
// still pending; no key.
func (s state) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "session.state(REDACTED, v%d, local %v, remote %v, pending %t)",
		s.version, s.localIdentity, s.remoteIdentity, s.pending != nil)
}

// Format prints the prekey ids and the length of the KEM ciphertext.
func (p pendingPreKey) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "session.pendingPreKey{preKey: %t %d, signedPreKey: %d, kyber: %t %d, kyberCiphertext: %d bytes, created: %d}",
		p.hasPreKeyID, p.preKeyID, p.signedPreKeyID, p.hasKyber, p.kyberID, len(p.kyberCT), p.created)
}

// Format prints the number of keys and the encoded length only.
func (w skippedWriter) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "session.skippedWriter(REDACTED, %d keys, %d bytes)", w.v.Len(), w.n)
}

// Format prints a placeholder: a decrypt's result holds the new record and
// the plaintext.
func (r received) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "session.received(REDACTED, %d bytes of plaintext)", len(r.pt))
}

// String returns a placeholder. A Manager's stores hold every key and
// session, and fmt would print what they point to through the Manager's
// unexported fields under verbs such as %s or %t, without calling the
// stores' own methods. Formatting takes no lock.
func (m *Manager) String() string { return "session.Manager(REDACTED)" }

// GoString is String.
func (m *Manager) GoString() string { return m.String() }

// Format prints String for every verb and flag.
func (m *Manager) Format(f fmt.State, _ rune) { io.WriteString(f, m.String()) }
