package main

import (
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
)

// Threshold is dudect's: a Welch t-statistic above 4.5 in absolute value
// (for large samples, a false positive probability far below 10^-5 per test)
// is taken as evidence that the two classes' timings differ.
const Threshold = 4.5

// numCrops is the number of cropped tests beside the uncropped one. As in
// dudect, test k keeps the measurements below the percentile
// 1 - 0.5^(10(k+1)/numCrops) of a warm-up chunk: from the median up to the
// 99.9th percentile, so that preemptions and interrupts (which hit both
// classes but add huge, rare values) cannot hide a small difference.
const numCrops = 10

// minPerClass is the number of measurements of each class a test needs before
// its t counts (dudect: "enough measurements").
const minPerClass = 1000

// chunkSize is the number of samples prepared, then measured, at a time.
const chunkSize = 4096

// welch accumulates the two classes' means and variances online (Welford).
type welch struct {
	n, mean, m2 [2]float64
}

func (w *welch) add(class int, x float64) {
	w.n[class]++
	d := x - w.mean[class]
	w.mean[class] += d / w.n[class]
	w.m2[class] += d * (x - w.mean[class])
}

// t returns Welch's t-statistic of class 0 against class 1.
func (w *welch) t() float64 {
	if w.n[0] < 2 || w.n[1] < 2 {
		return 0
	}
	v0 := w.m2[0] / (w.n[0] - 1)
	v1 := w.m2[1] / (w.n[1] - 1)
	se := math.Sqrt(v0/w.n[0] + v1/w.n[1])
	if se == 0 {
		if w.mean[0] == w.mean[1] {
			return 0
		}
		return math.Inf(1)
	}
	return (w.mean[0] - w.mean[1]) / se
}

// An op is one operation under test. setup allocates storage for n input
// slots and returns prepare, which fills slot i with an input of class 0 or
// 1 (outside the timed region), and run, the timed call on slot i. Every
// slot gets its own copy of its input, for either class, so that the two
// classes have the same memory layout and cache behavior.
type op struct {
	name    string
	classes string // what class 0 and class 1 are
	samples int    // default number of measurements
	batch   int    // calls of run per measurement
	control bool   // deliberately not constant time: must show |t| > Threshold
	setup   func(n int) (prepare func(i, class int), run func(i int))
}

// result is one op's outcome.
type result struct {
	op      *op
	samples int     // measurements taken (after the warm-up chunk)
	kept    int     // measurements in the test with the largest |t|
	t       float64 // that test's t (class 0 minus class 1)
	crop    float64 // that test's percentile; 1 for the uncropped test
	mean    [2]float64
	median  float64 // median ticks per call in the warm-up chunk
}

func (r result) pass() bool {
	if r.op.control {
		return math.Abs(r.t) > Threshold
	}
	return math.Abs(r.t) <= Threshold
}

// measure runs o for samples measurements (plus one warm-up chunk), classes
// chosen at random for each measurement, on a locked OS thread with the
// garbage collector run between chunks only.
func measure(o *op, samples int, rng *rand.Rand) result {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))

	chunk := min(chunkSize, samples)
	prepare, run := o.setup(chunk)
	batch := max(o.batch, 1)
	class := make([]int, chunk)
	times := make([]int64, chunk)

	do := func() {
		for i := range chunk {
			class[i] = int(rng.Uint32() & 1)
			prepare(i, class[i])
		}
		runtime.GC()
		for i := range chunk {
			t0 := ticks()
			for range batch {
				run(i)
			}
			times[i] = ticks() - t0
		}
	}

	// Warm-up chunk: sets the crop thresholds, then is discarded.
	do()
	sorted := slices.Clone(times)
	slices.Sort(sorted)
	var thresholds [numCrops]int64
	crops := make([]float64, numCrops)
	for k := range numCrops {
		p := 1 - math.Pow(0.5, 10*float64(k+1)/numCrops)
		crops[k] = p
		thresholds[k] = sorted[int(p*float64(len(sorted)-1))]
	}
	r := result{op: o, median: float64(sorted[len(sorted)/2]) / float64(batch)}

	var tests [numCrops + 1]welch // [numCrops] is uncropped
	for r.samples < samples {
		do()
		n := min(chunk, samples-r.samples)
		for i := range n {
			x := float64(times[i])
			tests[numCrops].add(class[i], x)
			for k := range numCrops {
				if times[i] < thresholds[k] {
					tests[k].add(class[i], x)
				}
			}
		}
		r.samples += n
	}

	best := -1
	for k := range tests {
		w := &tests[k]
		if w.n[0] < minPerClass || w.n[1] < minPerClass {
			continue
		}
		if best < 0 || math.Abs(w.t()) > math.Abs(tests[best].t()) {
			best = k
		}
	}
	if best < 0 {
		best = numCrops
	}
	w := &tests[best]
	r.t = w.t()
	r.kept = int(w.n[0] + w.n[1])
	r.crop = 1
	if best < numCrops {
		r.crop = crops[best]
	}
	r.mean = [2]float64{w.mean[0] / float64(batch), w.mean[1] / float64(batch)}
	return r
}
