// Command mutation is the project's mutation-testing runner: it makes small
// changes (mutants) to a package's source, one at a time, runs the package's
// own tests against each, and reports the mutants no test noticed.
//
// It is run by scripts/mutation.sh, not by CI (a full run takes hours on a
// small machine). Usage, from the module root or a worktree of it:
//
//	go run ./scripts/mutation [flags] ./curve ./xeddsa ...
//
// Nothing in the tree is written: each mutant reaches the compiler through
// go build's -overlay flag, from a file under the work directory. Mutants are
// the classes go-gremlins v0.6.0 enables by default (arithmetic base,
// conditionals boundary, conditionals negation, increment/decrement, invert
// negatives) plus invert logical (&& and ||), invert loop control (break and
// continue) and remove self assignment (x += y to x = y).
//
// Test selection follows coverage: each test (Test, Example and Fuzz seed
// corpus) runs alone once with a coverage profile, and a mutant runs only the
// tests that executed its block; a mutant no test executes is NOT COVERED
// (counted as surviving). Results are cached per mutant in the work directory:
// a KILLED, TIMED OUT or NOT VIABLE result is reused while the mutated file is
// unchanged (adding tests cannot revive a killed mutant), and LIVED and NOT
// COVERED mutants are tried again on every run.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Statuses of a mutant, as go-gremlins names them.
const (
	statusKilled     = "KILLED"
	statusLived      = "LIVED"
	statusNotCovered = "NOT COVERED"
	statusTimedOut   = "TIMED OUT"
	statusNotViable  = "NOT VIABLE"
	statusEquivalent = "EQUIVALENT"
)

// Limits of a run.
const (
	// buildTimeout bounds one mutant's compile and link.
	buildTimeout = 5 * time.Minute
)

type mutant struct {
	Pkg      string   `json:"pkg"`
	File     string   `json:"file"` // relative to the module root
	Line     int      `json:"line"`
	Col      int      `json:"col"`
	Offset   int      `json:"offset"`
	Class    string   `json:"class"`
	Orig     string   `json:"orig"`
	Repl     string   `json:"repl"`
	Status   string   `json:"status"`
	Reason   string   `json:"reason,omitempty"` // equivalence reason
	Tests    []string `json:"tests,omitempty"`
	Killer   string   `json:"killer,omitempty"`
	FileHash string   `json:"file_hash"`
	Source   string   `json:"source"` // the mutated line, trimmed
	Cached   bool     `json:"-"`
	Schemata bool     `json:"schemata,omitempty"` // tested in the package's schemata binary

	node ast.Node // the mutated expression or statement
	num  int      // its number in the schemata binary (from 1)
}

// key names a mutant across runs of the same file contents.
func (m *mutant) key() string {
	return fmt.Sprintf("%s:%d:%s:%s:%s", m.File, m.Offset, m.Class, m.Repl, m.FileHash)
}

// id names a mutant for people.
func (m *mutant) id() string {
	return fmt.Sprintf("%s:%d:%d %s %s->%s", m.File, m.Line, m.Col, m.Class, m.Orig, strings.TrimSpace(m.Repl))
}

// equivKey names a mutant in the equivalents file: by column and line
// text rather than line number, so that entries survive edits above them.
func (m *mutant) equivKey() string {
	return fmt.Sprintf("%s:%d %s %s->%s %s", m.File, m.Col, m.Class, m.Orig, strings.TrimSpace(m.Repl), strconv.Quote(m.Source))
}

