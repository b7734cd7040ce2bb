// Package report writes what a measuring program printed to a markdown
// file (the programs' -report FILE), under a header that says where, when
// and how it was measured: the processor, the number of CPUs, the system,
// the Go version, the date and the command line. A table copied from such a
// file into the docs keeps its provenance.
//
// A program checks the file with Check before it measures, so that a bad
// path fails at once, gathers its output with Tee while it runs, and
// writes the file with Write once it has finished. A run that fails half
// way writes nothing, and an earlier report of the same name survives it.
package report

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/chansync/chansync/internal/procfs"
)

// Check reports whether a report could be written at path, without
// writing it: path is not a directory, and its directory exists and takes
// new files.
func Check(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".report-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %v", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// A Report gathers a program's output for its report file.
type Report struct {
	path  string
	title string
	cmd   string
	body  bytes.Buffer
}

// New returns a report to be written at path, titled title, of the
// command line name args.
func New(path, title, name string, args []string) *Report {
	return &Report{path: path, title: title, cmd: CommandLine(name, args)}
}

// Path is where the report is written.
func (r *Report) Path() string { return r.path }

// Tee returns a writer that writes to w and to the report.
func (r *Report) Tee(w io.Writer) io.Writer {
	return io.MultiWriter(w, &r.body)
}

// Header is the report's header, as Write puts it above the output.
func (r *Report) Header(date time.Time) string {
	model := cmp.Or(procfs.CPUModel(), "unknown processor")
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", r.title)
	fmt.Fprintf(&b, "- Machine: %s, %d CPUs, %s/%s\n", model, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "- Go: %s\n", runtime.Version())
	fmt.Fprintf(&b, "- Date: %s\n", date.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- Command: `%s`\n\n", r.cmd)
	return b.String()
}

// Write writes the header and the output gathered so far to the report's
// file. The file appears whole or not at all: it is written under a
// temporary name in the same directory and renamed.
func (r *Report) Write() error {
	tmp, err := os.CreateTemp(filepath.Dir(r.path), ".report-*.md")
	if err != nil {
		return fmt.Errorf("writing the report %s: %v", r.path, err)
	}
	_, err = io.WriteString(tmp, r.Header(time.Now()))
	if err == nil {
		_, err = tmp.Write(r.body.Bytes())
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), r.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing the report %s: %v", r.path, err)
	}
	return nil
}

// CommandLine writes the command line of program name with args as a
// shell would take it back. Under `go run`, whose executable lives in a
// temporary build directory, it is written as `go run ./cmd/NAME`, the
// command that reproduces it; otherwise as the program's name.
func CommandLine(name string, args []string) string {
	return commandLine(os.Args[0], name, args)
}

func commandLine(exe, name string, args []string) string {
	words := []string{name}
	if underGoRun(exe) {
		words = []string{"go", "run", "./cmd/" + name}
	}
	for _, a := range args {
		words = append(words, shellQuote(a))
	}
	return strings.Join(words, " ")
}

// underGoRun reports whether exe is an executable that `go run` built: it
// lies in a go-build directory under the temporary directory.
func underGoRun(exe string) bool {
	return strings.Contains(filepath.ToSlash(exe), "/go-build") && strings.Contains(filepath.ToSlash(exe), "/exe/")
}

// shellQuote quotes s for a POSIX shell, unless it needs none.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,@%+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
