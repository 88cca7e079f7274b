package session

// LockedAddresses returns the number of per-address locks m holds (tests).
func LockedAddresses(m *Manager) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.locks)
}
