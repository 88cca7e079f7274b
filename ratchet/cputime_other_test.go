//go:build !unix

package ratchet

func processCPU() int64 { return 0 }
