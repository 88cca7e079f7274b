package main

// Mutant schemata: every mutant of a package compiled into one test binary,
// each behind a switch on an environment variable, so that a mutant costs a
// process start and its tests instead of a compile and a link. A mutated
// expression e (op) f becomes
//
//	func() T { switch zzMutantActive { case 7: return (e) op' (f) }; return (e) op (f) }()
//
// which evaluates e and f once, in the same order, whichever branch runs.
// The types come from go/types over the export data of the dependencies.
// A site that does not type-check in this form (a constant expression, a
// type the file cannot name, a loop whose termination changes) is left
// alone, and its mutants are built one at a time as before.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// schemataEnv names the environment variable holding the active mutant.
const schemataEnv = "MUTATION_ACTIVE"

// maxSchemataRounds bounds the type-check-and-drop iterations.
const maxSchemataRounds = 50

// typeCheck type-checks the package's files against the export data of its
// dependencies.
func typeCheck(info *pkgInfo, fset *token.FileSet, files []*ast.File) (*types.Package, *types.Info, []error) {
	if info.exports == nil {
		info.exports = map[string]string{}
		// os and strconv: the schemata helper file imports them.
		out, err := exec.Command("go", "list", "-export", "-deps", "-f", "{{if .Export}}{{.ImportPath}}={{.Export}}{{end}}", info.Dir, "os", "strconv").Output()
		if err != nil {
			return nil, nil, []error{fmt.Errorf("go list -export: %w", err)}
		}
		for _, l := range strings.Split(string(out), "\n") {
			if k, v, ok := strings.Cut(l, "="); ok {
				info.exports[k] = v
			}
		}
	}
	exports := info.exports
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	var errs []error
	conf := types.Config{Importer: imp, Error: func(err error) { errs = append(errs, err) }}
	ti := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	pkg, _ := conf.Check(info.ImportPath, fset, files, ti)
	return pkg, ti, errs
}

// site is one mutated node with all its mutants.
type site struct {
	node       ast.Node
	start, end int // offsets in the original file
	muts       []*mutant
	typ        string // the type the closure returns
	// Offsets of this site's text in the rewritten file.
	outStart, outEnd int
}

type fileRewrite struct {
	rel   string
	src   []byte
	fset  *token.FileSet
	sites []*site // sorted by start, then by end descending
	out   *bytes.Buffer
	log   []*site // sites in the order they were rewritten
}

// render writes src[start:end] with the outermost sites inside it rewritten.
func (fr *fileRewrite) render(start, end int) {
	pos := start
	for _, s := range fr.sites {
		if s.start < pos || s.end > end {
			continue
		}
		fr.out.Write(fr.src[pos:s.start])
		fr.rewrite(s)
		pos = s.end
	}
	fr.out.Write(fr.src[pos:end])
}

// operand is a rendered operand and the sites rewritten inside it, whose
// output offsets are relative to the operand's text.
type operand struct {
	text   string
	nested []*site
}

func (fr *fileRewrite) sub(n ast.Node) operand {
	saved := fr.out
	fr.out = new(bytes.Buffer)
	first := len(fr.log)
	fr.render(fr.off(n.Pos()), fr.off(n.End()))
	op := operand{text: fr.out.String(), nested: fr.log[first:len(fr.log):len(fr.log)]}
	fr.out = saved
	return op
}

// place writes an operand; the first copy of it is where its nested sites'
// offsets point (an error in any copy has the same cause).
func (fr *fileRewrite) place(op operand, first bool) {
	if first {
		for _, s := range op.nested {
			s.outStart += fr.out.Len()
			s.outEnd += fr.out.Len()
		}
	}
	fr.out.WriteString(op.text)
}

func (fr *fileRewrite) off(p token.Pos) int { return fr.fset.Position(p).Offset }

