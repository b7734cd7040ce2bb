package tests

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
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

// echoModes are the server modes the end-to-end tests run against; a new
// mode is added here. Reactor mode runs on Linux only.
var echoModes = func() []string {
	modes := []string{"goroutine", "thread", "sequential"}
	if runtime.GOOS == "linux" {
		modes = append(modes, "reactor")
	}
	return modes
}()

// echoModesExcept returns echoModes without the modes given.
func echoModesExcept(except ...string) []string {
	return slices.DeleteFunc(slices.Clone(echoModes), func(m string) bool { return slices.Contains(except, m) })
}

// forEachEchoMode runs test as a subtest for each of modes.
func forEachEchoMode(t *testing.T, modes []string, test func(t *testing.T, mode string)) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) { test(t, mode) })
	}
}

// A client's line in flight when SIGTERM arrives is finished and echoed,
// then the connection ends cleanly and the server exits 0. The bytes
// already sent are not lost even when they wait unread in the server's
// socket at shutdown: here the server is stuck writing a large echo to a
// client that does not read yet, so it cannot have read them, whatever the
// timing.
func TestEchoProgramDrainsOnSIGTERM(t *testing.T) {
	forEachEchoMode(t, echoModes, func(t *testing.T, mode string) {
		size := echoBiggerThanSocketBuffers(t)
		p := startEcho(t, build(t, "echo"), "-mode", mode, "-max-line", strconv.Itoa(2*size), "0")
		c := dialTCP(t, p.addr)
		c.SetReadBuffer(64 << 10)
		big := append(bytes.Repeat([]byte("b"), size-1), '\n')
		if _, err := c.Write(big); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		echo := make([]byte, len(big))
		if _, err := io.ReadFull(c, echo[:1]); err != nil { // the server is writing the echo
			t.Fatal(err)
		}
		io.WriteString(c, "one\nin fli")
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.waitLog(t, "Shutting down")
		waitRefused(t, p.addr) // the server has stopped accepting: the shutdown has begun

		if _, err := io.ReadFull(c, echo[1:]); err != nil || !bytes.Equal(echo, big) {
			t.Fatalf("the echo being written at SIGTERM: %v (equal %v)", err, bytes.Equal(echo, big))
		}
		io.WriteString(c, "ght\n")
		rest, err := io.ReadAll(c)
		if err != nil || string(rest) != "one\nin flight\n" {
			t.Fatalf("after SIGTERM got %q, %v; want the lines in flight echoed, then EOF", rest, err)
		}
		c.Close()
		if code := p.exitCode(t); code != 0 {
			t.Fatalf("exit status %d, want 0", code)
		}
	})
}

