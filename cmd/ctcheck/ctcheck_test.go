package main

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestControlDetected runs the harness briefly on the deliberately leaky
// control: an early-exit comparison of 1 KiB buffers that differ at the
// first or at the last byte, a difference of about a thousand cycles per
// call (|t| is in the hundreds with these samples even on a loaded
// machine). If the harness could not see that, its "no difference
// detected" would mean nothing. The bar is far below what it measures and
// far above the 4.5 threshold, so that the test cannot flake either way.
func TestControlDetected(t *testing.T) {
	var control *op
	for _, o := range ops {
		if o.control && o.name == "control-early-exit" {
			control = o
		}
	}
	if control == nil {
		t.Fatal("no control op")
	}
	r := measure(control, 20_000, rand.New(rand.NewPCG(1, 2)))
	if math.Abs(r.t) < 30 {
		t.Errorf("control |t| = %.2f, want > 30 (means %.0f vs %.0f ticks)", math.Abs(r.t), r.mean[0], r.mean[1])
	}
	if r.mean[0] >= r.mean[1] {
		t.Errorf("control: an early mismatch (%.0f ticks) not faster than a late one (%.0f)", r.mean[0], r.mean[1])
	}
	if !r.pass() || r.samples != 20_000 {
		t.Errorf("control result %+v: pass %v", r, r.pass())
	}
}

// TestNoDifferenceForSameCode checks the other side: two classes that run
// exactly the same code on the same data must not be reported as leaking.
// The bar is 10 rather than 4.5: over 11 tests of a few thousand samples
// on a shared machine, 4.5 is exceeded by chance now and then.
func TestNoDifferenceForSameCode(t *testing.T) {
	same := &op{
		name: "same",
		setup: func(n int) (func(i, class int), func(i int)) {
			buf := bytes.Repeat([]byte{7}, 256)
			prepare := func(i, class int) {}
			run := func(i int) { sink.b = naiveEqual(buf, buf) }
			return prepare, run
		},
	}
	r := measure(same, 20_000, rand.New(rand.NewPCG(3, 4)))
	if math.Abs(r.t) > 10 {
		t.Errorf("identical classes: |t| = %.2f", math.Abs(r.t))
	}
}

func TestWelch(t *testing.T) {
	var w welch
	for _, x := range []float64{1, 2, 3, 4} {
		w.add(0, x)
	}
	for _, x := range []float64{2, 4, 6, 8} {
		w.add(1, x)
	}
	// Means 2.5 and 5, variances 5/3 and 20/3: t = -2.5/sqrt(25/12).
	want := -2.5 / math.Sqrt(25.0/12)
	if got := w.t(); math.Abs(got-want) > 1e-12 {
		t.Errorf("t = %v, want %v", got, want)
	}
	var c welch
	c.add(0, 1)
	c.add(0, 1)
	c.add(1, 2)
	c.add(1, 2)
	if !math.IsInf(c.t(), 1) {
		t.Errorf("constant but different classes: t = %v, want +Inf", c.t())
	}
}

// TestOpsSetUp builds every operation's inputs: each setup checks that its
// two classes do what their description says (the tampered tag or padding
// is refused, the flipped KEM ciphertext is implicitly rejected, the valid
// one decapsulates to the encapsulated key) and panics otherwise.
func TestOpsSetUp(t *testing.T) {
	names := map[string]bool{}
	for _, o := range ops {
		if names[o.name] {
			t.Errorf("duplicate op %s", o.name)
		}
		names[o.name] = true
		prepare, run := o.setup(4)
		for i := range 4 {
			prepare(i, i&1)
			run(i)
		}
	}
}

func TestReport(t *testing.T) {
	var control *op
	for _, o := range ops {
		if o.control && o.name == "control-early-exit" {
			control = o
		}
	}
	var out strings.Builder
	if !run(&out, []*op{control}, 0) {
		t.Errorf("control failed:\n%s", out.String())
	}
	for _, want := range []string{"control-early-exit", "control detected", "threshold |t| > 4.5", "go: go1."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
