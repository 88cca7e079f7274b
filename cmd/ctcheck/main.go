// Command ctcheck measures whether the operations SECURITY.md calls constant
// time take the same time for different secret inputs, in the manner of
// dudect (Reparaz, Balasch and Verbauwhede, "Dude, is my code constant
// time?", DATE 2017).
//
// For each operation it times many calls on inputs of two classes (a fixed
// secret against a random one, or a mismatch early against one late), the
// class of each measurement chosen at random so that drift and load hit both
// alike, on one locked OS thread with the garbage collector held off during
// the timed loop. It then computes Welch's t-statistic on the raw timings
// and on timings cropped at several percentiles (dudect's defence against
// preemption and interrupt outliers), and reports the largest |t|. |t| above
// 4.5 is evidence of a timing difference. A control that is deliberately
// not constant time (an early-exit comparison) must show a large |t|, or
// the run proves nothing; the command fails if it does not, or if any other
// operation exceeds the threshold.
//
// Usage:
//
//	go run ./cmd/ctcheck                 # every operation, about 10 to 20 minutes
//	go run ./cmd/ctcheck -quick          # a twentieth of the samples
//	go run ./cmd/ctcheck -run 'kem|control' -scale 4
//
// Timings come from the TSC on amd64 and from the monotonic clock elsewhere.
// A t-test can show a leak but never prove its absence: a |t| under the
// threshold means no difference was detected with this many samples, on
// this machine, by this timer.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"runtime"
	"strings"
	"time"
)

func main() {
	quick := flag.Bool("quick", false, "take a twentieth of the samples (a quick check, not a measurement)")
	scale := flag.Float64("scale", 1, "multiply every operation's sample count")
	runExpr := flag.String("run", "", "measure only the operations whose names match this regular expression")
	flag.Parse()
	re, err := regexp.Compile(*runExpr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ctcheck:", err)
		os.Exit(2)
	}
	f := *scale
	if *quick {
		f /= 20
	}
	var selected []*op
	for _, o := range ops {
		if re.MatchString(o.name) {
			selected = append(selected, o)
		}
	}
	if !run(os.Stdout, selected, f) {
		os.Exit(1)
	}
}

// run measures each op with its sample count times scale, writes the report
// to w and reports whether every op passed (controls above the threshold,
// the others under it).
func run(w io.Writer, selected []*op, scale float64) bool {
	start := time.Now()
	fmt.Fprintf(w, "ctcheck: dudect-style timing test, Welch's t on two input classes, threshold |t| > %.1f\n", Threshold)
	fmt.Fprintf(w, "date: %s\n", start.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "go: %s %s/%s, GOMAXPROCS %d\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "cpu: %s\n", cpuModel())
	fmt.Fprintf(w, "load average at start: %s\n", loadAverage())
	fmt.Fprintf(w, "timer: %s\n", timerName)
	fmt.Fprintf(w, "crops: uncropped and %d percentiles (0.5 to 0.999); |t| is the largest over tests with >= %d samples per class\n\n", numCrops, minPerClass)
	fmt.Fprintf(w, "%-26s %9s %9s %8s %7s %12s %12s %11s  %s\n",
		"operation", "samples", "kept", "|t|", "crop", "mean0/call", "mean1/call", "median/call", "verdict")
	rng := rand.New(rand.NewPCG(uint64(start.UnixNano()), 0x9e3779b97f4a7c15))
	ok := true
	for _, o := range selected {
		n := max(int(float64(o.samples)*scale), 2*minPerClass+chunkSize)
		t0 := time.Now()
		r := measure(o, n, rng)
		verdict := "ok: no difference detected"
		switch {
		case o.control && r.pass():
			verdict = "ok: control detected (as it must be)"
		case o.control:
			verdict = "FAIL: control NOT detected, the harness proves nothing"
		case !r.pass():
			verdict = "FAIL: timing difference"
		}
		ok = ok && r.pass()
		fmt.Fprintf(w, "%-26s %9d %9d %8.2f %7.4g %12.1f %12.1f %11.1f  %s (%.0fs)\n",
			o.name, r.samples, r.kept, math.Abs(r.t), r.crop, r.mean[0], r.mean[1], r.median, verdict, time.Since(t0).Seconds())
	}
	fmt.Fprintf(w, "\nclasses (class 0 vs class 1):\n")
	for _, o := range selected {
		fmt.Fprintf(w, "  %-26s %s\n", o.name, o.classes)
	}
	fmt.Fprintf(w, "load average at end: %s; total %.0fs\n", loadAverage(), time.Since(start).Seconds())
	return ok
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			_, v, _ := strings.Cut(name, ":")
			return fmt.Sprintf("%s (%d logical CPUs)", strings.TrimSpace(v), runtime.NumCPU())
		}
	}
	return "unknown"
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return "unknown"
	}
	return string(bytes.Join(f[:3], []byte(" ")))
}
