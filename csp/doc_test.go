package csp

import (
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The package doc's reading order names every non-test file of the
// package, and names no file that does not exist.
func TestDocReadingOrderNamesEveryFile(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "doc.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	doc := f.Doc.Text()
	_, order, ok := strings.Cut(doc, "Reading order")
	if !ok {
		t.Fatal("the package doc has no reading order")
	}
	named := map[string]bool{}
	for _, name := range regexp.MustCompile(`\b[a-z][a-z0-9_]*\.go\b`).FindAllString(order, -1) {
		named[name] = true
		if _, err := os.Stat(name); err != nil {
			t.Errorf("the reading order names %s: %v", name, err)
		}
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") && !named[name] {
			t.Errorf("the reading order does not name %s", name)
		}
	}
}
