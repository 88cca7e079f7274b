// Command plot draws the Growth benchmarks of bench/state_growth_test.go
// (issue 20) as an SVG: the CPU time of one decrypt and of one encrypt at a
// device with a serialized store, against the number of skipped message
// keys (left panel) and of archived session states (right panel) in its
// session record, one line per implementation and operation, on a
// logarithmic time axis. Each point is the median of the runs in the input.
//
// Usage:
//
//	go run ./cmd/plot -in results/growth.txt -out cost-vs-state.svg [-table]
//
// With -table it also prints the medians as Markdown tables (CPU time and
// record size) on standard output. It uses the standard library only; the
// SVG is written by hand.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Metric is the unit plotted: process CPU time per operation.
const Metric = "cpu-ns/op"

// SizeMetric is the record size the benchmarks report.
const SizeMetric = "record-B"

// nameRE matches Growth/<axis>=<k>/op=<op>/impl=<impl>/store=<store>[-P].
var nameRE = regexp.MustCompile(`^BenchmarkGrowth/(skipped|archived)=(\d+)/op=(decrypt|encrypt)/impl=([^/]+)/store=[a-z]+(-\d+)?$`)

// point names one benchmark of the input.
type point struct {
	axis, op, impl string
	k              int
}

// data holds the measurements of every point, per unit, one per run.
type data map[point]map[string][]float64

// parse reads benchmark output and returns the Growth rows in it.
func parse(r io.Reader) (data, error) {
	d := data{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		m := nameRE.FindStringSubmatch(f[0])
		if m == nil {
			continue
		}
		k, err := strconv.Atoi(m[2])
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f[0], err)
		}
		p := point{axis: m[1], k: k, op: m[3], impl: m[4]}
		if d[p] == nil {
			d[p] = map[string][]float64{}
		}
		// f[1] is the iteration count; then value, unit pairs.
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", sc.Text(), err)
			}
			d[p][f[i+1]] = append(d[p][f[i+1]], v)
		}
	}
	return d, sc.Err()
}

// median returns the median of v, or NaN if v is empty.
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// series is one line of a panel.
type series struct {
	impl, op string
	x, y     []float64
}

// panel is one axis of state: its title and its lines.
type panel struct {
	axis, title string
	lines       []series
}

// implOrder and implColor fix the order and colours of the
// implementations; others follow in name order, in grey.
var (
	implOrder = []string{"ours-v3", "ours-v4", "gomau-v3"}
	implColor = map[string]string{"ours-v3": "#1f77b4", "ours-v4": "#2ca02c", "gomau-v3": "#d62728"}
	implLabel = map[string]string{"ours-v3": "ours v3", "ours-v4": "ours v4 (SPQR)", "gomau-v3": "go.mau.fi/libsignal v3"}
)

// panels groups the medians of unit into the two panels.
func panels(d data, unit string) []panel {
	out := []panel{
		{axis: "skipped", title: "(a) skipped message keys stored"},
		{axis: "archived", title: "(b) archived session states stored"},
	}
	impls := map[string]bool{}
	for p := range d {
		impls[p.impl] = true
	}
	var order []string
	for _, im := range implOrder {
		if impls[im] {
			order = append(order, im)
			delete(impls, im)
		}
	}
	var rest []string
	for im := range impls {
		rest = append(rest, im)
	}
	slices.Sort(rest)
	order = append(order, rest...)
	for i := range out {
		for _, op := range []string{"decrypt", "encrypt"} {
			for _, im := range order {
				s := series{impl: im, op: op}
				var ks []int
				for p := range d {
					if p.axis == out[i].axis && p.op == op && p.impl == im {
						ks = append(ks, p.k)
					}
				}
				slices.Sort(ks)
				for _, k := range ks {
					y := median(d[point{axis: out[i].axis, k: k, op: op, impl: im}][unit])
					if !math.IsNaN(y) && y > 0 {
						s.x = append(s.x, float64(k))
						s.y = append(s.y, y)
					}
				}
				if len(s.x) > 0 {
					out[i].lines = append(out[i].lines, s)
				}
			}
		}
	}
	return out
}

