package tests

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// build compiles the program in cmd/<name> into a temporary folder and
// returns the path of the binary.
func build(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/"+name)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/%s: %v\n%s", name, err, out)
	}
	return bin
}

// runProgram runs bin with args and returns its stdout, stderr and exit
// status. A failure to start the program fails the test.
func runProgram(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("running %s: %v", bin, err)
	}
	return out.String(), errb.String(), code
}

// Every program behaves alike on its command line: -h and -help print on
// stdout, first, one line saying what the program does, then the flags,
// and exit 0; an unknown flag exits 2 with one line on stderr naming it.
func TestBuildHelpAndBadFlag(t *testing.T) {
	for _, name := range []string{"echo", "echoload", "h2o", "mutexguard", "ctxswitch", "inbox", "vstokio"} {
		bin := build(t, name)
		for _, h := range []string{"-h", "-help"} {
			out, stderr, code := runProgram(t, bin, h)
			first, _, _ := strings.Cut(out, "\n")
			if code != 0 || stderr != "" || !strings.HasPrefix(first, name+" ") || !strings.HasSuffix(first, ".") || !strings.Contains(out, "\nFlags:\n  -") {
				t.Errorf("%s %s: exit %d, stderr %q, stdout:\n%s\nwant 0, nothing, a sentence on what it does, then the flags", name, h, code, stderr, out)
			}
		}
		out, stderr, code := runProgram(t, bin, "-no-such-flag")
		want := name + ": flag provided but not defined: -no-such-flag (see " + name + " -h)\n"
		if code != 2 || out != "" || stderr != want {
			t.Errorf("%s -no-such-flag: exit %d, stdout %q, stderr %q; want 2, nothing, %q", name, code, out, stderr, want)
		}
	}
}
