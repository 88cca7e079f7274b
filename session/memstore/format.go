package memstore

import (
	"fmt"
	"io"
)

// The types below hold the identity key pair, prekeys or encoded session
// records (which hold ratchet keys). Each implements fmt.Formatter so that
// no verb or flag prints a secret byte. Formatting takes no lock: it
// prints only what does not change after New.

// String names the registration id and the identity public key; every key
// and record is redacted.
func (s *Store) String() string {
	if s == nil {
		return "memstore.Store(nil)"
	}
	id := "none"
	if s.identity != nil {
		id = s.identity.PublicKey().String()
	}
	return fmt.Sprintf("memstore.Store{registration id: %d, identity: %s, keys and sessions: REDACTED}", s.regID, id)
}

// GoString is String.
func (s *Store) GoString() string { return s.String() }

// Format prints String for every verb and flag.
func (s *Store) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// Format prints whether the KEM prekey is a last-resort one; no key.
func (e kemEntry) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "memstore.kemEntry(REDACTED, last resort %t)", e.lastResort)
}

// Format prints a placeholder: a transaction stages encoded records. Its
// fields are guarded by Store.mu, so it reads none of them.
func (txn) Format(f fmt.State, _ rune) { io.WriteString(f, "memstore.txn(REDACTED)") }

// Format prints the number of staged changes only.
func (w writes) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "memstore.writes(REDACTED, %d sessions, %d identities, %d consumed)",
		len(w.sessions), len(w.identities), len(w.consumed))
}

// Format prints the record's length and whether it is a deletion.
func (r stagedRecord) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "memstore.stagedRecord(REDACTED, %d bytes, deleted %t)", len(r.enc), r.deleted)
}
