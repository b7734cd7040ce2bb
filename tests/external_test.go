package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestExternalModule keeps chansync usable as a library: it writes a module
// of its own in a temporary folder, whose main (testdata/external/main.go)
// imports csp and csp/async, uses a Semaphore and a Group, and spawns a
// future it defines itself on an executor. A replace directive points the
// module at this checkout, so an API that only the repository's own
// packages can reach (an internal package, an unexported type in a
// signature) fails here.
//
// It needs no network: the temporary module requires exactly what
// chansync's go.mod requires and carries chansync's go.sum, GOPROXY is off,
// and the module cache holds every dependency once `go mod download` has
// run in the main module (as .ci/run does).
func TestExternalModule(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}

	// What the main module requires, read by the go command itself.
	edit := exec.Command(goBin, "mod", "edit", "-json")
	edit.Dir = root
	out, err := edit.Output()
	if err != nil {
		t.Fatalf("go mod edit -json: %v", err)
	}
	var mainMod struct {
		Module  struct{ Path string }
		Go      string
		Require []struct{ Path, Version string }
	}
	if err := json.Unmarshal(out, &mainMod); err != nil {
		t.Fatalf("go mod edit -json: %v", err)
	}
	if mainMod.Module.Path != "github.com/chansync/chansync" {
		t.Fatalf("main module is %q, want github.com/chansync/chansync", mainMod.Module.Path)
	}

	dir := t.TempDir()
	var mod strings.Builder
	fmt.Fprintf(&mod, "module example.com/external\n\ngo %s\n\nrequire (\n", mainMod.Go)
	fmt.Fprintf(&mod, "\tgithub.com/chansync/chansync v0.0.0\n")
	for _, r := range mainMod.Require {
		fmt.Fprintf(&mod, "\t%s %s\n", r.Path, r.Version)
	}
	fmt.Fprintf(&mod, ")\n\nreplace github.com/chansync/chansync => %s\n", quoteModPath(root))
	externalWrite(t, filepath.Join(dir, "go.mod"), []byte(mod.String()))
	externalWrite(t, filepath.Join(dir, "go.sum"), externalRead(t, filepath.Join(root, "go.sum")))
	externalWrite(t, filepath.Join(dir, "main.go"), externalRead(t, filepath.Join("testdata", "external", "main.go")))

	bin := filepath.Join(dir, "external")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command(goBin, "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build of the external module: %v\n%s\ngo.mod:\n%s", err, out, mod.String())
	}

	stdout, stderr, code := runProgram(t, bin)
	if code != 0 {
		t.Fatalf("external program exited with status %d\nstderr:\n%s", code, stderr)
	}
	const want = "sum of squares: 30\ntask: liftoff <nil>\n"
	if stdout != want {
		t.Errorf("external program printed\n%s\nwant\n%s\nstderr:\n%s", stdout, want, stderr)
	}
}

// quoteModPath quotes a filesystem path for a go.mod replace directive when
// it holds characters that go.mod's syntax would split on.
func quoteModPath(p string) string {
	if strings.ContainsAny(p, " \t\"'`\\") {
		b, _ := json.Marshal(p)
		return string(b)
	}
	return p
}

func externalRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func externalWrite(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