var (
	workDir   = flag.String("work", "/tmp/mutation-work", "work directory (overlays, binaries, cache, results)")
	workers   = flag.Int("workers", 2, "mutants tested at once")
	short     = flag.Bool("short", true, "run tests with -test.short")
	equivFile = flag.String("equivalent", "scripts/mutation/equivalent*.txt", "files of equivalent mutants (id # reason), a glob pattern: one file per package or area keeps concurrent edits apart")
	listOnly  = flag.Bool("list", false, "list mutants and exit")

	minTestTimeout = flag.Duration("min-timeout", 20*time.Second, "least time a mutant's tests get")
	timeoutFactor  = flag.Int("timeout-factor", 4, "a mutant's tests get this many times their unmutated run time (measured with coverage on)")
	fastTest       = flag.Duration("fast-test", time.Second, "tests that took at most this long (with coverage, alone) run first; the others only for mutants that survive them")
	maxTestTimeout = flag.Duration("max-timeout", 5*time.Minute, "most time a mutant's tests get")
	idleLimit      = flag.Duration("idle-limit", 30*time.Second, "a mutant's test process idle (no CPU) this long is deemed hung: TIMED OUT")
	cacheFile      = flag.String("cache", "", "result cache (default: cache.json in the work directory); runs sharing one merge their results")
	verbose        = flag.Bool("v", false, "print every mutant's result")

	useSchemata = flag.Bool("schemata", true, "compile the mutants into one binary per package where they type-check (see schemata.go)")
)

func main() {
	flag.Parse()
	pkgs := flag.Args()
	if len(pkgs) == 0 {
		fmt.Fprintln(os.Stderr, "usage: mutation [flags] ./pkg ...")
		os.Exit(2)
	}
	if err := os.MkdirAll(*workDir, 0o755); err != nil {
		fatal(err)
	}
	equiv, err := readEquivalents(*equivFile)
	if err != nil {
		fatal(err)
	}
	cp := *cacheFile
	if cp == "" {
		cp = filepath.Join(*workDir, "cache.json")
	}
	cache := loadCache(cp)
	var summaries []string
	for _, p := range pkgs {
		s, err := runPackage(p, equiv, cache)
		if err != nil {
			fatal(fmt.Errorf("%s: %w", p, err))
		}
		summaries = append(summaries, s)
		cache.save()
	}
	fmt.Println()
	fmt.Println("| package | total | killed | timed out | survived | not covered | equivalent | not viable | score |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, s := range summaries {
		fmt.Println(s)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "mutation:", err)
	os.Exit(1)
}

// readEquivalents reads lines "key # reason" (key as equivKey writes it);
// blank lines and lines starting with # are skipped.
func readEquivalents(pattern string) (map[string]string, error) {
	m := map[string]string{}
	paths, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	for _, path := range paths {
		if err := readEquivalentsFile(path, m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func readEquivalentsFile(path string, m map[string]string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, ok := strings.Cut(line, " # ")
		if !ok {
			return fmt.Errorf("%s: no reason on line %q", path, line)
		}
		m[strings.TrimSpace(id)] = strings.TrimSpace(reason)
	}
	return sc.Err()
}

type resultCache struct {
	mu   sync.Mutex
	path string
	m    map[string]mutant
}

func loadCache(path string) *resultCache {
	c := &resultCache{path: path, m: map[string]mutant{}}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &c.m)
	}
	return c
}

func (c *resultCache) get(k string) (mutant, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.m[k]
	return m, ok
}

func (c *resultCache) put(m mutant) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[m.key()] = m
}

func (c *resultCache) save() {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Another run may share the file: keep what it added.
	if b, err := os.ReadFile(c.path); err == nil {
		var disk map[string]mutant
		if json.Unmarshal(b, &disk) == nil {
			for k, v := range disk {
				if _, ok := c.m[k]; !ok {
					c.m[k] = v
				}
			}
		}
	}
	b, err := json.Marshal(c.m)
	if err != nil {
		fatal(err)
	}
	tmp := fmt.Sprintf("%s.%d.tmp", c.path, os.Getpid())
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		fatal(err)
	}
	if err := os.Rename(tmp, c.path); err != nil {
		fatal(err)
	}
}

type pkgInfo struct {
	Dir        string
	ImportPath string
	GoFiles    []string
	Root       string // module root

	exports map[string]string // import path -> export data file
}

