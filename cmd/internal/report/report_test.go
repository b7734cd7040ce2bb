package report

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestWriteHeaderAndOutput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "results.md")
	if err := os.WriteFile(path, []byte("an earlier report\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Check(path); err != nil {
		t.Fatal(err)
	}
	r := New(path, "prog: a table", "prog", []string{"-n", "5", "-style", "a b"})
	var stdout strings.Builder
	fmt.Fprintln(r.Tee(&stdout), "| a | b |")
	if stdout.String() != "| a | b |\n" {
		t.Errorf("the tee wrote %q to its writer", stdout.String())
	}
	if err := r.Write(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{
		"# prog: a table\n\n",
		fmt.Sprintf(" %d CPUs, %s/%s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH),
		"- Go: " + runtime.Version() + "\n",
		"- Date: " + time.Now().UTC().Format("2006-01-02"),
		"- Command: `prog -n 5 -style 'a b'`\n\n| a | b |\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if !strings.HasPrefix(got, "# prog: a table\n\n- Machine: ") || !strings.HasSuffix(got, "\n\n| a | b |\n") {
		t.Errorf("report:\n%s\nwant the header, then the output", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the directory holds %v, want the report alone", entries)
	}
}

func TestCheckRefusesWhatCannotBeWritten(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		dir:                                   "is a directory",
		filepath.Join(dir, "missing", "r.md"): "cannot write in",
		filepath.Join(file, "r.md"):           "cannot write in",
	} {
		if err := Check(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check(%s) = %v, want an error saying %q", path, err, want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the checks left %v behind", entries)
	}
}

// A report whose directory has gone is an error, and leaves nothing.
func TestWriteFails(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := New(filepath.Join(dir, "r.md"), "t", "prog", nil)
	os.Remove(dir)
	if err := r.Write(); err == nil || !strings.Contains(err.Error(), "r.md") {
		t.Errorf("Write into a removed directory = %v, want an error naming the report", err)
	}
}

func TestCommandLine(t *testing.T) {
	for _, tc := range []struct {
		exe  string
		args []string
		want string
	}{
		{"/usr/local/bin/echoload", []string{"-compare", "-report", "docs/results/echoload.md"}, "echoload -compare -report docs/results/echoload.md"},
		{"/tmp/go-build2716/b001/exe/echoload", []string{"-compare-d", "300ms"}, "go run ./cmd/echoload -compare-d 300ms"},
		{"./echoload", []string{"-addr", "", "-x", "it's"}, `echoload -addr '' -x 'it'\''s'`},
	} {
		if got := commandLine(tc.exe, "echoload", tc.args); got != tc.want {
			t.Errorf("commandLine(%s, %q) = %q, want %q", tc.exe, tc.args, got, tc.want)
		}
	}
}
