package main

// The database scenarios of issue 20 (bench/db_harness_test.go):
// BenchmarkDB/<db>/<impl>/<Scenario>, and BenchmarkDurabilityOff with the
// same names.

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

var dbNameRE = regexp.MustCompile(`^Benchmark(DB|DBPaired|DurabilityOff)/([a-z]+)/([^/]+)/([A-Za-z0-9]+?)(-\d+)?$`)

// dbKey names one cell: benchmark (DB or DurabilityOff), database,
// implementation, scenario.
type dbKey struct{ bench, db, impl, scenario string }

type dbResults struct {
	vals map[dbKey]map[string][]float64 // unit -> one value per run
}

func parseDB(path string) (*dbResults, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseDBFrom(f)
}

func parseDBFrom(r io.Reader) (*dbResults, error) {
	res := &dbResults{vals: map[dbKey]map[string][]float64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		m := dbNameRE.FindStringSubmatch(f[0])
		if m == nil {
			continue
		}
		k := dbKey{m[1], m[2], m[3], m[4]}
		if res.vals[k] == nil {
			res.vals[k] = map[string][]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", sc.Text(), err)
			}
			res.vals[k][f[i+1]] = append(res.vals[k][f[i+1]], v)
		}
	}
	return res, sc.Err()
}

func (r *dbResults) med(k dbKey, unit string) (float64, bool) {
	v := r.vals[k][unit]
	if len(v) == 0 {
		return 0, false
	}
	return median(v), true
}

// wall is the wall time per message of a cell: wall-ns/msg where the
// scenario reports it (Parallel<N>), else ns/op (for CatchUp1000 and
// Single1000 an op is the 1,000 messages).
func (r *dbResults) wall(k dbKey) (float64, bool) {
	if v, ok := r.med(k, "wall-ns/msg"); ok {
		return v, true
	}
	return r.med(k, "ns/op")
}

var dbImplOrder = []string{"floor", "ours-v3", "ours-v4", "whatsmeow"}
var dbScenarioOrder = []string{
	"Decrypt", "Encrypt", "CatchUp1000", "Single1000",
	"Parallel1", "Parallel2", "Parallel4", "Parallel8",
	"ParallelProc1", "ParallelProc2", "ParallelProc4", "ParallelProc8",
}

func (r *dbResults) has(bench, db string) bool {
	for k := range r.vals {
		if k.bench == bench && k.db == db {
			return true
		}
	}
	return false
}

func (r *dbResults) runs() int {
	n := 0
	for _, u := range r.vals {
		n = max(n, len(u["ns/op"]))
	}
	return n
}

// table writes one row per scenario and one column per implementation of
// value(k), formatted by format ("" for a missing cell).
func (r *dbResults) table(w io.Writer, bench, db string, scenarios []string, value func(k dbKey) (string, bool)) {
	fmt.Fprintf(w, "| %s | %s |\n", "scenario", strings.Join(dbImplOrder, " | "))
	fmt.Fprintf(w, "|---|%s\n", strings.Repeat("---:|", len(dbImplOrder)))
	for _, sc := range scenarios {
		row := make([]string, len(dbImplOrder))
		any := false
		for i, impl := range dbImplOrder {
			if v, ok := value(dbKey{bench, db, impl, sc}); ok {
				row[i], any = v, true
			}
		}
		if any {
			fmt.Fprintf(w, "| %s | %s |\n", sc, strings.Join(row, " | "))
		}
	}
	fmt.Fprintln(w)
}

func ratio(a, b float64, okA, okB bool) (string, bool) {
	if !okA || !okB || b == 0 {
		return "", false
	}
	return strconv.FormatFloat(a/b, 'f', 2, 64) + "x", true
}

