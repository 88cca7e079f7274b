package sqlstore

import (
	"fmt"
	"io"
)

// String names the dialect only: a Store caches the identity key pair.
// Formatting takes no lock.
func (s *Store) String() string {
	if s == nil {
		return "sqlstore.Store(nil)"
	}
	return "sqlstore.Store{dialect: " + s.dialect.String() + "}"
}

// GoString is String.
func (s *Store) GoString() string { return s.String() }

// Format prints String for every verb and flag.
func (s *Store) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }
