package memstore

// Locks returns the number of address locks that the store keeps: those
// held or waited for.
func (s *Store) Locks() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.locks)
}

// Claims returns the number of prekeys (and last-resort KEM prekey uses)
// that open transactions have claimed.
func (s *Store) Claims() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.claims)
}
