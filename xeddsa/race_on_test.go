//go:build race

package xeddsa_test

// raceEnabled reports whether the race detector is on; long loops shrink
// under it (it slows arithmetic about tenfold and finds nothing there).
const raceEnabled = true