func listPackage(p string) (*pkgInfo, error) {
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}\n{{.ImportPath}}\n{{join .GoFiles \" \"}}\n{{.Module.Dir}}", p).Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != 4 {
		return nil, fmt.Errorf("go list: unexpected output %q", out)
	}
	return &pkgInfo{Dir: lines[0], ImportPath: lines[1], GoFiles: strings.Fields(lines[2]), Root: lines[3]}, nil
}

func runPackage(p string, equiv map[string]string, cache *resultCache) (string, error) {
	info, err := listPackage(p)
	if err != nil {
		return "", err
	}
	var muts []*mutant
	sources := map[string][]byte{}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, f := range info.GoFiles {
		path := filepath.Join(info.Dir, f)
		src, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(info.Root, path)
		sources[rel] = src
		af, err := parser.ParseFile(fset, rel, src, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return "", err
		}
		files = append(files, af)
		ms := mutantsOf(fset, af, rel, src)
		for _, m := range ms {
			m.Pkg = info.ImportPath
		}
		muts = append(muts, ms...)
	}
	fmt.Printf("== %s: %d mutants\n", info.ImportPath, len(muts))
	if *listOnly {
		for _, m := range muts {
			fmt.Printf("%s\t%s\n", m.id(), m.Source)
		}
		return summaryLine(info.ImportPath, muts), nil
	}

	cov, durations, err := coverage(info)
	if err != nil {
		return "", err
	}
	for _, m := range muts {
		r, ok := equiv[m.equivKey()]
		if !ok {
			r, ok = equiv[m.id()] // a line too short to name by its text
		}
		if ok {
			m.Status, m.Reason = statusEquivalent, r
			continue
		}
		tests, known := cov.testsAt(m.File, m.Line, m.Col)
		if !known {
			tests = cov.allTests
		}
		m.Tests = tests
		if len(tests) == 0 {
			m.Status = statusNotCovered
		}
	}

	var toRun []*mutant
	for _, m := range muts {
		if m.Status != "" {
			continue
		}
		if c, ok := cache.get(m.key()); ok && (c.Status == statusKilled || c.Status == statusTimedOut || c.Status == statusNotViable) {
			continue
		}
		toRun = append(toRun, m)
	}
	var sch *schemata
	if *useSchemata && len(toRun) > 0 {
		sch, err = buildSchemata(info, fset, files, sources, toRun, durations)
		if err != nil {
			fmt.Printf("   no schemata binary, every mutant is built alone: %v\n", err)
		}
	}

	work := make(chan *mutant)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for m := range work {
				if c, ok := cache.get(m.key()); ok && (c.Status == statusKilled || c.Status == statusTimedOut || c.Status == statusNotViable) {
					m.Status, m.Killer, m.Cached = c.Status, c.Killer, true
				} else {
					if sch != nil && m.Schemata && !slices.ContainsFunc(m.Tests, func(t string) bool { return sch.unsafe[t] }) {
						runSchemata(info, sch, m, durations)
					} else {
						m.Schemata = false
						testMutant(info, m, sources[m.File], durations, w)
					}
					cache.put(*m)
				}
				mu.Lock()
				done++
				if *verbose || m.Status == statusLived {
					fmt.Printf("[%d/%d] %-11s %s\t%s\n", done, len(muts), m.Status, m.id(), m.Source)
					if m.Status == statusLived {
						fmt.Printf("    equivalent.txt key: %s\n", m.equivKey())
					}
				}
				if done%50 == 0 {
					cache.save()
				}
				mu.Unlock()
			}
		}(w)
	}
	for _, m := range muts {
		if m.Status == "" {
			work <- m
		} else {
			mu.Lock()
			done++
			if m.Status == statusNotCovered {
				fmt.Printf("[%d/%d] %-11s %s\t%s\n", done, len(muts), m.Status, m.id(), m.Source)
			}
			mu.Unlock()
		}
	}
	close(work)
	wg.Wait()

	res := filepath.Join(*workDir, "results", strings.ReplaceAll(info.ImportPath, "/", "_")+".json")
	_ = os.MkdirAll(filepath.Dir(res), 0o755)
	b, _ := json.MarshalIndent(muts, "", " ")
	if err := os.WriteFile(res, b, 0o644); err != nil {
		return "", err
	}
	s := summaryLine(info.ImportPath, muts)
	fmt.Println(s)
	return s, nil
}

