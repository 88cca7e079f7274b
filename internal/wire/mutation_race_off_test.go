//go:build !race

package wire

// raceEnabled reports whether the race detector is on: it changes
// allocation counts.
const raceEnabled = false
