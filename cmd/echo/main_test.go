package main

import (
	"bytes"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chansync/chansync/echo"
	"github.com/chansync/chansync/internal/tcptest"
)

func TestMain(m *testing.M) {
	tcptest.VerifyTestMain(m, echo.DefaultAddr)
}

func TestParse(t *testing.T) {
	opts, err := parse([]string{"-addr", "0.0.0.0:1", "-idle-timeout", "1m", "-mode", "thread", "50001"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg := opts.cfg; cfg.Addr != "0.0.0.0:50001" || cfg.IdleTimeout != time.Minute || cfg.Mode != "thread" || opts.drain != 10*time.Second {
		t.Fatalf("parsed %+v", opts)
	}
	opts, err = parse([]string{"-mode", "reactor"}, io.Discard)
	if err != nil || opts.cfg.Mode != "reactor" {
		t.Fatalf("-mode reactor: %+v, %v", opts, err)
	}
	opts, err = parse(nil, io.Discard)
	if cfg := opts.cfg; err != nil || cfg.Addr != "127.0.0.1:50000" || cfg.MaxLineBytes != 64<<10 || cfg.MaxConns != 10000 ||
		opts.debugAddr != "" || cfg.Observer != nil {
		t.Fatalf("defaults: %+v, %v", opts, err)
	}
	opts, err = parse([]string{"-debug-addr", "127.0.0.1:9090"}, io.Discard)
	if err != nil || opts.debugAddr != "127.0.0.1:9090" || opts.debugLatency {
		t.Fatalf("-debug-addr: %+v, %v", opts, err)
	}
	opts, err = parse([]string{"-debug-addr", "127.0.0.1:9090", "-debug-latency"}, io.Discard)
	if err != nil || opts.debugAddr != "127.0.0.1:9090" || !opts.debugLatency || opts.debugTasks {
		t.Fatalf("-debug-addr: %+v, %v", opts, err)
	}
	opts, err = parse([]string{"-mode", "reactor", "-debug-addr", "127.0.0.1:9090", "-debug-tasks"}, io.Discard)
	if err != nil || !opts.debugTasks {
		t.Fatalf("-debug-tasks: %+v, %v", opts, err)
	}
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"-mode", "reactor"}, 0},
		{[]string{"-mode", "reactor", "-helpers", "0"}, 0},
		{[]string{"-mode", "reactor", "-helpers", "3"}, 3},
	} {
		if opts, err := parse(c.args, io.Discard); err != nil || opts.cfg.Helpers != c.want {
			t.Errorf("parse(%q): Helpers %d, %v; want %d", c.args, opts.cfg.Helpers, err, c.want)
		}
	}
	for _, args := range [][]string{{"-addr", "nocolon", "1"}, {"-1"}, {"65536"}, {"-write-timeout", "0s"}, {"-debug-addr", "9090"}, {"-debug-latency"},
		{"-debug-tasks", "-mode", "reactor"}, {"-debug-addr", "127.0.0.1:9090", "-debug-tasks"},
		{"-helpers", "0"}, {"-mode", "reactor", "-helpers", "-1"}} {
		if _, err := parse(args, io.Discard); err == nil {
			t.Errorf("parse(%q) accepted bad input", args)
		}
	}
}

// A port in use ends the program with status 1 and three lines: what
// happened, how to pick another port, and to wait a minute if the port was
// only just released. The port is held by a listener, and then by the
// client end of a connection with nothing listening on the port, which is
// what a test run's clients leave behind, in TIME_WAIT, for a minute.
func TestListenOnAPortInUse(t *testing.T) {
	holders := map[string]func(t *testing.T) (port int){
		"listener": func(t *testing.T) int {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			return ln.Addr().(*net.TCPAddr).Port
		},
		"client": func(t *testing.T) int {
			srv, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			// Bound before it connects, to a port the kernel picks free.
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}}
			c, err := d.Dial("tcp", srv.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			s, err := srv.Accept()
			if err != nil {
				c.Close()
				t.Fatal(err)
			}
			t.Cleanup(func() {
				// Resets: no TIME_WAIT is left on the port.
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
				s.(*net.TCPConn).SetLinger(0)
				s.Close()
			})
			return c.LocalAddr().(*net.TCPAddr).Port
		},
	}
	for name, hold := range holders {
		t.Run(name, func(t *testing.T) {
			port := hold(t)
			var stdout, stderr bytes.Buffer
			code := run([]string{strconv.Itoa(port)}, &stdout, &stderr, nil)
			addr := "127.0.0.1:" + strconv.Itoa(port)
			want := []string{
				"echo: cannot listen on " + addr + ": the port is in use (bind: ",
				"echo: to listen on another port, give it as the argument: go run ./cmd/echo " + strconv.Itoa(port+1),
				"echo: if the port was only just released (a server or a test run stopped within the last minute), wait a minute and try again",
			}
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			if code != 1 || stdout.Len() != 0 || len(lines) != len(want) {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant 1, nothing, and %d lines", code, stdout.String(), stderr.String(), len(want))
			}
			for i, w := range want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("line %d: %q, want it to begin %q", i+1, lines[i], w)
				}
			}
		})
	}
}

// The highest port's neighbour is below it; another failure is said as it
// is, in one line.
func TestListenError(t *testing.T) {
	inUse := &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
	if msg := listenError("127.0.0.1:65535", inUse); !strings.Contains(msg, "go run ./cmd/echo 65534\n") {
		t.Fatalf("got %q, want it to suggest port 65534", msg)
	}
	denied := &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EACCES)}
	if msg, want := listenError("127.0.0.1:80", denied), "echo: listen tcp: bind: permission denied\n"; msg != want {
		t.Fatalf("got %q, want %q", msg, want)
	}
}
