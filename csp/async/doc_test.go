package async

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The package doc's reading order names every file of the package but the
// tests, and no file that is not there.
func TestDocNamesEveryFile(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var named []string
	for _, m := range regexp.MustCompile(`(?m)^//\t(\w+\.go) `).FindAllSubmatch(doc, -1) {
		named = append(named, string(m[1]))
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") && n != "doc.go" {
			files = append(files, n)
		}
	}
	slices.Sort(files)
	sorted := slices.Sorted(slices.Values(named))
	if !slices.Equal(sorted, files) {
		t.Errorf("doc.go's reading order names\n\t%v\nthe package's files are\n\t%v", sorted, files)
	}
}
