package child

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/chansync/chansync/internal/procfs"
)

// A Process is a child that runs beside its parent, from Start until Stop.
type Process struct {
	cmd    *exec.Cmd
	stdin  io.Closer
	exited chan struct{} // closed once the child has exited and been waited for
	err    error         // how it ended, set before exited is closed
}

// Start starts the child with spec and waits until it has printed its
// first line, its ready line, which Start returns without its line
// ending; what the child prints after it is discarded. The child writes
// its standard error on this process's, since it may speak at any time
// while it runs. If the child exits before its ready line, Start says how
// it ended; if ctx ends first, Start kills the child and returns an error
// that wraps ctx.Err(). ctx bounds only the wait for the ready line: the
// child then runs until Stop, which every started Process needs.
func (r Role) Start(ctx context.Context, spec string) (p *Process, ready string, err error) {
	cmd, err := r.command(context.Background(), spec)
	if err != nil {
		return nil, "", err
	}
	lines := make(chan string, 1)
	cmd.Stdout = &firstLine{line: lines}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	p = &Process{cmd: cmd, stdin: stdin, exited: make(chan struct{})}
	go func() {
		defer close(p.exited)
		p.err = cmd.Wait()
	}()
	select {
	case ready = <-lines:
		return p, ready, nil
	case <-p.exited:
		// The line, if the child printed one before it exited, was sent
		// before Wait returned.
		select {
		case ready = <-lines:
			return p, ready, nil
		default:
		}
		return nil, "", fmt.Errorf("child %s=%s exited before its ready line: %v", r.Env, spec, exitText(p.err))
	case <-ctx.Done():
		cmd.Process.Kill()
		<-p.exited
		return nil, "", fmt.Errorf("child %s=%s: no ready line: %w", r.Env, spec, ctx.Err())
	}
}

// PID is the child's process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// RSSKiB is the child's resident set, in KiB.
func (p *Process) RSSKiB() (float64, error) {
	return procfs.RSSKiB(p.PID())
}

// CPUTime is the CPU time the child has used so far (procfs.CPUTime).
func (p *Process) CPUTime() (time.Duration, error) {
	return procfs.CPUTime(p.PID())
}

// Stop closes the child's standard input, its cue to end, and waits until
// it has exited; a child still running after grace is killed. Stop returns
// how the child ended: nil for status 0, else the error of exec.Cmd.Wait.
// A second Stop returns the same at once.
func (p *Process) Stop(grace time.Duration) error {
	p.stdin.Close()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.exited:
	case <-timer.C:
		p.cmd.Process.Kill()
		<-p.exited
	}
	return p.err
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// firstLine is a started child's standard output: it sends the first line
// written to it, without its line ending, on line, and discards the rest.
// Only exec.Cmd's copying goroutine writes to it.
type firstLine struct {
	buf  []byte
	line chan<- string // buffered for the one line; nil once it is sent
}

func (w *firstLine) Write(b []byte) (int, error) {
	if w.line == nil {
		return len(b), nil
	}
	w.buf = append(w.buf, b...)
	if i := bytes.IndexByte(w.buf, '\n'); i >= 0 {
		w.line <- strings.TrimSuffix(string(w.buf[:i]), "\r")
		w.line, w.buf = nil, nil
	}
	return len(b), nil
}