func summaryLine(pkg string, muts []*mutant) string {
	n := map[string]int{}
	for _, m := range muts {
		n[m.Status]++
	}
	viable := len(muts) - n[statusNotViable]
	denom := viable - n[statusEquivalent]
	score := "n/a"
	if denom > 0 {
		score = fmt.Sprintf("%.1f %%", 100*float64(n[statusKilled]+n[statusTimedOut])/float64(denom))
	}
	return fmt.Sprintf("| %s | %d | %d | %d | %d | %d | %d | %d | %s |", strings.TrimPrefix(pkg, "github.com/forwardsecret/signal/"),
		viable, n[statusKilled], n[statusTimedOut], n[statusLived]+n[statusNotCovered], n[statusNotCovered], n[statusEquivalent], n[statusNotViable], score)
}

// mutantsOf lists the mutants of one file.
func mutantsOf(fset *token.FileSet, f *ast.File, rel string, src []byte) []*mutant {
	sum := sha256.Sum256(src)
	hash := hex.EncodeToString(sum[:8])
	var out []*mutant
	var node ast.Node
	add := func(pos token.Pos, class, orig, repl string) {
		p := fset.Position(pos)
		if string(src[p.Offset:p.Offset+len(orig)]) != orig {
			panic(fmt.Sprintf("%s: %q is not at offset %d", p, orig, p.Offset))
		}
		ls := bytes.LastIndexByte(src[:p.Offset], '\n') + 1
		le := bytes.IndexByte(src[p.Offset:], '\n')
		if le < 0 {
			le = len(src) - p.Offset
		}
		out = append(out, &mutant{File: rel, Line: p.Line, Col: p.Column, Offset: p.Offset, Class: class,
			Orig: orig, Repl: repl, FileHash: hash, Source: strings.TrimSpace(string(src[ls : p.Offset+le])), node: node})
	}
	// Loops, to know whether a break or continue is a loop's.
	var stack []ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, n)
		node = n
		switch n := n.(type) {
		case *ast.GenDecl:
			// Constant and type declarations are not mutated: a changed
			// constant is a changed specification, and coverage
			// profiles have no blocks for them (gremlins, which tests
			// only covered mutants, reports them NOT COVERED).
			if n.Tok == token.CONST || n.Tok == token.TYPE || n.Tok == token.IMPORT {
				stack = stack[:len(stack)-1]
				return false
			}
		case *ast.BinaryExpr:
			if isStringy(n.X) || isStringy(n.Y) {
				return true
			}
			op := n.Op.String()
			for _, r := range binaryRepl[n.Op] {
				add(n.OpPos, r.class, op, r.repl)
			}
		case *ast.UnaryExpr:
			if n.Op == token.SUB {
				add(n.OpPos, "INVERT_NEGATIVES", "-", "+")
			}
		case *ast.IncDecStmt:
			if n.Tok == token.INC {
				add(n.TokPos, "INCREMENT_DECREMENT", "++", "--")
			} else {
				add(n.TokPos, "INCREMENT_DECREMENT", "--", "++")
			}
		case *ast.AssignStmt:
			switch n.Tok {
			case token.ADD_ASSIGN, token.SUB_ASSIGN, token.MUL_ASSIGN, token.QUO_ASSIGN, token.REM_ASSIGN,
				token.AND_ASSIGN, token.OR_ASSIGN, token.XOR_ASSIGN, token.SHL_ASSIGN, token.SHR_ASSIGN, token.AND_NOT_ASSIGN:
				if len(n.Rhs) == 1 && isStringy(n.Rhs[0]) {
					return true
				}
				op := n.Tok.String()
				add(n.TokPos, "REMOVE_SELF_ASSIGNMENTS", op, "="+strings.Repeat(" ", len(op)-1))
			}
		case *ast.BranchStmt:
			if n.Label != nil || (n.Tok != token.BREAK && n.Tok != token.CONTINUE) {
				return true
			}
			// The innermost enclosing loop, switch or select decides
			// what a break means; only a loop's break is swapped.
			for i := len(stack) - 2; i >= 0; i-- {
				switch stack[i].(type) {
				case *ast.ForStmt, *ast.RangeStmt:
					if n.Tok == token.BREAK {
						add(n.TokPos, "INVERT_LOOPCTRL", "break", "continue")
					} else {
						add(n.TokPos, "INVERT_LOOPCTRL", "continue", "break")
					}
					return true
				case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
					if n.Tok == token.BREAK {
						return true
					}
				case *ast.FuncLit, *ast.FuncDecl:
					return true
				}
			}
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool {
		if out[i].Offset != out[j].Offset {
			return out[i].Offset < out[j].Offset
		}
		return out[i].Repl < out[j].Repl
	})
	return out
}