// writeDB writes the section of the database scenarios, if the raw output
// has any.
func writeDB(w io.Writer, res *dbResults) {
	if len(res.vals) == 0 {
		return
	}
	fmt.Fprintf(w, `## Database path (issue 20)

BenchmarkDB/<db>/<impl>/<Scenario> (definitions: bench/db_harness_test.go): the receiving
device's state in SQLite (a file, WAL, synchronous FULL) or PostgreSQL (loopback, default
durability), medians of %d runs. **floor**: one transaction that reads one row and writes one
row of the same size (prepared statements, same drivers, isolation and durability); **ours**:
a session.Manager over sqlstore; **whatsmeow**: go.mau.fi/libsignal through whatsmeow's SQL
store. Wall time is what these scenarios are judged on (part of the work runs in the database
server, and most of a message's time is the commit's flush): it is noisy on this shared
machine; cpu-ns/op is this process's CPU time (SQLite's work included, PostgreSQL's server
not). CatchUp1000 and Single1000 are per 1,000 messages; Parallel<N> rows are wall time per
message with N senders at once (1/throughput).

`, res.runs())
	writeDBTargets(w, res)
	writeBusy(w, res)
	for _, db := range []string{"sqlite", "postgres"} {
		if !res.has("DB", db) {
			continue
		}
		fmt.Fprintf(w, "### %s: wall time (median)\n\n", db)
		res.table(w, "DB", db, dbScenarioOrder, func(k dbKey) (string, bool) {
			v, ok := res.wall(k)
			return fmtDur(v), ok
		})
		fmt.Fprintf(w, "### %s: CPU time of this process (median)\n\n", db)
		res.table(w, "DB", db, dbScenarioOrder, func(k dbKey) (string, bool) {
			v, ok := res.med(k, "cpu-ns/op")
			return fmtDur(v), ok
		})
		fmt.Fprintf(w, "### %s: statements per op (driver calls: round trips)\n\n", db)
		res.table(w, "DB", db, []string{"Decrypt", "Encrypt", "CatchUp1000", "Single1000"}, func(k dbKey) (string, bool) {
			v, ok := res.med(k, "stmts/op")
			return strconv.FormatFloat(v, 'f', -1, 64), ok
		})
		fmt.Fprintf(w, "### %s: ratios (wall time)\n\n", db)
		fmt.Fprintln(w, "| ratio | value |\n|---|---:|")
		for _, impl := range []string{"ours-v3", "ours-v4", "whatsmeow"} {
			for _, sc := range []string{"Decrypt", "Encrypt"} {
				a, okA := res.wall(dbKey{"DB", db, impl, sc})
				f, okF := res.wall(dbKey{"DB", db, "floor", sc})
				if s, ok := ratio(a, f, okA, okF); ok {
					fmt.Fprintf(w, "| %s %s / floor %s | %s |\n", impl, sc, sc, s)
				}
			}
		}
		for _, impl := range []string{"ours-v3", "ours-v4"} {
			for _, sc := range []string{"Decrypt", "Encrypt"} {
				a, okA := res.wall(dbKey{"DB", db, "whatsmeow", sc})
				o, okO := res.wall(dbKey{"DB", db, impl, sc})
				if s, ok := ratio(a, o, okA, okO); ok {
					fmt.Fprintf(w, "| whatsmeow %s / %s %s | %s |\n", sc, impl, sc, s)
				}
			}
		}
		for _, impl := range dbImplOrder {
			single, okS := res.wall(dbKey{"DB", db, impl, "Single1000"})
			batch, okB := res.wall(dbKey{"DB", db, impl, "CatchUp1000"})
			if impl != "floor" {
				if s, ok := ratio(single, batch, okS, okB); ok {
					fmt.Fprintf(w, "| %s Single1000 / CatchUp1000 (catch-up speed-up) | %s |\n", impl, s)
				}
			}
			for _, kind := range []string{"Parallel", "ParallelProc"} {
				one, ok1 := res.wall(dbKey{"DB", db, impl, kind + "1"})
				eight, ok8 := res.wall(dbKey{"DB", db, impl, kind + "8"})
				if s, ok := ratio(one, eight, ok1, ok8); ok {
					fmt.Fprintf(w, "| %s %s8 throughput / %s1 throughput | %s |\n", impl, kind, kind, s)
				}
			}
		}
		fmt.Fprintln(w)
	}
	for _, db := range []string{"sqlite", "postgres"} {
		if !res.has("DBPaired", db) {
			continue
		}
		fmt.Fprintf(w, "### %s, paired with the floor (BenchmarkDBPaired): median wall time per operation, interleaved op by op\n\n", db)
		fmt.Fprintln(w, "| impl / scenario | floor | ours | ours / floor |\n|---|---:|---:|---:|")
		for _, impl := range []string{"ours-v3", "ours-v4"} {
			for _, sc := range []string{"Decrypt", "Encrypt"} {
				k := dbKey{"DBPaired", db, impl, sc}
				f, okF := res.med(k, "floor-p50-ns")
				o, okO := res.med(k, "ours-p50-ns")
				r, okR := res.med(k, "ratio-p50")
				if okF && okO && okR {
					fmt.Fprintf(w, "| %s %s | %s | %s | %.2fx |\n", impl, sc, fmtDur(f), fmtDur(o), r)
				}
			}
		}
		fmt.Fprintln(w)
	}
	for _, db := range []string{"sqlite", "postgres"} {
		if !res.has("DurabilityOff", db) {
			continue
		}
		fmt.Fprintf(w, "### %s with durability off (BenchmarkDurabilityOff): wall time (median)\n\n", db)
		res.table(w, "DurabilityOff", db, []string{"Decrypt", "Encrypt"}, func(k dbKey) (string, bool) {
			v, ok := res.wall(k)
			return fmtDur(v), ok
		})
	}
}