func (fr *fileRewrite) rewrite(s *site) {
	fr.log = append(fr.log, s)
	var x, y operand
	switch n := s.node.(type) {
	case *ast.BinaryExpr:
		x, y = fr.sub(n.X), fr.sub(n.Y)
	case *ast.UnaryExpr:
		x = fr.sub(n.X)
	case *ast.IncDecStmt:
		x = fr.sub(n.X)
	case *ast.AssignStmt:
		x, y = fr.sub(n.Lhs[0]), fr.sub(n.Rhs[0])
	}
	w := fr.out
	s.outStart = w.Len()
	m := s.muts[0]
	switch n := s.node.(type) {
	case *ast.BinaryExpr:
		fmt.Fprintf(w, "func() %s { switch zzMutantActive {", s.typ)
		for i, m := range s.muts {
			fmt.Fprintf(w, " case %d: return (", m.num)
			fr.place(x, i == 0)
			fmt.Fprintf(w, ") %s (", m.Repl)
			fr.place(y, i == 0)
			w.WriteString(");")
		}
		w.WriteString(" }; return (")
		fr.place(x, false)
		fmt.Fprintf(w, ") %s (", n.Op)
		fr.place(y, false)
		w.WriteString(") }()")
	case *ast.UnaryExpr:
		fmt.Fprintf(w, "func() %s { if zzMutantActive == %d { return +(", s.typ, m.num)
		fr.place(x, true)
		w.WriteString(") }; return -(")
		fr.place(x, false)
		w.WriteString(") }()")
	case *ast.IncDecStmt:
		op, mop := "+", "-"
		if n.Tok == token.DEC {
			op, mop = mop, op
		}
		fr.place(x, true)
		fmt.Fprintf(w, " = func() %s { if zzMutantActive == %d { return (", s.typ, m.num)
		fr.place(x, false)
		fmt.Fprintf(w, ") %s 1 }; return (", mop)
		fr.place(x, false)
		fmt.Fprintf(w, ") %s 1 }()", op)
	case *ast.AssignStmt:
		fr.place(x, true)
		fmt.Fprintf(w, " = func() %s { if zzMutantActive == %d { return (", s.typ, m.num)
		fr.place(y, true)
		w.WriteString(") }; return (")
		fr.place(x, false)
		fmt.Fprintf(w, ") %s (", strings.TrimSuffix(n.Tok.String(), "="))
		fr.place(y, false)
		w.WriteString(") }()")
	case *ast.BranchStmt:
		fmt.Fprintf(w, "if zzMutantActive == %d { %s } else { %s }", m.num, m.Repl, m.Orig)
	default:
		panic(fmt.Sprintf("unexpected site %T", n))
	}
	s.outEnd = w.Len()
}

// simpleLHS reports whether e can be evaluated twice without a difference.
func simpleLHS(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return true
	case *ast.SelectorExpr:
		return simpleLHS(e.X)
	case *ast.IndexExpr:
		if !simpleLHS(e.X) {
			return false
		}
		switch i := e.Index.(type) {
		case *ast.Ident, *ast.BasicLit:
			return true
		case *ast.BinaryExpr:
			_, a := i.X.(*ast.Ident)
			_, b := i.Y.(*ast.BasicLit)
			return a && b
		}
	case *ast.StarExpr:
		return simpleLHS(e.X)
	case *ast.ParenExpr:
		return simpleLHS(e.X)
	}
	return false
}

// schemata is a package's schemata binary.
type schemata struct {
	bin    string
	unsafe map[string]bool // tests that fail on the unmutated schemata binary
}

