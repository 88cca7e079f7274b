package main

// ticks reads the time-stamp counter (RDTSC between two LFENCEs, so the
// read is ordered with the measured code). On processors with an invariant
// TSC (constant_tsc, nonstop_tsc) it counts at a fixed rate.
func ticks() int64

// timerName names the timer ticks reads.
const timerName = "rdtsc (TSC ticks, LFENCE-ordered)"
