package echo

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The reading order in doc.go names every file of the package, and only
// files that exist.
func TestReadingOrderNamesEveryFile(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	_, order, ok := strings.Cut(string(doc), "// Reading order")
	if !ok {
		t.Fatal("doc.go has no reading order")
	}
	named := map[string]bool{}
	for _, f := range regexp.MustCompile(`\b\w+\.go\b`).FindAllString(order, -1) {
		named[f] = true
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, e := range entries {
		if f := e.Name(); strings.HasSuffix(f, ".go") && !strings.HasSuffix(f, "_test.go") {
			files[f] = true
			if !named[f] {
				t.Errorf("doc.go's reading order does not name %s", f)
			}
		}
	}
	for f := range named {
		if !files[f] {
			t.Errorf("doc.go's reading order names %s, which is not a file of the package", f)
		}
	}
}
