//go:build linux

package cputime

import (
	"bytes"
	"math"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

// clockThreadCPUTimeID is Linux's CLOCK_THREAD_CPUTIME_ID.
const clockThreadCPUTimeID = 3

// Thread returns the CPU time (user and system) consumed so far by the
// calling OS thread, from clock_gettime(CLOCK_THREAD_CPUTIME_ID). It does not
// advance while the thread waits for a CPU. Differences are only meaningful
// while the goroutine is locked to its thread (runtime.LockOSThread). ok is
// false if the clock cannot be read, and on systems other than Linux.
func Thread() (d time.Duration, ok bool) {
	var ts syscall.Timespec
	// clock_gettime neither blocks nor yields, so the raw form is safe and
	// adds less to what it measures.
	if _, _, e := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}

// procStat is where Machine reads the machine's CPU times.
const procStat = "/proc/stat"

// userHZ is the unit of the times in /proc/stat (USER_HZ, 100 on Linux).
const userHZ = 100

// Machine returns the busy time of all CPUs together since boot, every
// process included: user, nice, system, irq, softirq and steal from the
// first line of /proc/stat, at a resolution of 1/USER_HZ (10ms). The
// difference between two readings less the process's own CPU time is what
// the rest of the machine used meanwhile. ok is false if /proc/stat cannot
// be read or parsed, and on systems other than Linux.
func Machine() (d time.Duration, ok bool) {
	b, err := os.ReadFile(procStat)
	if err != nil {
		return 0, false
	}
	return parseProcStat(b)
}

// parseProcStat returns the busy time on the "cpu" line that /proc/stat
// starts with.
func parseProcStat(b []byte) (time.Duration, bool) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return 0, false
	}
	const tick = time.Second / userHZ
	const maxTicks = math.MaxInt64 / int64(tick)
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system _ _ irq softirq steal
		v, err := strconv.ParseInt(string(f[i]), 10, 64)
		if err != nil || v < 0 || v > maxTicks-busy {
			return 0, false
		}
		busy += v
	}
	return time.Duration(busy) * tick, true
}
