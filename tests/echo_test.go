package tests

import (
	"bufio"
	"io"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// echoProcess is cmd/echo running as a child process, its log lines
// delivered on a channel.
type echoProcess struct {
	cmd  *exec.Cmd
	logs chan string
	addr string
	exit chan error
}

func startEcho(t *testing.T, bin string, args ...string) *echoProcess {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &echoProcess{cmd: cmd, logs: make(chan string, 1000), exit: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.logs <- sc.Text()
		}
		close(p.logs)
		p.exit <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		for range p.logs {
		}
	})
	line := p.waitLog(t, "msg=Listening")
	i := strings.Index(line, "addr=")
	p.addr = strings.Fields(line[i+len("addr="):])[0]
	return p
}

// waitLog returns the first log line containing s.
func (p *echoProcess) waitLog(t *testing.T, s string) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-p.logs:
			if !ok {
				t.Fatalf("the server exited before logging %q", s)
			}
			if strings.Contains(line, s) {
				return line
			}
		case <-timeout:
			t.Fatalf("no log line with %q", s)
		}
	}
}

func (p *echoProcess) exitCode(t *testing.T) int {
	t.Helper()
	for range p.logs {
	}
	select {
	case err := <-p.exit:
		if err == nil {
			return 0
		}
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		t.Fatal(err)
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not exit")
	}
	return -1
}

func TestEchoProgramDrainsOnSIGTERM(t *testing.T) {
	bin := build(t, "echo")
	p := startEcho(t, bin, "0")
	c, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "ping\n")
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	got := make([]byte, 5)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "ping\n" {
		t.Fatalf("echo %q, %v", got, err)
	}
	io.WriteString(c, "in fli")
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.waitLog(t, "Shutting down")
	io.WriteString(c, "ght\n")
	rest, err := io.ReadAll(c)
	if err != nil || string(rest) != "in flight\n" {
		t.Fatalf("after SIGTERM got %q, %v; want the line in flight echoed, then EOF", rest, err)
	}
	if code := p.exitCode(t); code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
}

func TestEchoProgramSecondSignalExitsAtOnce(t *testing.T) {
	bin := build(t, "echo")
	p := startEcho(t, bin, "-drain-timeout", "1h", "0")
	c, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "never finished")
	p.waitLog(t, "Accepted connection")
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.waitLog(t, "Shutting down")
	p.cmd.Process.Signal(syscall.SIGINT)
	p.waitLog(t, "Second signal")
	if code := p.exitCode(t); code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
}

func TestEchoProgramBadInput(t *testing.T) {
	bin := build(t, "echo")
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"port"}, `port "port" is not a number`},
		{[]string{"70000"}, `port "70000" is not a number from 0 to 65535`},
		{[]string{"-mode", "fibers"}, `unknown mode "fibers"`},
		{[]string{"-max-line", "-5"}, "-max-line must be positive"},
		{[]string{"-max-conns", "0"}, "-max-conns must be positive"},
		{[]string{"-log-level", "loud"}, `-log-level "loud"`},
		{[]string{"1", "2"}, "too many arguments"},
	} {
		_, stderr, code := runProgram(t, bin, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.msg) || strings.Count(stderr, "\n") != 1 || strings.Contains(stderr, "goroutine ") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and one line with %q", tc.args, code, stderr, tc.msg)
		}
	}
}

func TestEchoProgramAddressInUse(t *testing.T) {
	bin := build(t, "echo")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	_, stderr, code := runProgram(t, bin, port)
	if code != 1 || !strings.Contains(stderr, "address already in use") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q; want 1 and one line saying the address is in use", code, stderr)
	}
}
