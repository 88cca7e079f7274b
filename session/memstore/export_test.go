package memstore

// Locks returns the number of address locks that the store keeps: those
// held or waited for.
func (s *Store) Locks() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.locks)
}
