//go:build !race

package xeddsa_test

const raceEnabled = false
