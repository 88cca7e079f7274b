// Command results turns the raw benchmark output of bench/run.sh into
// bench/RESULTS.md: medians per implementation side by side, the ratios
// that issue 8 sets targets for, and the benchstat tables.
//
// Usage: go run ./cmd/results -raw results/raw.txt -meta results/meta.txt -benchstat results/benchstat.txt > RESULTS.md
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

var nameRE = regexp.MustCompile(`^Benchmark(.+)/impl=([^/]+)/store=([a-z]+)(-\d+)?$`)

// key names one benchmark row: scenario and store mode (with the GOMAXPROCS
// suffix, if any).
type key struct{ scenario, store string }

type results struct {
	// vals[key][impl][unit] are the measurements, one per run.
	vals  map[key]map[string]map[string][]float64
	order []key
}

func parse(r io.Reader) (*results, error) {
	res := &results{vals: map[key]map[string]map[string][]float64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		m := nameRE.FindStringSubmatch(f[0])
		if m == nil {
			continue
		}
		k := key{scenario: m[1], store: m[3] + m[4]}
		impl := m[2]
		if res.vals[k] == nil {
			res.vals[k] = map[string]map[string][]float64{}
			res.order = append(res.order, k)
		}
		if res.vals[k][impl] == nil {
			res.vals[k][impl] = map[string][]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", sc.Text(), err)
			}
			res.vals[k][impl][f[i+1]] = append(res.vals[k][impl][f[i+1]], v)
		}
	}
	return res, sc.Err()
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// med returns the median of unit for impl in row k, and whether there is one.
func (r *results) med(k key, impl, unit string) (float64, bool) {
	xs := r.vals[k][impl][unit]
	if len(xs) == 0 {
		return 0, false
	}
	return median(xs), true
}

func (r *results) runs(k key, impl, unit string) int { return len(r.vals[k][impl][unit]) }