type repl struct{ class, repl string }

var binaryRepl = map[token.Token][]repl{
	token.LSS:  {{"CONDITIONALS_BOUNDARY", "<="}, {"CONDITIONALS_NEGATION", ">="}},
	token.LEQ:  {{"CONDITIONALS_BOUNDARY", "<"}, {"CONDITIONALS_NEGATION", ">"}},
	token.GTR:  {{"CONDITIONALS_BOUNDARY", ">="}, {"CONDITIONALS_NEGATION", "<="}},
	token.GEQ:  {{"CONDITIONALS_BOUNDARY", ">"}, {"CONDITIONALS_NEGATION", "<"}},
	token.EQL:  {{"CONDITIONALS_NEGATION", "!="}},
	token.NEQ:  {{"CONDITIONALS_NEGATION", "=="}},
	token.ADD:  {{"ARITHMETIC_BASE", "-"}},
	token.SUB:  {{"ARITHMETIC_BASE", "+"}},
	token.MUL:  {{"ARITHMETIC_BASE", "/"}},
	token.QUO:  {{"ARITHMETIC_BASE", "*"}},
	token.REM:  {{"ARITHMETIC_BASE", "*"}},
	token.LAND: {{"INVERT_LOGICAL", "||"}},
	token.LOR:  {{"INVERT_LOGICAL", "&&"}},
}

// isStringy reports whether e is visibly a string: a string literal, a
// concatenation with one, or a string conversion. Other string additions
// fail to compile when mutated and are reported NOT VIABLE.
func isStringy(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.BasicLit:
		return e.Kind == token.STRING
	case *ast.BinaryExpr:
		return e.Op == token.ADD && (isStringy(e.X) || isStringy(e.Y))
	case *ast.ParenExpr:
		return isStringy(e.X)
	case *ast.CallExpr:
		if id, ok := e.Fun.(*ast.Ident); ok && id.Name == "string" {
			return true
		}
		if sel, ok := e.Fun.(*ast.SelectorExpr); ok {
			if x, ok := sel.X.(*ast.Ident); ok && (x.Name == "fmt" && strings.HasPrefix(sel.Sel.Name, "Sprint") || x.Name == "strconv" && strings.HasPrefix(sel.Sel.Name, "Itoa")) {
				return true
			}
		}
	}
	return false
}

// coverMap says which tests execute which blocks.
type coverMap struct {
	allTests []string
	blocks   map[string][]block // file (module-relative) -> blocks
}

type block struct {
	sl, sc, el, ec int
	tests          []string
}

// testsAt returns the tests executing the innermost block at line:col, and
// whether any block contains it at all.
func (c *coverMap) testsAt(file string, line, col int) ([]string, bool) {
	var best *block
	for i := range c.blocks[file] {
		b := &c.blocks[file][i]
		if (line > b.sl || line == b.sl && col >= b.sc) && (line < b.el || line == b.el && col < b.ec) {
			if best == nil || (b.sl > best.sl || b.sl == best.sl && b.sc > best.sc) {
				best = b
			}
		}
	}
	if best == nil {
		return nil, false
	}
	return best.tests, true
}