// Layout of the SVG, in pixels.
const (
	width       = 1000
	height      = 520
	panelW      = 400
	panelH      = 320
	panelTop    = 70
	panelLeft0  = 80
	panelGap    = 100
	legendTop   = panelTop + panelH + 60
	fontFamily  = "DejaVu Sans, Helvetica, Arial, sans-serif"
	strokeWidth = 2
)

// formatNS formats a duration in nanoseconds for an axis label.
func formatNS(ns float64) string {
	switch {
	case ns >= 1e6:
		return strconv.FormatFloat(ns/1e6, 'g', 3, 64) + " ms"
	case ns >= 1e3:
		return strconv.FormatFloat(ns/1e3, 'g', 3, 64) + " µs"
	}
	return strconv.FormatFloat(ns, 'g', 3, 64) + " ns"
}

// logTicks returns the 1-2-5 ticks of a logarithmic axis from lo to hi.
func logTicks(lo, hi float64) []float64 {
	var t []float64
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v >= lo*0.999 && v <= hi*1.001 {
				t = append(t, v)
			}
		}
	}
	return t
}

// niceMax returns the smallest of 1, 2, 2.5, 4, 5 x 10^k at or above v, and
// a tick step that divides it into four or five.
func niceMax(v float64) (hi, step float64) {
	if v <= 0 {
		return 1, 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 4, 5, 10} {
		if m*e >= v*(1-1e-9) {
			if m == 4 {
				return m * e, e
			}
			return m * e, m * e / 5
		}
	}
	return 10 * e, 2 * e
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// writeSVG draws the panels.
func writeSVG(w io.Writer, ps []panel, title, subtitle string) error {
	// One logarithmic time axis for both panels, so that they compare.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range ps {
		for _, s := range p.lines {
			for _, y := range s.y {
				lo, hi = math.Min(lo, y), math.Max(hi, y)
			}
		}
	}
	if math.IsInf(lo, 0) {
		return fmt.Errorf("no %s values to plot", Metric)
	}
	lo = math.Pow(10, math.Floor(math.Log10(lo)))
	hi = math.Pow(10, math.Ceil(math.Log10(hi)))
	ly := func(v float64) float64 {
		return panelTop + panelH - (math.Log10(v)-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo))*panelH
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="%s" font-size="13">`+"\n",
		width, height, width, height, fontFamily)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="26" text-anchor="middle" font-size="17" font-weight="bold">%s</text>`+"\n", width/2, esc(title))
	fmt.Fprintf(&b, `<text x="%d" y="46" text-anchor="middle" fill="#444">%s</text>`+"\n", width/2, esc(subtitle))
	for i, p := range ps {
		left := float64(panelLeft0 + i*(panelW+panelGap))
		xmax := 0.0
		for _, s := range p.lines {
			for _, x := range s.x {
				xmax = math.Max(xmax, x)
			}
		}
		xhi, xstep := niceMax(xmax)
		lx := func(v float64) float64 { return left + v/xhi*panelW }
		// Grid and axes.
		for _, t := range logTicks(lo, hi) {
			y := ly(t)
			major := math.Abs(math.Log10(t)-math.Round(math.Log10(t))) < 1e-9
			col := "#e4e4e4"
			if major {
				col = "#c8c8c8"
			}
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`+"\n", left, y, left+panelW, y, col)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" font-size="11">%s</text>`+"\n", left-6, y+4, esc(formatNS(t)))
		}
		for x := 0.0; x <= xhi*1.0001; x += xstep {
			px := lx(x)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eeeeee"/>`+"\n", px, panelTop, px, panelTop+panelH)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="11">%s</text>`+"\n", px, panelTop+panelH+16, strconv.FormatFloat(x, 'f', -1, 64))
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`+"\n", left, panelTop, panelW, panelH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", left+panelW/2, panelTop+panelH+38, esc(p.title))
		fmt.Fprintf(&b, `<text transform="translate(%.1f %d) rotate(-90)" text-anchor="middle">CPU time per message (log scale)</text>`+"\n",
			left-62, panelTop+panelH/2)
		// Lines: decrypt solid with dots, encrypt dashed with squares.
		for _, s := range p.lines {
			col := implColor[s.impl]
			if col == "" {
				col = "#777777"
			}
			dash := ""
			if s.op == "encrypt" {
				dash = ` stroke-dasharray="6 4"`
			}
			var pts []string
			for j := range s.x {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", lx(s.x[j]), ly(s.y[j])))
			}
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="%d"%s/>`+"\n", strings.Join(pts, " "), col, strokeWidth, dash)
			for j := range s.x {
				x, y := lx(s.x[j]), ly(s.y[j])
				tip := fmt.Sprintf(`<title>%s %s, %s=%g: %s</title>`, esc(s.impl), s.op, p.axis, s.x[j], esc(formatNS(s.y[j])))
				if s.op == "encrypt" {
					fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="7" height="7" fill="white" stroke="%s" stroke-width="1.5">%s</rect>`+"\n", x-3.5, y-3.5, col, tip)
				} else {
					fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s">%s</circle>`+"\n", x, y, col, tip)
				}
			}
		}
	}
	// Legend: one entry per implementation and operation.
	seen := map[[2]string]bool{}
	var entries [][2]string
	for _, p := range ps {
		for _, s := range p.lines {
			e := [2]string{s.impl, s.op}
			if !seen[e] {
				seen[e] = true
				entries = append(entries, e)
			}
		}
	}
	slices.SortStableFunc(entries, func(a, c [2]string) int { return strings.Compare(a[1], c[1]) })
	const colW, rowH = 300, 22
	for i, e := range entries {
		x := float64(panelLeft0 + (i%3)*colW)
		y := float64(legendTop + (i/3)*rowH)
		col := implColor[e[0]]
		if col == "" {
			col = "#777777"
		}
		dash := ""
		if e[1] == "encrypt" {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%d"%s/>`+"\n", x, y, x+36, y, col, strokeWidth, dash)
		if e[1] == "encrypt" {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="7" height="7" fill="white" stroke="%s" stroke-width="1.5"/>`+"\n", x+14.5, y-3.5, col)
		} else {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>`+"\n", x+18, y, col)
		}
		label := implLabel[e[0]]
		if label == "" {
			label = e[0]
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s, %s</text>`+"\n", x+44, y+4, esc(label), e[1])
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTable prints the medians of unit as a Markdown table per axis.
func writeTable(w io.Writer, d data, unit string, format func(float64) string) {
	for _, p := range panels(d, unit) {
		var ks []float64
		for _, s := range p.lines {
			for _, x := range s.x {
				if !slices.Contains(ks, x) {
					ks = append(ks, x)
				}
			}
		}
		slices.Sort(ks)
		fmt.Fprintf(w, "\n%s, %s (medians)\n\n| impl | op |", p.title, unit)
		for _, k := range ks {
			fmt.Fprintf(w, " %g |", k)
		}
		fmt.Fprint(w, "\n|---|---|")
		for range ks {
			fmt.Fprint(w, "---:|")
		}
		fmt.Fprintln(w)
		for _, s := range p.lines {
			fmt.Fprintf(w, "| %s | %s |", s.impl, s.op)
			for _, k := range ks {
				if j := slices.Index(s.x, k); j >= 0 {
					fmt.Fprintf(w, " %s |", format(s.y[j]))
				} else {
					fmt.Fprint(w, " – |")
				}
			}
			fmt.Fprintln(w)
		}
	}
}

func main() {
	in := flag.String("in", "results/growth.txt", "benchmark output with the Growth benchmarks")
	out := flag.String("out", "cost-vs-state.svg", "SVG file to write")
	table := flag.Bool("table", false, "also print the medians as Markdown tables")
	subtitle := flag.String("subtitle", "", "second title line (for example the commit and the number of runs)")
	flag.Parse()
	f, err := os.Open(*in)
	if err != nil {
		log.Fatal(err)
	}
	d, err := parse(f)
	f.Close()
	if err != nil {
		log.Fatal(err)
	}
	if len(d) == 0 {
		log.Fatalf("%s: no BenchmarkGrowth rows", *in)
	}
	sub := "in memory, serialized store (the record parsed and encoded with every message); medians of CPU time"
	if *subtitle != "" {
		sub += "; " + *subtitle
	}
	o, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := writeSVG(o, panels(d, Metric), "Cost per message against stored session state", sub); err != nil {
		log.Fatal(err)
	}
	if err := o.Close(); err != nil {
		log.Fatal(err)
	}
	if *table {
		writeTable(os.Stdout, d, Metric, func(v float64) string { return formatNS(v) })
		writeTable(os.Stdout, d, SizeMetric, func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) + " B" })
	}
}