// buildSchemata builds the schemata binary for muts (which it numbers and
// marks) and returns it, or nil and the reason when no binary could be made.
func buildSchemata(info *pkgInfo, fset *token.FileSet, files []*ast.File, sources map[string][]byte, muts []*mutant, durations map[string]time.Duration) (*schemata, error) {
	pkg, ti, errs := typeCheck(info, fset, files)
	if len(errs) > 0 {
		return nil, fmt.Errorf("type-checking the package: %v", errs[0])
	}
	// Group mutants into sites, per file.
	byFile := map[string]*fileRewrite{}
	siteOf := map[ast.Node]*site{}
	imports := map[string]map[string]string{} // file -> path -> name
	for _, f := range files {
		rel := fset.Position(f.Pos()).Filename
		m := map[string]string{}
		for _, is := range f.Imports {
			path, _ := strconv.Unquote(is.Path.Value)
			if is.Name != nil {
				m[path] = is.Name.Name
			} else if p := pkg.Imports(); p != nil {
				for _, ip := range p {
					if ip.Path() == path {
						m[path] = ip.Name()
					}
				}
			}
		}
		imports[rel] = m
	}
	n := 0
	for _, m := range muts {
		rel := m.File
		fr := byFile[rel]
		if fr == nil {
			fr = &fileRewrite{rel: rel, src: sources[rel], fset: fset}
			byFile[rel] = fr
		}
		s := siteOf[m.node]
		if s == nil {
			qual := func(p *types.Package) string {
				if p == pkg {
					return ""
				}
				if name, ok := imports[rel][p.Path()]; ok {
					return name
				}
				return p.Name()
			}
			var typ types.Type
			switch nd := m.node.(type) {
			case *ast.BinaryExpr:
				tv := ti.Types[nd]
				if tv.Value != nil {
					continue // constant: not in the schemata
				}
				typ = tv.Type
			case *ast.UnaryExpr:
				tv := ti.Types[nd]
				if tv.Value != nil {
					continue
				}
				typ = tv.Type
			case *ast.IncDecStmt:
				if !simpleLHS(nd.X) {
					continue
				}
				typ = ti.Types[nd.X].Type
			case *ast.AssignStmt:
				if !simpleLHS(nd.Lhs[0]) {
					continue
				}
				typ = ti.Types[nd.Lhs[0]].Type
			case *ast.BranchStmt:
			default:
				continue
			}
			ts := ""
			if typ != nil {
				if b, ok := typ.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
					if b.Kind() != types.UntypedBool {
						continue
					}
					typ = types.Typ[types.Bool]
				}
				ts = types.TypeString(typ, qual)
			}
			s = &site{node: m.node, start: fset.Position(m.node.Pos()).Offset, end: fset.Position(m.node.End()).Offset, typ: ts}
			siteOf[m.node] = s
			fr.sites = append(fr.sites, s)
		}
		n++
		m.num = n
		s.muts = append(s.muts, m)
	}
	for _, fr := range byFile {
		sort.Slice(fr.sites, func(i, j int) bool {
			a, b := fr.sites[i], fr.sites[j]
			if a.start != b.start {
				return a.start < b.start
			}
			return a.end > b.end
		})
	}

	dir := filepath.Join(*workDir, "schemata", strings.ReplaceAll(info.ImportPath, "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	helper := fmt.Sprintf(`package %s

import (
	"os"
	"strconv"
)

// zzMutantActive is the mutant switched on in this process (0: none).
var zzMutantActive, _ = strconv.Atoi(os.Getenv(%q))
`, pkg.Name(), schemataEnv)
	helperPath := filepath.Join(info.Dir, "zz_mutation_schemata.go")
	rewritten := map[string][]byte{}
	for round := 0; ; round++ {
		// Rewrite, then type-check the rewritten package; drop the sites
		// the errors point into, and go again.
		rfset := token.NewFileSet()
		var rfiles []*ast.File
		for _, f := range files {
			rel := fset.Position(f.Pos()).Filename
			src := sources[rel]
			if fr := byFile[rel]; fr != nil && len(fr.sites) > 0 {
				fr.out, fr.log = new(bytes.Buffer), nil
				fr.render(0, len(src))
				src = bytes.Clone(fr.out.Bytes())
			}
			rewritten[rel] = src
			af, err := parser.ParseFile(rfset, rel, src, parser.SkipObjectResolution)
			if err != nil {
				return nil, fmt.Errorf("rewritten %s does not parse: %w", rel, err)
			}
			rfiles = append(rfiles, af)
		}
		hf, err := parser.ParseFile(rfset, "zz_mutation_schemata.go", helper, 0)
		if err != nil {
			return nil, err
		}
		rfiles = append(rfiles, hf)
		_, _, errs := typeCheck(info, rfset, rfiles)
		if len(errs) == 0 {
			break
		}
		if round == maxSchemataRounds {
			return nil, fmt.Errorf("still %d type errors after %d rounds: %v", len(errs), round, errs[0])
		}
		dropped := 0
		for _, e := range errs {
			var te types.Error
			if !errors.As(e, &te) {
				return nil, e
			}
			p := te.Fset.Position(te.Pos)
			fr := byFile[p.Filename]
			if fr == nil {
				return nil, fmt.Errorf("type error outside the mutated files: %v", e)
			}
			var best *site
			for _, s := range fr.sites {
				if p.Offset >= s.outStart && p.Offset < s.outEnd && (best == nil || s.outStart >= best.outStart) {
					best = s
				}
			}
			if best == nil {
				return nil, fmt.Errorf("type error outside every site: %v", e)
			}
			for i, s := range fr.sites {
				if s == best {
					fr.sites = append(fr.sites[:i], fr.sites[i+1:]...)
					dropped++
					break
				}
			}
		}
		if dropped == 0 {
			return nil, fmt.Errorf("type errors without a site: %v", errs[0])
		}
	}
	repl := map[string]string{}
	for rel, src := range rewritten {
		p := filepath.Join(dir, filepath.Base(rel))
		if err := os.WriteFile(p, src, 0o644); err != nil {
			return nil, err
		}
		repl[filepath.Join(info.Root, rel)] = p
	}
	hp := filepath.Join(dir, "zz_mutation_schemata.go")
	if err := os.WriteFile(hp, []byte(helper), 0o644); err != nil {
		return nil, err
	}
	repl[helperPath] = hp
	ov, _ := json.Marshal(map[string]map[string]string{"Replace": repl})
	ovFile := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ovFile, ov, 0o644); err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "test.bin")
	cmd := exec.Command("go", "test", "-c", "-vet=off", "-overlay", ovFile, "-o", bin, ".")
	cmd.Dir = info.Dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the schemata binary: %v\n%s", err, lastLines(out, 10))
	}
	inSchemata := 0
	for _, fr := range byFile {
		for _, s := range fr.sites {
			for _, m := range s.muts {
				m.Schemata = true
				inSchemata++
			}
		}
	}
	// The unmutated schemata binary must pass the tests; those it fails
	// (an allocation count, say) are run the slow way.
	sch := &schemata{bin: bin, unsafe: map[string]bool{}}
	var total time.Duration
	for _, d := range durations {
		total += d
	}
	args := []string{"-test.count=1", "-test.timeout", (max(*minTestTimeout, time.Duration(*timeoutFactor)*total) + 5*time.Minute).String()}
	if *short {
		args = append(args, "-test.short")
	}
	cmd = exec.Command(bin, args...)
	cmd.Dir = info.Dir
	cmd.Env = append(os.Environ(), schemataEnv+"=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		for _, sm := range failLine.FindAllSubmatch(out, -1) {
			name, _, _ := strings.Cut(string(sm[1]), "/")
			sch.unsafe[name] = true
		}
		if len(sch.unsafe) == 0 {
			return nil, fmt.Errorf("the unmutated schemata binary fails: %v\n%s", err, lastLines(out, 10))
		}
		fmt.Printf("   tests failing on the unmutated schemata binary (run per mutant instead): %v\n", keys(sch.unsafe))
	}
	fmt.Printf("   schemata binary: %d of %d mutants\n", inSchemata, len(muts))
	return sch, nil
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// runSchemata runs m's tests on the schemata binary with m switched on.
func runSchemata(info *pkgInfo, sch *schemata, m *mutant, durations map[string]time.Duration) {
	// The quickest tests first, in one process; the slow ones only if the
	// mutant survives them (most mutants die in the first group).
	var fast, slow []string
	for _, t := range m.Tests {
		if durations[t] <= *fastTest {
			fast = append(fast, t)
		} else {
			slow = append(slow, t)
		}
	}
	for _, group := range [][]string{fast, slow} {
		if len(group) == 0 {
			continue
		}
		runSchemataTests(info, sch, m, group, durations)
		if m.Status != statusLived {
			return
		}
	}
}

func runSchemataTests(info *pkgInfo, sch *schemata, m *mutant, tests []string, durations map[string]time.Duration) {
	var total time.Duration
	for _, t := range tests {
		total += durations[t]
	}
	timeout := min(*maxTestTimeout, max(*minTestTimeout, time.Duration(*timeoutFactor)*total))
	args := []string{"-test.run", "^(" + strings.Join(tests, "|") + ")$", "-test.count=1", "-test.failfast", "-test.timeout", (timeout + 10*time.Second).String()}
	if *short {
		args = append(args, "-test.short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, sch.bin, args...)
	cmd.Dir = info.Dir
	cmd.Env = append(os.Environ(), schemataEnv+"="+strconv.Itoa(m.num))
	out, err := runWatched(ctx, cancel, cmd)
	classify(ctx, m, out, err)
}