var profileLine = regexp.MustCompile(`^(.+):(\d+)\.(\d+),(\d+)\.(\d+) \d+ (\d+)$`)

// coverage runs each test of the package alone with a coverage profile.
func coverage(info *pkgInfo) (*coverMap, map[string]time.Duration, error) {
	dir := filepath.Join(*workDir, "cover", strings.ReplaceAll(info.ImportPath, "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	bin := filepath.Join(dir, "test.bin")
	cmd := exec.Command("go", "test", "-c", "-vet=off", "-cover", "-covermode=set", "-coverpkg="+info.ImportPath, "-o", bin, ".")
	cmd.Dir = info.Dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, nil, fmt.Errorf("building coverage binary: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-test.list", ".*").Output()
	if err != nil {
		return nil, nil, fmt.Errorf("listing tests: %w", err)
	}
	var tests []string
	for _, t := range strings.Fields(string(out)) {
		if strings.HasPrefix(t, "Test") || strings.HasPrefix(t, "Example") || strings.HasPrefix(t, "Fuzz") {
			tests = append(tests, t)
		}
	}
	cm := &coverMap{blocks: map[string][]block{}}
	index := map[string]int{}
	durations := map[string]time.Duration{}
	rel, _ := filepath.Rel(info.Root, info.Dir)
	for _, t := range tests {
		prof := filepath.Join(dir, "cover.out")
		args := []string{"-test.run", "^" + t + "$", "-test.count=1", "-test.coverprofile", prof}
		if *short {
			args = append(args, "-test.short")
		}
		cmd := exec.Command(bin, args...)
		cmd.Dir = info.Dir
		start := time.Now()
		out, err := cmd.CombinedOutput()
		d := time.Since(start)
		if err != nil {
			fmt.Printf("   %s fails alone, not used: %v\n%s\n", t, err, lastLines(out, 5))
			continue
		}
		durations[t] = d
		cm.allTests = append(cm.allTests, t)
		b, err := os.ReadFile(prof)
		if err != nil {
			return nil, nil, err
		}
		for _, l := range strings.Split(string(b), "\n") {
			sm := profileLine.FindStringSubmatch(l)
			if sm == nil || sm[6] == "0" {
				continue
			}
			file := filepath.Join(rel, filepath.Base(sm[1]))
			k := l[:strings.LastIndexByte(l[:strings.LastIndexByte(l, ' ')], ' ')]
			i, ok := index[k]
			if !ok {
				atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
				cm.blocks[file] = append(cm.blocks[file], block{sl: atoi(sm[2]), sc: atoi(sm[3]), el: atoi(sm[4]), ec: atoi(sm[5])})
				i = len(cm.blocks[file]) - 1
				index[k] = i
			}
			cm.blocks[file][i].tests = append(cm.blocks[file][i].tests, t)
		}
	}
	// A block that no test executes is not in the map; so that testsAt
	// can tell "inside an unexecuted block" from "outside every block",
	// the zero-count blocks are added with no tests.
	b, err := os.ReadFile(filepath.Join(dir, "cover.out"))
	if err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			sm := profileLine.FindStringSubmatch(l)
			if sm == nil {
				continue
			}
			k := l[:strings.LastIndexByte(l[:strings.LastIndexByte(l, ' ')], ' ')]
			if _, ok := index[k]; ok {
				continue
			}
			file := filepath.Join(rel, filepath.Base(sm[1]))
			atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
			cm.blocks[file] = append(cm.blocks[file], block{sl: atoi(sm[2]), sc: atoi(sm[3]), el: atoi(sm[4]), ec: atoi(sm[5])})
			index[k] = len(cm.blocks[file]) - 1
		}
	}
	fmt.Printf("   %d tests, coverage map built\n", len(cm.allTests))
	return cm, durations, nil
}

