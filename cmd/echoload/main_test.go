package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/chansync/chansync/echo"
	"github.com/chansync/chansync/internal/baseline"
	"github.com/chansync/chansync/internal/tcptest"
)

// TestMain doubles as a server child when -compare re-executes this test
// binary.
func TestMain(m *testing.M) {
	serverChild.Become()
	tcptest.VerifyTestMain(m, echo.DefaultAddr)
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

// clients are the client modes that run on this system.
func clients() []string {
	if threadClientRuns {
		return []string{clientGoroutine, clientThread}
	}
	return []string{clientGoroutine}
}

func TestLoadCountsLinesAndChecksThem(t *testing.T) {
	ln := listen(t)
	go baseline.ServeEcho(ln)
	defer ln.Close()
	for _, client := range clients() {
		for _, pipeline := range []int{1, 4} {
			res := runLoad(context.Background(), loadConfig{addr: ln.Addr().String(), conns: 7, lines: 1000, size: 100, pipeline: pipeline, client: client})
			if res.Lines != 1000 || len(res.Errors) != 0 || res.Served != 7 || res.Client != client {
				t.Fatalf("%s client, pipeline %d: %d lines, %d served, errors %v, client %q; want 1000, 7, none, %[1]s", client, pipeline, res.Lines, res.Served, res.Errors, res.Client)
			}
			if !(res.P50 > 0 && res.P50 <= res.P90 && res.P90 <= res.P99 && res.P99 <= res.P999 && res.P999 <= res.Max) {
				t.Fatalf("percentiles out of order: %+v", res)
			}
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
	for _, client := range clients() {
		res := runLoad(context.Background(), loadConfig{addr: addr, conns: 1, lines: 500, size: 64, pipeline: 1, client: client})
		if res.Errors["mismatch"] != 1 || res.Lines != 100 {
			t.Fatalf("%s client: errors %v after %d lines; want one mismatch after 100", client, res.Errors, res.Lines)
		}
	}
}

// A server that closes mid-echo, or answers with an ERR line, is reported
// as a short read, with the server's words when it said any.
func TestLoadReportsShortReads(t *testing.T) {
	addr := serveWith(t, func(c net.Conn) {
		io.ReadFull(c, make([]byte, 64))
		io.WriteString(c, "ERR server busy\n")
	})
	for _, client := range clients() {
		res := runLoad(context.Background(), loadConfig{addr: addr, conns: 3, lines: 30, size: 64, pipeline: 1, client: client})
		if res.Errors["short read: ERR server busy"] != 3 {
			t.Fatalf("%s client: errors %v, want 3 × short read: ERR server busy", client, res.Errors)
		}
		if res.Lines != 0 {
			t.Fatalf("%s client: %d lines counted, want 0", client, res.Lines)
		}
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
	code := run([]string{"-addr", ln.Addr().String(), "-c", "3", "-n", "300", "-size", "32"}, &out, &errb, noInterrupts)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"3 connections, 32-byte lines: 300 lines", "lines/s", "p99.9", "errors: none"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	// Without -server-pid nothing is measured but the load.
	for _, unmeasured := range []string{"server CPU", "machine:"} {
		if strings.Contains(out.String(), unmeasured) {
			t.Errorf("without -server-pid, the report says %q:\n%s", unmeasured, out.String())
		}
	}
	out.Reset()
	if code := run([]string{"-addr", ln.Addr().String(), "-c", "2", "-n", "10", "-json"}, &out, &errb, noInterrupts); code != 0 || !strings.Contains(out.String(), `"lines": 10`) {
		t.Fatalf("-json: exit %d, output %s", code, out.String())
	}
	for _, unmeasured := range []string{"server_", "machine_"} {
		if strings.Contains(out.String(), unmeasured) {
			t.Errorf("without -server-pid, -json gives %s fields:\n%s", unmeasured, out.String())
		}
	}
}

// noInterrupts delivers no signal.
func noInterrupts() (<-chan os.Signal, func()) { return nil, func() {} }

// Errors met under load are reported by kind, and the exit status is 1.
func TestRunFailsOnErrors(t *testing.T) {
	// Reads the first line of each connection and closes it unanswered.
	addr := serveWith(t, func(c net.Conn) { io.ReadFull(c, make([]byte, 64)) })
	var out, errb bytes.Buffer
	if code := run([]string{"-addr", addr, "-c", "2", "-n", "10"}, &out, &errb, noInterrupts); code != 1 || !strings.Contains(out.String(), "2 × short read: connection closed") {
		t.Fatalf("exit %d, report:\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "served: 0 of 2 connections got an echo") {
		t.Errorf("the report does not say that no connection got an echo:\n%s", out.String())
	}
}

// Where nothing listens, a load run and -idle say so in one line, before
// any load, and exit 1.
func TestDeadAddress(t *testing.T) {
	ln := listen(t)
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every dial is refused
	for _, args := range [][]string{{"-c", "5", "-n", "100"}, {"-d", "1s", "-json"}, {"-idle", "3"}} {
		var out, errb bytes.Buffer
		code := run(append([]string{"-addr", addr}, args...), &out, &errb, noInterrupts)
		want := "echoload: cannot connect to " + addr + ": is cmd/echo running?\n"
		if code != 1 || out.Len() != 0 || errb.String() != want {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 1, nothing, %q", args, code, out.String(), errb.String(), want)
		}
	}
}

// SIGINT during a load run stops it and prints the report of what ran,
// marked as interrupted, with exit status 130; SIGTERM gives 143.
func TestInterruptPrintsWhatRan(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		args []string
	}{
		{syscall.SIGINT, 130, []string{"-d", "1m"}},
		{syscall.SIGTERM, 143, []string{"-n", "1000000000", "-json"}},
	} {
		// The server tells when it has echoed 100 lines: the load is then
		// under way, and the signal cuts it short.
		echoed := make(chan struct{})
		lines := make(chan int, 1)
		lines <- 0
		addr := serveWith(t, func(c net.Conn) {
			buf := make([]byte, 64)
			for {
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
				if _, err := c.Write(buf); err != nil {
					return
				}
				n := <-lines + 1
				if n == 100 {
					close(echoed)
				}
				lines <- n
			}
		})
		signals := make(chan os.Signal, 1)
		stopped := make(chan struct{}, 1)
		interrupts := func() (<-chan os.Signal, func()) {
			return signals, func() {
				select {
				case stopped <- struct{}{}:
				default:
				}
			}
		}
		var out, errb bytes.Buffer
		code := make(chan int)
		go func() { code <- run(append([]string{"-addr", addr, "-c", "4"}, tc.args...), &out, &errb, interrupts) }()
		<-echoed
		signals <- tc.sig
		if got := <-code; got != tc.code {
			t.Errorf("%v: exit %d, want %d\n%s%s", tc.sig, got, tc.code, out.String(), errb.String())
		}
		select {
		case <-stopped:
		default:
			t.Errorf("%v: the signals were never given back to their default action", tc.sig)
		}
		if tc.sig == syscall.SIGINT {
			report := out.String()
			if !strings.HasPrefix(report, "interrupted after ") || !strings.Contains(report, "errors: none") {
				t.Errorf("report:\n%s\nwant the interrupted run's, without errors", report)
			}
			continue
		}
		var res result
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out.String())
		}
		// Of the 100 lines echoed, one per connection may still have been
		// on its way back.
		if !res.Interrupted || res.Lines < 100-4 || len(res.Errors) != 0 || res.Active != 4 || res.Served < 1 {
			t.Errorf("result %+v, want interrupted after 96 lines or more, no errors", res)
		}
	}
}

// -h prints what the program does, how to call it and its flags, on
// stdout, and exits 0.
func TestHelp(t *testing.T) {
	for _, h := range []string{"-h", "-help"} {
		var out, errb bytes.Buffer
		code := run([]string{h}, &out, &errb, noInterrupts)
		first, _, _ := strings.Cut(out.String(), "\n")
		if code != 0 || errb.Len() != 0 || !strings.HasPrefix(first, "echoload is a closed-loop load generator") {
			t.Errorf("%s: exit %d, stderr %q, first line %q", h, code, errb.String(), first)
		}
		for _, want := range []string{"exit status", "130", "-compare-d 300ms -compare-reps 1", "\n  -report "} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s lacks %q:\n%s", h, want, out.String())
			}
		}
	}
}

