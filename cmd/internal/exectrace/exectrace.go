// Package exectrace writes an execution trace (runtime/trace) to a file
// for the programs' -exectrace flag: `go tool trace FILE` then shows the
// goroutines, and, for the tasks of package async, each task as a
// user-defined task and each of its polls as a region (see csp/async's
// trace.go).
package exectrace

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime/trace"
)

// Start creates path and starts tracing into it. The returned stop ends
// the trace and closes the file; call it once the work to trace is done.
func Start(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return func() error {
		trace.Stop()
		return f.Close()
	}, nil
}

// Check reads the trace at path and reports an error unless it begins
// with the Go execution trace header ("go 1.N trace") and contains every
// one of names (task names, region names, log messages, which a trace
// keeps as strings).
func Check(path string, names ...string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	head := data[:min(16, len(data))]
	if !bytes.HasPrefix(head, []byte("go 1.")) || !bytes.Contains(head, []byte(" trace\x00")) {
		return fmt.Errorf("%s: starts %q, not with the Go execution trace header", path, head)
	}
	var missing []error
	for _, n := range names {
		if !bytes.Contains(data, []byte(n)) {
			missing = append(missing, fmt.Errorf("%s: no %q in the trace", path, n))
		}
	}
	return errors.Join(missing...)
}

// Parsed returns the events of the trace at path as `go tool trace
// -d=parsed` prints them, one per line (TaskBegin ... Type="name",
// RegionBegin ... Type="poll", Log ... Category="wake" ...): the check that
// the toolchain's own parser reads the file. It needs the go command.
func Parsed(path string) (string, error) {
	out, err := exec.Command("go", "tool", "trace", "-d=parsed", path).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go tool trace -d=parsed %s: %v: %s", path, err, out)
	}
	return string(out), nil
}
