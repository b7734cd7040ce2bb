package tests

import (
	"errors"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the module root, one level above this package.
const repoRoot = ".."

// TestChannelOnly enforces the channel-only rule: no non-test Go file in the
// library packages, the internal packages or the programs imports sync or
// sync/atomic. The exceptions are cmd/mutexguard, which shows the pitfall
// of sync.Mutex, and internal/baseline, the conventional servers that
// benchmarks compare against.
func TestChannelOnly(t *testing.T) {
	exempt := map[string]bool{"cmd/mutexguard": true, "internal/baseline": true}
	checked := map[string]int{}
	for _, dir := range []string{"csp", "echo", "h2o", "inbox", "cmd", "internal"} {
		root := filepath.Join(repoRoot, dir)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if path == root && errors.Is(err, fs.ErrNotExist) {
					return filepath.SkipDir
				}
				return err
			}
			rel, _ := filepath.Rel(repoRoot, path)
			rel = filepath.ToSlash(rel)
			if d.IsDir() {
				if exempt[rel] || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				t.Errorf("%s: %v", rel, err)
				return nil
			}
			checked[dir]++
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if p == "sync" || p == "sync/atomic" {
					t.Errorf("%s imports %q: the channel-only rule allows sync only in tests, cmd/mutexguard and internal/baseline", rel, p)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{"csp", "inbox", "cmd", "internal"} {
		if checked[dir] == 0 {
			t.Fatalf("no Go files found in %s: is the test running from the tests folder?", dir)
		}
	}
}
