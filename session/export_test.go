package session

// LockedAddresses returns the number of per-address locks m holds (tests).
func LockedAddresses(m *Manager) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.locks)
}

// RecordBaseKeys returns the Alice base key of every state in r, current
// first, then the archived ones newest first (tests).
func RecordBaseKeys(r *Record) ([][]byte, error) {
	var out [][]byte
	if r.current != nil {
		out = append(out, r.current.aliceBaseKey)
	}
	for i := range r.previous {
		s, err := r.archived(i)
		if err != nil {
			return nil, err
		}
		out = append(out, s.aliceBaseKey)
	}
	return out, nil
}

// ReadArchived parses every archived state of r, as a decrypt that tries
// them does.
func ReadArchived(r *Record) error {
	for i := range r.previous {
		if _, err := r.archived(i); err != nil {
			return err
		}
	}
	return nil
}
