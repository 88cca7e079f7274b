// Tests of the repository as a whole: every exported name has a doc
// comment.
package signal_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportedNamesHaveDocComments parses every non-test Go file of the
// repository (the root module and the modules in vectors, interop and
// bench, where present) and fails on an exported function, method of an
// exported type, type, constant or variable without a doc comment. A constant or variable in a documented
// group, or with a comment on its line, counts as documented; struct
// fields and interface methods are not checked. Package main is skipped.
func TestExportedNamesHaveDocComments(t *testing.T) {
	var missing []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." {
				base := d.Name()
				if strings.HasPrefix(base, ".") || base == "testdata" {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		missing = append(missing, undocumented(t, path)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range missing {
		t.Errorf("no doc comment: %s", m)
	}
}

func undocumented(t *testing.T, path string) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name.Name == "main" || ast.IsGenerated(f) {
		return nil
	}
	var out []string
	report := func(pos token.Pos, name string) {
		out = append(out, fset.Position(pos).String()+": "+name)
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() || d.Doc != nil {
				continue
			}
			if d.Recv == nil {
				report(d.Pos(), d.Name.Name)
			} else if recv := receiverType(d.Recv.List[0].Type); ast.IsExported(recv) {
				report(d.Pos(), recv+"."+d.Name.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() && s.Doc == nil && (d.Doc == nil || len(d.Specs) > 1) {
						report(s.Pos(), s.Name.Name)
					}
				case *ast.ValueSpec:
					if s.Doc != nil || s.Comment != nil || d.Doc != nil {
						continue
					}
					for _, n := range s.Names {
						if n.IsExported() {
							report(n.Pos(), n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

// receiverType returns the name of a method's receiver type.
func receiverType(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// TestUndocumentedFinds: the check reports what it should and nothing else.
func TestUndocumentedFinds(t *testing.T) {
	src := `package p

// Documented is documented.
func Documented() {}
func Bare() {}
type T struct{}
func (T) M() {}
func (*T) N() {}
// O is documented.
func (T) O() {}
type u struct{}
func (u) Hidden() {}
// Group is documented.
const (
	A = 1
	B = 2
)
var (
	C = 3 // C has a line comment.
	D = 4
	e = 5
)
type (
	// Ok is documented.
	Ok int
	Bad int
)
`
	path := filepath.Join(t.TempDir(), "p.go")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range undocumented(t, path) {
		got = append(got, m[strings.LastIndex(m, " ")+1:])
	}
	if want := "Bare T T.M T.N D Bad"; strings.Join(got, " ") != want {
		t.Fatalf("reported %q, want %q", strings.Join(got, " "), want)
	}
}
