package cputime

import (
	"os"
	"runtime"
	"testing"
	"time"
)

// tickSlack is how far Process may fall behind Thread in the tests: the
// two are read at slightly different moments, getrusage truncates to
// microseconds, and it counts threads running on other CPUs only up to
// their last scheduler tick (HZ is at least 100). A 20ms run once showed
// Process 7us behind Thread.
const tickSlack = 10 * time.Millisecond

func mustRead(t *testing.T, name string, clock func() (time.Duration, bool)) time.Duration {
	t.Helper()
	d, ok := clock()
	if !ok {
		t.Fatalf("%s: not available on Linux", name)
	}
	if d < 0 {
		t.Fatalf("%s = %v, negative", name, d)
	}
	return d
}

// TestThreadCountsWorkNotWaiting checks that the thread clock advances while
// the thread computes, that the process clock advances at least as much
// meanwhile, and that the thread clock stands nearly still while the thread
// sleeps (it is not a wall clock).
func TestThreadCountsWorkNotWaiting(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const work = 50 * time.Millisecond
	t0, p0 := mustRead(t, "Thread", Thread), mustRead(t, "Process", Process)
	spinUntil(t, Thread, work)
	t1, p1 := mustRead(t, "Thread", Thread), mustRead(t, "Process", Process)
	if t1-t0 < work {
		t.Fatalf("Thread advanced %v over %v of work", t1-t0, work)
	}
	if p1-p0 < t1-t0-tickSlack {
		t.Fatalf("Process advanced %v, less than Thread's %v", p1-p0, t1-t0)
	}

	const sleep = 100 * time.Millisecond
	t2 := mustRead(t, "Thread", Thread)
	time.Sleep(sleep)
	if d := mustRead(t, "Thread", Thread) - t2; d > sleep/4 {
		t.Fatalf("Thread advanced %v during a %v sleep", d, sleep)
	}
}

// TestProcessAtLeastThread checks that the process's CPU time includes the
// calling thread's.
func TestProcessAtLeastThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	spinUntil(t, Thread, time.Millisecond)
	th := mustRead(t, "Thread", Thread)
	pr := mustRead(t, "Process", Process)
	if pr < th-tickSlack {
		t.Fatalf("Process = %v < Thread = %v", pr, th)
	}
}

// TestMachine checks that the machine's busy time since boot covers this
// process's CPU time.
func TestMachine(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skipf("no /proc/stat here (%v): Machine reports ok=false", err)
	}
	spinUntil(t, Process, 30*time.Millisecond)
	pr := mustRead(t, "Process", Process)
	m := mustRead(t, "Machine", Machine)
	if m < pr {
		t.Fatalf("Machine = %v < Process = %v", m, pr)
	}
}

func TestParseProcStat(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		// user nice system idle iowait irq softirq steal guest guest_nice
		{"cpu  100 2 30 4000 5 6 7 8 9 10\ncpu0 1 2 3 4 5 6 7 8 9 10\n", 153 * 10 * time.Millisecond, true},
		{"cpu  1 0 0 99 0 0 0 0", 10 * time.Millisecond, true},
		{"", 0, false},
		{"cpu  1 2 3 4 5 6 7", 0, false},
		{"cpu0 1 2 3 4 5 6 7 8 9 10", 0, false},
		{"intr 1 2 3 4 5 6 7 8 9 10", 0, false},
		{"cpu  1 2 x 4 5 6 7 8 9 10", 0, false},
		{"cpu  1 2 -3 4 5 6 7 8 9 10", 0, false},
		{"\ncpu  1 2 3 4 5 6 7 8 9 10", 0, false},
		{"cpu  922337203685 1 0 0 0 0 0 0", 0, false}, // overflows a Duration
		{"cpu  922337203685 0 0 0 0 0 0 0", 922337203685 * 10 * time.Millisecond, true},
	} {
		got, ok := parseProcStat([]byte(c.in))
		if got != c.want || ok != c.ok {
			t.Errorf("parseProcStat(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func FuzzParseProcStat(f *testing.F) {
	f.Add([]byte("cpu  100 2 30 4000 5 6 7 8 9 10\n"))
	f.Add([]byte("cpu  9223372036854775807 1 1 1 1 1 1 1 1 1\n"))
	if b, err := os.ReadFile(procStat); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, ok := parseProcStat(b)
		if !ok && d != 0 {
			t.Fatalf("not ok but %v", d)
		}
		if d < 0 || d%(10*time.Millisecond) != 0 {
			t.Fatalf("busy time %v is not a non-negative number of ticks", d)
		}
	})
}