func fmtDur(ns float64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.2f s", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

var implOrder = []string{"ours-v3", "ours-v4", "gomau-v3", "libsignal-node-v4", "floor-v3", "floor-v4"}

func (r *results) impls() []string {
	seen := map[string]bool{}
	for _, m := range r.vals {
		for impl := range m {
			seen[impl] = true
		}
	}
	var out []string
	for _, i := range implOrder {
		if seen[i] {
			out = append(out, i)
			delete(seen, i)
		}
	}
	for i := range seen {
		out = append(out, i)
	}
	return out
}

// table prints one row per benchmark row and one column per implementation.
func (r *results) table(w io.Writer, unit string, format func(float64) string) {
	r.tableOf(w, r.order, r.impls(), unit, format)
}

// rowsWith returns the benchmark rows whose scenario starts with one of
// prefixes, in order.
func (r *results) rowsWith(prefixes ...string) []key {
	var out []key
	for _, k := range r.order {
		for _, p := range prefixes {
			if strings.HasPrefix(k.scenario, p) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

// tableOf prints the rows given, one column per implementation given.
func (r *results) tableOf(w io.Writer, rows []key, impls []string, unit string, format func(float64) string) {
	fmt.Fprintf(w, "| scenario | store | %s |\n|---|---|%s\n", strings.Join(impls, " | "), strings.Repeat("---:|", len(impls)))
	for _, k := range rows {
		cells := make([]string, len(impls))
		any := false
		for i, impl := range impls {
			if v, ok := r.med(k, impl, unit); ok {
				cells[i] = format(v)
				any = true
			} else {
				cells[i] = "–"
			}
		}
		if any {
			fmt.Fprintf(w, "| %s | %s | %s |\n", k.scenario, k.store, strings.Join(cells, " | "))
		}
	}
	fmt.Fprintln(w)
}

// target is one acceptance target of issue 8: num/den of unit (a "times
// faster" when num is the other implementation) compared with bound.
type target struct {
	what      string
	k         key
	num, den  string // ratio = median(num) / median(den)
	unit      string
	atLeast   bool // ratio >= bound passes; else ratio <= bound passes
	bound     float64
	absoluteN float64 // if > 0: median(num) <= absoluteN ns
}

func (r *results) check(w io.Writer, ts []target) {
	fmt.Fprintln(w, "| target | measured | bound | verdict |\n|---|---:|---:|---|")
	for _, t := range ts {
		a, ok1 := r.med(t.k, t.num, t.unit)
		if t.absoluteN > 0 {
			verdict := "**missed**"
			if ok1 && a <= t.absoluteN {
				verdict = "met"
			}
			if !ok1 {
				verdict = "not measured"
			}
			fmt.Fprintf(w, "| %s | %s | ≤ %s | %s |\n", t.what, fmtDur(a), fmtDur(t.absoluteN), verdict)
			continue
		}
		b, ok2 := r.med(t.k, t.den, t.unit)
		if !ok1 || !ok2 || b == 0 {
			fmt.Fprintf(w, "| %s | – | %.2fx | not measured |\n", t.what, t.bound)
			continue
		}
		ratio := a / b
		pass := ratio <= t.bound
		op := "≤"
		if t.atLeast {
			pass, op = ratio >= t.bound, "≥"
		}
		verdict := "**missed**"
		if pass {
			verdict = "met"
		}
		fmt.Fprintf(w, "| %s | %.2fx | %s %.2fx | %s |\n", t.what, ratio, op, t.bound, verdict)
	}
	fmt.Fprintln(w)
}

// ratios prints num/den for every row that has both.
func (r *results) ratios(w io.Writer, title string, pairs [][2]string, unit string) {
	r.ratiosOf(w, title, r.order, pairs, unit)
}

// ratiosOf prints num/den for every row given that has both.
func (r *results) ratiosOf(w io.Writer, title string, rows []key, pairs [][2]string, unit string) {
	if title != "" {
		fmt.Fprintf(w, "%s\n\n", title)
	}
	fmt.Fprint(w, "| scenario | store |")
	for _, p := range pairs {
		fmt.Fprintf(w, " %s / %s |", p[0], p[1])
	}
	fmt.Fprintf(w, "\n|---|---|%s\n", strings.Repeat("---:|", len(pairs)))
	for _, k := range rows {
		cells := make([]string, len(pairs))
		any := false
		for i, p := range pairs {
			a, ok1 := r.med(k, p[0], unit)
			b, ok2 := r.med(k, p[1], unit)
			if ok1 && ok2 && b > 0 {
				cells[i] = fmt.Sprintf("%.2f", a/b)
				any = true
			} else {
				cells[i] = "–"
			}
		}
		if any {
			fmt.Fprintf(w, "| %s | %s | %s |\n", k.scenario, k.store, strings.Join(cells, " | "))
		}
	}
	fmt.Fprintln(w)
}

// cpuWall prints, for the rows given, CPU and wall time side by side for
// each implementation given.
func (r *results) cpuWall(w io.Writer, rows []key, impls []string) {
	fmt.Fprint(w, "| scenario | store |")
	for _, impl := range impls {
		fmt.Fprintf(w, " %s CPU | %s wall |", impl, impl)
	}
	fmt.Fprintf(w, "\n|---|---|%s\n", strings.Repeat("---:|", 2*len(impls)))
	for _, k := range rows {
		fmt.Fprintf(w, "| %s | %s |", k.scenario, k.store)
		for _, impl := range impls {
			for _, unit := range []string{"cpu-ns/op", "ns/op"} {
				if v, ok := r.med(k, impl, unit); ok {
					fmt.Fprintf(w, " %s |", fmtDur(v))
				} else {
					fmt.Fprint(w, " – |")
				}
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

func main() {
	rawPath := flag.String("raw", "results/raw.txt", "raw benchmark output")
	metaPath := flag.String("meta", "results/meta.txt", "machine description (verbatim)")
	statPath := flag.String("benchstat", "results/benchstat.txt", "benchstat output (verbatim)")
	notesPath := flag.String("notes", "NOTES.md", "hand-written findings appended at the end (optional)")
	flag.Parse()
	raw, err := os.Open(*rawPath)
	if err != nil {
		log.Fatal(err)
	}
	res, err := parse(raw)
	raw.Close()
	if err != nil {
		log.Fatal(err)
	}
	meta, _ := os.ReadFile(*metaPath)
	stat, _ := os.ReadFile(*statPath)
	notes, _ := os.ReadFile(*notesPath)

	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprint(w, `# Benchmark results

Written by bench/run.sh (go run ./cmd/results); do not edit by hand. Scenario definitions:
bench/scenario_test.go. Implementations: **ours-v3/v4** (this library; v4 = PQXDH +
Double Ratchet + SPQR, the triple ratchet), **gomau-v3** (go.mau.fi/libsignal v0.2.1),
**libsignal-node-v4** (official libsignal 0.103.0 through @signalapp/libsignal-client in
Node 20, PQXDH + Double Ratchet + SPQR, timed in Node around the calls, so FFI, async
store callbacks and Promises are included), **floor-v3/v4** (the same primitive calls
written plainly with the standard library: X25519, XEdDSA verification as Ed25519,
HKDF, HMAC chain steps, AES-CBC, HMAC MAC, the base-key subgroup check; for v4 also
Kyber1024 via crypto/mlkem and SPQR's chain start and per-message chain steps, but not
the SPQR braid's ML-KEM-768 and erasure-coded chunks; no protobuf, no stores).

Store modes: **objects** (live record objects; our objects store hands out its own
object, which equals a copying store on these never-failing paths), **clone** (ours only:
objects handed out as Record.Clone copies, the safe objects store), **serialized**
(records encoded on every save and parsed on every load, like a database).

Fan-out (one 100 B message to 1,000 recipients with acknowledged sessions): ours uses the
Manager's EncryptMany (1 worker for seq, GOMAXPROCS for par); gomau runs one cipher per
recipient, in GOMAXPROCS goroutines for par; floor likewise; libsignal-node is sequential
only (its calls run on the JS thread).

Sealed sender (issue 15; definitions in bench/sealedsender_test.go, floor in
bench/sealedsender_floor_test.go): **SealedSenderV1/full** and **SealedSenderV2/full** are
PingPong100 with every message sealed and opened (session encrypt + seal at the sender,
open + certificate validation + session decrypt at the recipient: Cipher.Encrypt and
Cipher.Decrypt; libsignal's sealedSenderEncryptMessage, or signalEncrypt +
sealedSenderMultiRecipientEncrypt to one recipient + ...ForSingleRecipient for v2, and
sealedSenderDecryptMessage); **.../envelope** is the envelope alone, seal + open of a fixed
content (SealV1 + Open; SealV2 to one recipient + ParseSentMessage + MessageFor + Open;
libsignal's sealedSenderEncrypt or sealedSenderMultiRecipientEncrypt + ...ForSingleRecipient,
then sealedSenderDecryptToUsmc), no validation, no session; **MultiRecipient1000/encrypt**
is one 100 B group message to 1,000 recipients with one device each (1,000 devices, 1,000
key materials): sender-key encrypt + sealed sender v2 over the 1,000 sessions
(Cipher.EncryptGroup; libsignal's groupEncrypt + sealedSenderMultiRecipientEncrypt, which
spreads the recipients over the cores with rayon: its CPU time sums its threads);
**MultiRecipient1000/split** is the server's split of that message
(ParseSentMessage + MessageFor per recipient; SealedSenderMultiRecipientMessage +
messageForRecipient). The envelope, multi-recipient and split rows do not depend on the
session version and sit in the v4 columns. In these rows floor-v3/v4 are the envelope's
X25519 agreements and key generation (the library's curve package), HKDFs, AES-CTR + HMAC
(v1) or AES-256-GCM-SIV (v2, internal/gcmsiv), plus in the full rows the two XEdDSA
verifications of validation and the session floor of PingPong100, and for the group a
sender-key encryption with its XEdDSA signature. Rows with store **objects-2** and
**serialized-2** ran with -cpu 2 (SealV2 spreads its key agreements over GOMAXPROCS).

Metric: **cpu-ns/op** is process CPU time (getrusage user+system) per operation, with
GOMAXPROCS=1 except the parallel fan-out and the -2 rows of MultiRecipient1000 (-cpu 2,
where it sums both threads; libsignal-node's process.cpuUsage() sums all its threads). The
machine is shared with other jobs, so wall time (ns/op) is noisy; CPU time is what the
ratios use. Every cell is the median of the runs (rounds are interleaved: every round
runs every implementation of a scenario back to back).

`)
	fmt.Fprintf(w, "## Machine and run\n\n```\n%s```\n\n", meta)

	fmt.Fprint(w, "## Acceptance targets of issue 8 (CPU time, medians)\n\n")
	obj := func(s string) key { return key{s, "objects"} }
	ser := func(s string) key { return key{s, "serialized"} }
	res.check(w, []target{
		{what: "100 B one way: gomau / ours-v3 (objects)", k: obj("OneWay100"), num: "gomau-v3", den: "ours-v3", unit: "cpu-ns/op", atLeast: true, bound: 4},
		{what: "16 KiB one way: gomau / ours-v3 (objects)", k: obj("OneWay16KiB"), num: "gomau-v3", den: "ours-v3", unit: "cpu-ns/op", atLeast: true, bound: 10},
		{what: "setup: gomau / ours-v3 (objects)", k: obj("Setup"), num: "gomau-v3", den: "ours-v3", unit: "cpu-ns/op", atLeast: true, bound: 1.5},
		{what: "ping-pong: gomau / ours-v3 (objects)", k: obj("PingPong100"), num: "gomau-v3", den: "ours-v3", unit: "cpu-ns/op", atLeast: true, bound: 1.5},
		{what: "1,500 skipped keys, serialized: gomau / ours-v3", k: ser("Skipped1500"), num: "gomau-v3", den: "ours-v3", unit: "cpu-ns/op", atLeast: true, bound: 10},
		{what: "100 B one way: ours-v3 / floor-v3 (objects)", k: obj("OneWay100"), num: "ours-v3", den: "floor-v3", unit: "cpu-ns/op", bound: 1.2},
		{what: "ping-pong: ours-v3 / floor-v3 (objects)", k: obj("PingPong100"), num: "ours-v3", den: "floor-v3", unit: "cpu-ns/op", bound: 1.15},
		{what: "setup v3: ours-v3 / floor-v3 (objects)", k: obj("Setup"), num: "ours-v3", den: "floor-v3", unit: "cpu-ns/op", bound: 1.15},
		{what: "setup v4: ours-v4 / floor-v4 (objects)", k: obj("Setup"), num: "ours-v4", den: "floor-v4", unit: "cpu-ns/op", bound: 1.15},
		{what: "16 KiB one way: ours-v3 / floor-v3 (objects)", k: obj("OneWay16KiB"), num: "ours-v3", den: "floor-v3", unit: "cpu-ns/op", bound: 1.2},
		{what: "record encode+decode, 2,000 skipped keys (ours-v3)", k: key{"Record/skipped=2000", "none"}, num: "ours-v3", unit: "cpu-ns/op", absoluteN: 200e3},
	})
	fmt.Fprint(w, "Allocations per operation, ours-v3 vs gomau-v3 (target: fewer in every scenario):\n\n")
	res.ratios(w, "", [][2]string{{"ours-v3", "gomau-v3"}}, "allocs/op")

	fmt.Fprint(w, "## Acceptance targets of issue 20 (CPU time, medians; the database targets are in \"Database path\" below)\n\n")
	res.check(w, []target{
		{what: "v4 100 B one way: ours-v4 / floor-v4 (objects)", k: obj("OneWay100"), num: "ours-v4", den: "floor-v4", unit: "cpu-ns/op", bound: 1.2},
		{what: "v4 serialized: ours-v4 / ours-v3, 100 B one way (serialized)", k: ser("OneWay100"), num: "ours-v4", den: "ours-v3", unit: "cpu-ns/op", bound: 1.6},
		{what: "v4 1,500 skipped keys: ours-v4 / ours-v3 (objects)", k: obj("Skipped1500"), num: "ours-v4", den: "ours-v3", unit: "cpu-ns/op", bound: 2},
		{what: "v4 fan-out to 1,000: ours-v4 / ours-v3 (objects, sequential)", k: obj("Fanout1000/seq"), num: "ours-v4", den: "ours-v3", unit: "cpu-ns/op", bound: 1.6},
		{what: "v4 ping-pong: ours-v4 / floor-v4 (objects)", k: obj("PingPong100"), num: "ours-v4", den: "floor-v4", unit: "cpu-ns/op", bound: 1.15},
	})

	ss := res.rowsWith("SealedSender", "MultiRecipient")
	if len(ss) > 0 {
		ssImpls := []string{"ours-v3", "ours-v4", "libsignal-node-v4", "floor-v3", "floor-v4"}
		fmt.Fprint(w, "## Sealed sender and multi-recipient messages (issue 15)\n\n")
		fmt.Fprint(w, "CPU time per operation (median; a full-scenario operation is one message sealed, opened and decrypted):\n\n")
		res.tableOf(w, ss, ssImpls, "cpu-ns/op", fmtDur)
		fmt.Fprint(w, "Allocations per operation (Go only):\n\n")
		res.tableOf(w, ss, []string{"ours-v3", "ours-v4", "floor-v3", "floor-v4"}, "allocs/op", func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) })
		res.ratiosOf(w, "Ratios (CPU time; > 1 means the left one is slower):", ss, [][2]string{
			{"ours-v4", "floor-v4"}, {"ours-v3", "floor-v3"}, {"libsignal-node-v4", "ours-v4"}, {"libsignal-node-v4", "floor-v4"},
		}, "cpu-ns/op")
		fmt.Fprint(w, "Multi-recipient send, CPU and wall time (libsignal runs its recipients on 2 threads; ours with -cpu 2 in the -2 rows; the machine's 2 vCPUs are shared with other jobs):\n\n")
		res.cpuWall(w, res.rowsWith("MultiRecipient1000/encrypt"), []string{"ours-v4", "libsignal-node-v4", "floor-v4"})
	}

	fmt.Fprint(w, "## CPU time per operation (median)\n\n")
	res.table(w, "cpu-ns/op", fmtDur)
	fmt.Fprint(w, "## Wall time per operation (median)\n\n")
	res.table(w, "ns/op", fmtDur)
	fmt.Fprint(w, "## Allocations per operation (Go only)\n\n")
	res.table(w, "allocs/op", func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) })
	fmt.Fprint(w, "## Bytes allocated per operation (Go only)\n\n")
	res.table(w, "B/op", func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) })
	fmt.Fprint(w, "## Encoded record size (Record scenario)\n\n")
	res.table(w, "record-B", func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) + " B" })

	fmt.Fprint(w, "## Ratios (CPU time; > 1 means the left one is slower)\n\n")
	res.ratios(w, "Against the floor and the other libraries:", [][2]string{
		{"ours-v3", "floor-v3"}, {"ours-v4", "floor-v4"}, {"gomau-v3", "ours-v3"}, {"libsignal-node-v4", "ours-v4"},
	}, "cpu-ns/op")

	runs := 0
	for _, k := range res.order {
		for impl := range res.vals[k] {
			runs = max(runs, res.runs(k, impl, "cpu-ns/op"))
		}
	}
	fmt.Fprintf(w, "Runs per cell: up to %d.\n\n", runs)
	if dbres, err := parseDB(*rawPath); err == nil {
		writeDB(w, dbres) // the database scenarios (issue 20), if any ran
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "%s\n", notes)
	}
	if len(stat) > 0 {
		fmt.Fprintf(w, "## benchstat (-col /impl)\n\n<details><summary>full benchstat output</summary>\n\n```\n%s```\n\n</details>\n", stat)
	}
}