func lastLines(b []byte, n int) string {
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

var failLine = regexp.MustCompile(`(?m)^--- FAIL: (\S+)`)

// testMutant builds the package's test binary with the mutant overlaid and
// runs the selected tests.
func testMutant(info *pkgInfo, m *mutant, src []byte, durations map[string]time.Duration, w int) {
	dir := filepath.Join(*workDir, "w"+strconv.Itoa(w))
	_ = os.MkdirAll(dir, 0o755)
	mutated := make([]byte, 0, len(src)+8)
	mutated = append(mutated, src[:m.Offset]...)
	mutated = append(mutated, m.Repl...)
	mutated = append(mutated, src[m.Offset+len(m.Orig):]...)
	mfile := filepath.Join(dir, filepath.Base(m.File))
	if err := os.WriteFile(mfile, mutated, 0o644); err != nil {
		fatal(err)
	}
	ov, _ := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(info.Root, m.File): mfile}})
	ovFile := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ovFile, ov, 0o644); err != nil {
		fatal(err)
	}
	bin := filepath.Join(dir, "test.bin")
	_ = os.Remove(bin)
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	cmd := exec.CommandContext(ctx, "go", "test", "-c", "-vet=off", "-overlay", ovFile, "-o", bin, ".")
	cmd.Dir = info.Dir
	out, err := cmd.CombinedOutput()
	cancel()
	if err != nil {
		m.Status = statusNotViable
		m.Killer = lastLines(out, 2)
		return
	}
	var total time.Duration
	for _, t := range m.Tests {
		total += durations[t]
	}
	timeout := min(*maxTestTimeout, max(*minTestTimeout, time.Duration(*timeoutFactor)*total))
	args := []string{"-test.run", "^(" + strings.Join(m.Tests, "|") + ")$", "-test.count=1", "-test.failfast", "-test.timeout", (timeout + 10*time.Second).String()}
	if *short {
		args = append(args, "-test.short")
	}
	ctx, cancel = context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd = exec.CommandContext(ctx, bin, args...)
	cmd.Dir = info.Dir
	out, err = runWatched(ctx, cancel, cmd)
	classify(ctx, m, out, err)
}

// runWatched runs cmd, cancelling ctx when the process has used almost no
// CPU for idleLimit: a mutant that deadlocks is then reported TIMED OUT
// after seconds rather than after its whole timeout.
func runWatched(ctx context.Context, cancel context.CancelFunc, cmd *exec.Cmd) ([]byte, error) {
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done, stop := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		// A window opens at a reading; if it gains more than
		// idleTicks it reopens there, and if idleLimit passes without
		// that, the process is hung.
		start, opened := cpuTicks(cmd.Process.Pid), time.Now()
		t := time.NewTicker(idlePoll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-stop:
				return
			case <-t.C:
			}
			now := cpuTicks(cmd.Process.Pid)
			if now < 0 {
				return
			}
			if now-start > idleTicks {
				start, opened = now, time.Now()
			} else if time.Since(opened) >= *idleLimit {
				cancel()
				return
			}
		}
	}()
	err := cmd.Wait()
	close(stop)
	<-done
	return buf.Bytes(), err
}

// Idle detection: a process that gains at most idleTicks clock ticks (of
// 10 ms) in idleLimit is hung. A process starved by a loaded machine still
// gains some: at nice 10 against a dozen busy processes per CPU, about one
// tick a second.
const (
	idlePoll  = 2 * time.Second
	idleTicks = 2
)

// cpuTicks returns the user+system clock ticks of process pid (Linux), or
// -1 if unknown.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// Fields after the parenthesised command: state is field 3, utime 14,
	// stime 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// classify sets m's status from its test run.
func classify(ctx context.Context, m *mutant, out []byte, err error) {
	switch {
	case ctx.Err() != nil || bytes.Contains(out, []byte("panic: test timed out")):
		m.Status = statusTimedOut
	case err != nil:
		m.Status = statusKilled
		if sm := failLine.FindSubmatch(out); sm != nil {
			m.Killer = string(sm[1])
		} else {
			m.Killer = lastLines(out, 1)
		}
	default:
		m.Status = statusLived
	}
}
