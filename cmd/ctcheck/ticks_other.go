//go:build !amd64

package main

import "time"

var epoch = time.Now()

// ticks returns monotonic nanoseconds since start-up; on these architectures
// the harness has no cycle counter of its own.
func ticks() int64 { return int64(time.Since(epoch)) }

// timerName names the timer ticks reads.
const timerName = "monotonic clock (ns)"