// Bad values, and flags that do nothing in their company, fail at once in
// one line naming the problem.
func TestBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-c", "0"}, "-c must be at least 1"},
		{[]string{"-size", "0"}, "-size must be at least 1"},
		{[]string{"-pipeline", "0"}, "-pipeline must be at least 1"},
		{[]string{"-n", "-1"}, "-n must not be negative"},
		{[]string{"-idle", "-5"}, "-idle must not be negative"},
		{[]string{"-d", "0s"}, "need a positive -d or -n"},
		{[]string{"-compare", "-compare-d", "0s"}, "-compare-d must be positive"},
		{[]string{"-compare", "-compare-reps", "0"}, "-compare-reps must be at least 1"},
		{[]string{"stray"}, `unexpected argument "stray"`},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"-compare", "-c", "10"}, "-compare and -c do not go together: -compare runs its own load points"},
		{[]string{"-compare", "-n", "10"}, "-compare and -n do not go together"},
		{[]string{"-compare", "-size", "10"}, "-compare and -size do not go together"},
		{[]string{"-compare", "-d", "1s"}, "-compare and -d do not go together"},
		{[]string{"-compare", "-pipeline", "2"}, "-compare and -pipeline do not go together"},
		{[]string{"-compare", "-addr", "127.0.0.1:1"}, "-compare and -addr do not go together: -compare starts its own servers"},
		{[]string{"-compare", "-json"}, "-compare and -json do not go together"},
		{[]string{"-compare", "-quiet"}, "-compare and -quiet do not go together"},
		{[]string{"-compare", "-idle", "5"}, "-compare and -idle do not go together"},
		{[]string{"-compare", "-client", "thread"}, "-compare and -client do not go together: -compare runs its own load points"},
		{[]string{"-compare", "-server-pid", "1"}, "-compare and -server-pid do not go together: -compare starts its own servers, and measures them"},
		{[]string{"-idle", "5", "-client", "thread"}, "-idle and -client do not go together"},
		{[]string{"-idle", "5", "-server-pid", "1"}, "-idle and -server-pid do not go together: -idle sends no load"},
		{[]string{"-client", "fibre"}, `-client must be goroutine or thread, not "fibre"`},
		{[]string{"-server-pid", "0"}, "-server-pid must be a process id, at least 1"},
		{[]string{"-server-pid", "-7"}, "-server-pid must be a process id, at least 1"},
		{[]string{"-idle", "5", "-c", "3"}, "-idle and -c do not go together"},
		{[]string{"-idle", "5", "-n", "3"}, "-idle and -n do not go together"},
		{[]string{"-idle", "5", "-json"}, "-idle and -json do not go together"},
		{[]string{"-idle", "5", "-plot", dir}, "-idle and -plot do not go together"},
		{[]string{"-n", "10", "-d", "1s"}, "-n and -d do not go together: -n runs for a count of lines, -d for a time"},
		{[]string{"-json", "-quiet"}, "-json and -quiet do not go together: -json prints no progress bar"},
		{[]string{"-compare-d", "1s"}, "-compare-d needs -compare"},
		{[]string{"-compare-reps", "2"}, "-compare-reps needs -compare"},
		{[]string{"-report", filepath.Join(dir, "r.md")}, "-report needs -compare: it writes the comparison's tables"},
		{[]string{"-plot-format", "svg"}, "-plot-format needs -plot"},
		{[]string{"-compare", "-report", dir}, "-report: " + dir + " is a directory"},
		{[]string{"-compare", "-report", filepath.Join(dir, "missing", "r.md")}, "-report: cannot write in"},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb, noInterrupts)
		msg := errb.String()
		if code != 2 || out.Len() != 0 || !strings.HasPrefix(msg, "echoload: ") || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, tc.want) {
			t.Errorf("run(%q) = %d, stdout %q, stderr %q; want 2, nothing, one line saying %q", tc.args, code, out.String(), msg, tc.want)
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

// The server child serves each kind until its parent stops it.
func TestServerChild(t *testing.T) {
	ctx := context.Background()
	for _, kind := range serverKinds {
		if kind == "reactor" && !reactorRuns() {
			continue // Linux only; echo's own tests check the refusal elsewhere
		}
		p, addr, err := startServer(ctx, kind)
		if err != nil {
			t.Fatal(err)
		}
		res := runLoad(ctx, loadConfig{addr: addr, conns: 1, lines: 50, size: 64, pipeline: 1})
		rss, rerr := p.RSSKiB()
		if err := p.Stop(stopGrace); err != nil {
			t.Errorf("%s: stopped with %v, want status 0", kind, err)
		}
		if res.Lines != 50 || len(res.Errors) != 0 || rerr != nil || rss <= 0 {
			t.Errorf("%s: %d lines, errors %v, rss %v (%v)", kind, res.Lines, res.Errors, rss, rerr)
		}
	}
	if err := serveChild(ctx, "bogus", io.Discard); err == nil || !strings.Contains(err.Error(), `unknown server kind "bogus"`) {
		t.Errorf("unknown kind: %v, want an error naming it", err)
	}
}
