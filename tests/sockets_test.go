package tests

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Every package whose tests import net runs them through
// tcptest.VerifyTestMain: while they run, their clients (and those of the
// programs they start) cannot draw the echo server's default port from
// the ephemeral range, so `go run ./cmd/echo` starts right after the
// tests; and after them, a socket left open fails the run.
func TestEveryTCPPackageUsesTCPTest(t *testing.T) {
	usesNet := map[string]bool{}  // package folder: a test file imports net
	verifies := map[string]bool{} // package folder: a test file calls VerifyTestMain
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != repoRoot && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "rust") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		dir, _ := filepath.Rel(repoRoot, filepath.Dir(path))
		dir = filepath.ToSlash(dir)
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "net" {
				usesNet[dir] = true
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch fun := call.Fun.(type) {
			case *ast.SelectorExpr:
				if x, ok := fun.X.(*ast.Ident); ok && x.Name == "tcptest" && fun.Sel.Name == "VerifyTestMain" {
					verifies[dir] = true
				}
			case *ast.Ident: // tcptest's own tests
				if f.Name.Name == "tcptest" && fun.Name == "VerifyTestMain" {
					verifies[dir] = true
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !usesNet["echo"] || !usesNet["tests"] {
		t.Fatalf("found no test importing net in echo or tests (%v): is the test running from the tests folder?", usesNet)
	}
	for dir := range usesNet {
		if !verifies[dir] {
			t.Errorf("%s: its tests import net, but its TestMain does not call tcptest.VerifyTestMain(m, echo.DefaultAddr)", dir)
		}
	}
}
