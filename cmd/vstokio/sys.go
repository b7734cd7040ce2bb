package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// realSystem runs real programs.
type realSystem struct{}

func (realSystem) output(ctx context.Context, argv []string) ([]byte, error) {
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %v\n%s%s", strings.Join(argv, " "), err, out.Bytes(), errb.Bytes())
	}
	return out.Bytes(), nil
}

// readyWithin is how long a server has to accept its first connection.
const readyWithin = 10 * time.Second

func (realSystem) serve(ctx context.Context, argv func(port int) []string) (server, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	args := argv(port)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	p := &process{cmd: exec.Command(args[0], args[1:]...), exited: make(chan struct{})}
	p.cmd.Stderr = &p.stderr // the servers' output is shown only if they fail
	if err := p.cmd.Start(); err != nil {
		return nil, "", err
	}
	go func() {
		defer close(p.exited)
		p.err = p.cmd.Wait()
	}()
	deadline := time.Now().Add(readyWithin)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return p, addr, nil
		}
		select {
		case <-p.exited:
			return nil, "", fmt.Errorf("%s exited before it listened: %v\n%s", strings.Join(args, " "), p.err, p.stderr.Bytes())
		case <-ctx.Done():
			p.stop()
			return nil, "", ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, "", fmt.Errorf("%s did not listen on %s within %v", strings.Join(args, " "), addr, readyWithin)
		}
	}
}

// freePort returns a loopback port that nothing listened on a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// process is a server started by realSystem.serve.
type process struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer  // written by exec's copying goroutine until exited is closed
	exited chan struct{} // closed once the process has been waited for
	err    error         // how it ended, set before exited is closed
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// stopGrace is how long a server has to end after SIGTERM before it is
// killed.
const stopGrace = 10 * time.Second

// stop sends SIGTERM and waits; a server still running after stopGrace is
// killed. A server that ended before it was told to is an error.
func (p *process) stop() error {
	select {
	case <-p.exited:
		return fmt.Errorf("it exited while it was measured: %v\n%s", p.err, p.stderr.Bytes())
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopGrace):
		p.cmd.Process.Kill()
		<-p.exited
	}
	return nil
}
