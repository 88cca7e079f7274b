//go:build !race

package spqr

// raceOn: the race detector slows the simulations about tenfold, so they run
// shorter under it.
const raceOn = false
