package main

import (
	"bytes"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/chansync/chansync/internal/baseline"
	"go.uber.org/goleak"
)

// TestMain doubles as a server child when -compare re-executes this test
// binary.
func TestMain(m *testing.M) {
	if kind := os.Getenv(serverEnv); kind != "" {
		os.Exit(serveChild(kind, os.Stdin, os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(m)
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// serveWith runs handle on every connection to a fresh listener until the
// test ends, and waits for every handler before the test's goleak check.
func serveWith(t *testing.T, handle func(net.Conn)) string {
	ln := listen(t)
	done := make(chan struct{})
	handlers := make(chan chan struct{}, 1000)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h := make(chan struct{})
			handlers <- h
			go func() { defer close(h); defer c.Close(); handle(c) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		close(handlers)
		for h := range handlers {
			<-h
		}
	})
	return ln.Addr().String()
}

func TestLoadCountsLinesAndChecksThem(t *testing.T) {
	ln := listen(t)
	go baseline.ServeEcho(ln)
	defer ln.Close()
	for _, pipeline := range []int{1, 4} {
		res := runLoad(loadConfig{addr: ln.Addr().String(), conns: 7, lines: 1000, size: 100, pipeline: pipeline})
		if res.Lines != 1000 || len(res.Errors) != 0 || res.Served != 7 {
			t.Fatalf("pipeline %d: %d lines, %d served, errors %v; want 1000, 7, none", pipeline, res.Lines, res.Served, res.Errors)
		}
		if !(res.P50 > 0 && res.P50 <= res.P90 && res.P90 <= res.P99 && res.P99 <= res.P999 && res.P999 <= res.Max) {
			t.Fatalf("percentiles out of order: %+v", res)
		}
	}
}

// A server that corrupts one byte in a hundred lines is caught.
func TestLoadCatchesMismatch(t *testing.T) {
	addr := serveWith(t, func(c net.Conn) {
		buf := make([]byte, 64)
		for i := 0; ; i++ {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			if i == 100 {
				buf[3] ^= 1
			}
			c.Write(buf)
		}
	})
	res := runLoad(loadConfig{addr: addr, conns: 1, lines: 500, size: 64, pipeline: 1})
	if res.Errors["mismatch"] != 1 || res.Lines != 100 {
		t.Fatalf("errors %v after %d lines; want one mismatch after 100", res.Errors, res.Lines)
	}
}

// A server that closes mid-echo, or answers with an ERR line, is reported
// as a short read, with the server's words when it said any.
func TestLoadReportsShortReads(t *testing.T) {
	addr := serveWith(t, func(c net.Conn) {
		io.ReadFull(c, make([]byte, 64))
		io.WriteString(c, "ERR server busy\n")
	})
	res := runLoad(loadConfig{addr: addr, conns: 3, lines: 30, size: 64, pipeline: 1})
	if res.Errors["short read: ERR server busy"] != 3 {
		t.Fatalf("errors %v, want 3 × short read: ERR server busy", res.Errors)
	}
	if res.Lines != 0 {
		t.Fatalf("%d lines counted, want 0", res.Lines)
	}
}

func TestLineDiffersByConnectionAndSequence(t *testing.T) {
	a := string(line(make([]byte, 0, 64), 1, 5))
	b := string(line(make([]byte, 0, 64), 2, 5))
	c := string(line(make([]byte, 0, 64), 1, 6))
	if a == b || a == c || len(a) != 64 || !strings.HasSuffix(a, "\n") || strings.Count(a, "\n") != 1 {
		t.Fatalf("lines %q %q %q", a, b, c)
	}
	if got := line(make([]byte, 0, 1), 3, 9); string(got) != "\n" {
		t.Fatalf("a 1-byte line is %q, want just the newline", got)
	}
}

func TestRunPrintsReport(t *testing.T) {
	ln := listen(t)
	go baseline.ServeEcho(ln)
	defer ln.Close()
	var out, errb bytes.Buffer
	code := run([]string{"-addr", ln.Addr().String(), "-c", "3", "-n", "300", "-size", "32"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"3 connections, 32-byte lines: 300 lines", "lines/s", "p99.9", "errors: none"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run([]string{"-addr", ln.Addr().String(), "-c", "2", "-n", "10", "-json"}, &out, &errb); code != 0 || !strings.Contains(out.String(), `"lines": 10`) {
		t.Fatalf("-json: exit %d, output %s", code, out.String())
	}
}

func TestRunFailsOnErrors(t *testing.T) {
	ln := listen(t)
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every dial is refused
	var out, errb bytes.Buffer
	if code := run([]string{"-addr", addr, "-c", "2", "-n", "10"}, &out, &errb); code != 1 || !strings.Contains(out.String(), "2 × dial: connection refused") {
		t.Fatalf("exit %d, report:\n%s", code, out.String())
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-c", "0"}, {"-size", "0"}, {"-pipeline", "0"}, {"-n", "-1"}, {"-idle", "-5"}, {"-d", "0s"}, {"stray"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 || !strings.HasPrefix(errb.String(), "echoload: ") {
			t.Errorf("run(%q) = %d, stderr %q; want 2 and a message", args, code, errb.String())
		}
	}
}

func TestCheckFDs(t *testing.T) {
	if err := checkFDs(10); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no per-process file limit: checkFDs passes any count")
	}
	if err := checkFDs(1 << 30); err == nil || !strings.Contains(err.Error(), "ulimit -n") {
		t.Fatalf("checkFDs(huge) = %v, want advice to raise ulimit -n", err)
	}
}

// The server child serves each kind until its standard input closes.
func TestServerChild(t *testing.T) {
	for _, kind := range serverKinds {
		if kind == "reactor" && !reactorRuns() {
			continue // Linux only; echo's own tests check the refusal elsewhere
		}
		c, err := startChild(kind)
		if err != nil {
			t.Fatal(err)
		}
		res := runLoad(loadConfig{addr: c.addr, conns: 1, lines: 50, size: 64, pipeline: 1})
		rss, rerr := c.rssKiB()
		c.stop()
		if res.Lines != 50 || len(res.Errors) != 0 || rerr != nil || rss <= 0 {
			t.Errorf("%s: %d lines, errors %v, rss %v (%v)", kind, res.Lines, res.Errors, rss, rerr)
		}
	}
	var errb bytes.Buffer
	if code := serveChild("bogus", strings.NewReader(""), io.Discard, &errb); code != 2 {
		t.Errorf("unknown kind: exit %d", code)
	}

}
