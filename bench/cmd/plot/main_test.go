package main

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkGrowth/skipped=0/op=decrypt/impl=ours-v3/store=serialized         	   50000	     12000 ns/op	     10000 cpu-ns/op	       405.0 record-B	   12144 B/op	      86 allocs/op
BenchmarkGrowth/skipped=0/op=decrypt/impl=ours-v3/store=serialized         	   50000	     12000 ns/op	     30000 cpu-ns/op	       405.0 record-B	   12144 B/op	      86 allocs/op
BenchmarkGrowth/skipped=0/op=decrypt/impl=ours-v3/store=serialized         	   50000	     12000 ns/op	     20000 cpu-ns/op	       405.0 record-B	   12144 B/op	      86 allocs/op
BenchmarkGrowth/skipped=2000/op=decrypt/impl=ours-v3/store=serialized      	    5000	    150000 ns/op	    149000 cpu-ns/op	     78279 record-B	  322736 B/op	      90 allocs/op
BenchmarkGrowth/archived=40/op=encrypt/impl=gomau-v3/store=serialized-2    	    1000	    754794 ns/op	    394000 cpu-ns/op	     36812 record-B	  280504 B/op	    4411 allocs/op
BenchmarkOneWay100/impl=ours-v3/store=objects 	 100000	      8000 ns/op	      7000 cpu-ns/op
PASS
`

func TestParse(t *testing.T) {
	d, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 3 {
		t.Fatalf("%d points, want 3 (other benchmarks ignored): %v", len(d), d)
	}
	p := point{axis: "skipped", k: 0, op: "decrypt", impl: "ours-v3"}
	if got := median(d[p][Metric]); got != 20000 {
		t.Errorf("median %v, want 20000", got)
	}
	if got := median(d[point{axis: "archived", k: 40, op: "encrypt", impl: "gomau-v3"}][SizeMetric]); got != 36812 {
		t.Errorf("record size %v, want 36812", got)
	}
	if median([]float64{4, 1, 3, 2}) != 2.5 {
		t.Error("median of an even count")
	}
}

func TestSVG(t *testing.T) {
	d, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := writeSVG(&b, panels(d, Metric), "title", "sub"); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(strings.NewReader(b.String()))
	lines := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			lines++
		}
	}
	if lines != 2 { // ours-v3 decrypt (skipped), gomau-v3 encrypt (archived)
		t.Errorf("%d lines drawn, want 2", lines)
	}
	if err := writeSVG(io.Discard, panels(data{}, Metric), "t", "s"); err == nil {
		t.Error("an empty input must be an error")
	}
}

func TestNiceMax(t *testing.T) {
	for _, c := range []struct{ v, hi, step float64 }{
		{2000, 2000, 400}, {40, 40, 10}, {50, 50, 10}, {33, 40, 10}, {1000, 1000, 200}, {2100, 2500, 500},
	} {
		if hi, step := niceMax(c.v); hi != c.hi || step != c.step {
			t.Errorf("niceMax(%v) = %v, %v; want %v, %v", c.v, hi, step, c.hi, c.step)
		}
	}
}