// The same with many clients and no trick: each has half a line sent when
// SIGTERM arrives, and each must get its line back, then EOF.
func TestEchoProgramDrainsManyClientsOnSIGTERM(t *testing.T) {
	const clients = 50
	// The sequential mode serves one client at a time.
	forEachEchoMode(t, echoModesExcept("sequential"), func(t *testing.T, mode string) {
		p := startEcho(t, build(t, "echo"), "-mode", mode, "0")
		conns := make([]*net.TCPConn, clients)
		for i := range conns {
			conns[i] = dialTCP(t, p.addr)
			fmt.Fprintf(conns[i], "ping %d\n", i)
			conns[i].SetReadDeadline(time.Now().Add(30 * time.Second))
			want := fmt.Sprintf("ping %d\n", i)
			got := make([]byte, len(want))
			if _, err := io.ReadFull(conns[i], got); err != nil || string(got) != want {
				t.Fatalf("client %d: echo %q, %v", i, got, err)
			}
		}
		for _, c := range conns {
			io.WriteString(c, "in fli")
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.waitLog(t, "Shutting down")
		lost := 0
		for i, c := range conns {
			fmt.Fprintf(c, "ght %d\n", i)
			rest, err := io.ReadAll(c)
			if want := fmt.Sprintf("in flight %d\n", i); err != nil || string(rest) != want {
				t.Errorf("client %d: after SIGTERM got %q, %v; want %q, then EOF", i, rest, err, want)
				lost++
			}
			c.Close()
		}
		if lost > 0 {
			t.Errorf("%d of %d lines in flight lost", lost, clients)
		}
		if code := p.exitCode(t); code != 0 {
			t.Fatalf("exit status %d, want 0", code)
		}
	})
}

// A thousand clients in the middle of their exchanges when SIGTERM
// arrives: each gets its line answered and then EOF, closes at once, and
// the server exits as soon as their hang-ups arrive. The linger is set to
// 30 s, so a hang-up whose readiness the server lost would keep it there,
// far beyond the bound, however busy the machine.
func TestEchoProgramExitsPromptlyWithAThousandClientsOnSIGTERM(t *testing.T) {
	const clients = 1000
	const linger = 30 * time.Second
	forEachEchoMode(t, echoModesExcept("sequential"), func(t *testing.T, mode string) {
		p := startEcho(t, build(t, "echo"), "-mode", mode, "-max-conns", strconv.Itoa(2*clients),
			"-linger-timeout", linger.String(), "-drain-timeout", (2 * linger).String(), "0")
		shuttingDown := make(chan struct{})
		go func() { // the server logs every connection: keep its pipe flowing
			for line := range p.logs {
				if strings.Contains(line, "Shutting down") {
					close(shuttingDown)
				}
			}
		}()
		running := make(chan struct{}, clients)
		failed := make(chan error, clients)
		for range clients {
			c := dialTCP(t, p.addr)
			go func() {
				defer c.Close() // at EOF, as a client does
				c.SetDeadline(time.Now().Add(2 * linger))
				line := []byte("ping\n")
				buf := make([]byte, len(line))
				for n := 0; ; n++ {
					if n == 1 {
						running <- struct{}{}
					}
					if _, err := c.Write(line); err != nil {
						return // the server ended the stream
					}
					if _, err := io.ReadFull(c, buf); err != nil {
						if err != io.EOF {
							failed <- err
						}
						return
					}
				}
			}()
		}
		for range clients {
			<-running
		}
		start := time.Now()
		p.cmd.Process.Signal(syscall.SIGTERM)
		var err error
		select {
		case err = <-p.exit:
		case <-time.After(2 * linger):
			t.Fatalf("the server did not exit within %v of SIGTERM", 2*linger)
		}
		took := time.Since(start)
		<-shuttingDown
		t.Logf("%s: exited %v after SIGTERM with %d active clients", mode, took.Round(time.Millisecond), clients)
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
		if took > linger/3 {
			t.Errorf("the server took %v to exit: some connection waited for the linger to end", took.Round(time.Millisecond))
		}
		select {
		case err := <-failed:
			t.Errorf("a client: %v", err)
		default:
		}
	})
}

// echoBiggerThanSocketBuffers returns a line length that the kernel cannot
// hold in a server's send buffer and a client's receive buffer together, so
// that a server echoing it to a client that does not read stays in its
// write: twice the most a TCP send buffer may grow to, plus a MiB.
func echoBiggerThanSocketBuffers(t *testing.T) int {
	t.Helper()
	maxSend := 4 << 20
	if b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_wmem"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 3 {
			if n, err := strconv.Atoi(f[2]); err == nil {
				maxSend = n
			}
		}
	}
	return 2*maxSend + 1<<20
}

func dialTCP(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// waitRefused waits until connecting to addr is refused.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestEchoProgramSecondSignalExitsAtOnce(t *testing.T) {
	bin := build(t, "echo")
	forEachEchoMode(t, echoModes, func(t *testing.T, mode string) {
		p := startEcho(t, bin, "-mode", mode, "-drain-timeout", "1h", "0")
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
	})
}

func TestEchoProgramBadInput(t *testing.T) {
	bin := build(t, "echo")
	type badInput struct {
		args []string
		msg  string
	}
	cases := []badInput{
		{[]string{"port"}, `port "port" is not a number`},
		{[]string{"70000"}, `port "70000" is not a number from 0 to 65535`},
		{[]string{"-mode", "fibers"}, `unknown mode "fibers"`},
		{[]string{"-max-line", "-5"}, "-max-line must be positive"},
		{[]string{"-max-conns", "0"}, "-max-conns must be positive"},
		{[]string{"-log-level", "loud"}, `-log-level "loud"`},
		{[]string{"1", "2"}, "too many arguments"},
		{[]string{"-debug-addr", "nocolon"}, `-debug-addr "nocolon"`},
		{[]string{"-debug-latency"}, "-debug-latency needs -debug-addr"},
	}
	if runtime.GOOS != "linux" {
		cases = append(cases, badInput{[]string{"-mode", "reactor"}, "reactor mode needs Linux"})
	}
	for _, tc := range cases {
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
	if code != 1 || !strings.Contains(stderr, "the port is in use") || !strings.Contains(stderr, "go run ./cmd/echo ") ||
		!strings.Contains(stderr, "wait a minute") || strings.Count(stderr, "\n") != 3 || strings.Contains(stderr, "goroutine ") {
		t.Fatalf("exit %d, stderr %q; want 1 and three lines: the port is in use, how to give another, and to wait a minute", code, stderr)
	}
}