// writeDBTargets writes issue 20's database targets with their verdicts
// (wall time, medians). The row "whatsmeow / floor" is the most any
// implementation that does at least the floor's transaction can be faster
// than whatsmeow on that database.
func writeDBTargets(w io.Writer, res *dbResults) {
	type row struct {
		what    string
		num     dbKey
		den     dbKey
		atLeast bool
		bound   float64
		paired  bool // the ratio is BenchmarkDBPaired's median per-round ratio
	}
	var rows []row
	for _, db := range []string{"sqlite", "postgres"} {
		if !res.has("DB", db) {
			continue
		}
		for _, impl := range []string{"ours-v3", "ours-v4"} {
			rows = append(rows, row{what: db + " decrypt: " + impl + " / floor", num: dbKey{"DB", db, impl, "Decrypt"}, den: dbKey{"DB", db, "floor", "Decrypt"}, bound: 1.3})
			if res.has("DBPaired", db) {
				rows = append(rows, row{what: db + " decrypt, paired op by op: " + impl + " / floor", num: dbKey{"DBPaired", db, impl, "Decrypt"}, bound: 1.3, paired: true})
			}
		}
		for _, impl := range []string{"ours-v3", "ours-v4", "floor"} {
			what := db + " decrypt: whatsmeow / " + impl
			if impl == "floor" {
				what += " (the most any implementation can be faster than whatsmeow)"
			}
			rows = append(rows, row{what: what, num: dbKey{"DB", db, "whatsmeow", "Decrypt"}, den: dbKey{"DB", db, impl, "Decrypt"}, atLeast: true, bound: 3})
		}
		for _, impl := range []string{"ours-v3", "ours-v4"} {
			rows = append(rows, row{what: db + " catch-up of 1,000: " + impl + " Single1000 / CatchUp1000", num: dbKey{"DB", db, impl, "Single1000"}, den: dbKey{"DB", db, impl, "CatchUp1000"}, atLeast: true, bound: 10})
		}
		if db == "postgres" {
			for _, impl := range []string{"ours-v3", "ours-v4", "floor"} {
				for _, kind := range []string{"Parallel", "ParallelProc"} {
					rows = append(rows, row{what: db + " 8 senders: " + impl + " " + kind + "8 throughput / " + kind + "1", num: dbKey{"DB", db, impl, kind + "1"}, den: dbKey{"DB", db, impl, kind + "8"}, atLeast: true, bound: 3})
				}
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprint(w, "### Targets of issue 20 (wall time, medians)\n\n")
	fmt.Fprintln(w, "| target | measured | bound | verdict |\n|---|---:|---:|---|")
	for _, r := range rows {
		var v float64
		ok := false
		if r.paired {
			v, ok = res.med(r.num, "ratio-p50")
		} else {
			a, okA := res.wall(r.num)
			b, okB := res.wall(r.den)
			if okA && okB && b != 0 {
				v, ok = a/b, true
			}
		}
		op := "≤"
		if r.atLeast {
			op = "≥"
		}
		if !ok {
			fmt.Fprintf(w, "| %s | – | %s %.2fx | not measured |\n", r.what, op, r.bound)
			continue
		}
		pass := v <= r.bound
		if r.atLeast {
			pass = v >= r.bound
		}
		verdict := "**missed**"
		if pass {
			verdict = "met"
		}
		fmt.Fprintf(w, "| %s | %.2fx | %s %.2fx | %s |\n", r.what, v, op, r.bound, verdict)
	}
	fmt.Fprintln(w)
}

// writeBusy writes where the parallel scenarios' time goes: the CPUs the
// whole machine kept busy (busy-CPUs, medians) with one sender and with 8.
// When one sender already keeps about one CPU busy (client and database
// server together), 8 senders on a machine of C CPUs can gain at most
// about C times, whatever the implementation.
func writeBusy(w io.Writer, res *dbResults) {
	const unit = "busy-CPUs"
	var lines []string
	for _, db := range []string{"sqlite", "postgres"} {
		for _, impl := range []string{"floor", "ours-v3", "ours-v4", "whatsmeow"} {
			for _, kind := range []string{"Parallel", "ParallelProc"} {
				one, ok1 := res.med(dbKey{"DB", db, impl, kind + "1"}, unit)
				eight, ok8 := res.med(dbKey{"DB", db, impl, kind + "8"}, unit)
				if !ok1 || !ok8 {
					continue
				}
				lines = append(lines, fmt.Sprintf("| %s | %s | %s | %.2f | %.2f |", db, impl, kind, one, eight))
			}
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprint(w, "### Where the parallel scenarios' time goes: busy CPUs of the machine (medians)\n\n")
	fmt.Fprintln(w, "The CPU use of the whole machine during the timed part (/proc/stat, in CPUs): the benchmark's process, the database server's, and any other job running at the time (see the load average under \"Machine and run\"). On a quiet machine, one sender that keeps one CPU busy leaves room for at most a C-fold gain on C CPUs, whatever the implementation.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| db | impl | scenario | 1 sender | 8 senders |\n|---|---|---|---:|---:|")
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w)
}
