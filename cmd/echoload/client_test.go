//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chansync/chansync/internal/baseline"
)

// Each connection of the thread client holds an OS thread of its own
// while it waits for its echo; the goroutine client's connections share
// a few. (The goroutine client goes first: the runtime keeps the threads
// the thread client made, idle, for later.)
func TestThreadClientRunsAThreadPerConnection(t *testing.T) {
	const conns = 40
	for _, client := range []string{clientGoroutine, clientThread} {
		arrived := make(chan struct{}, conns)
		release := make(chan struct{})
		addr := serveWith(t, func(c net.Conn) {
			buf := make([]byte, 64)
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			arrived <- struct{}{}
			<-release
			c.Write(buf)
		})
		before := threadCount(t)
		results := make(chan result)
		go func() {
			results <- runLoad(context.Background(), loadConfig{addr: addr, conns: conns, lines: conns, size: 64, pipeline: 1, client: client})
		}()
		for range conns {
			<-arrived
		}
		// Every connection has sent its line and waits for the echo.
		threads := threadCount(t)
		close(release)
		if res := <-results; res.Lines != conns || len(res.Errors) != 0 {
			t.Fatalf("%s: %d lines, errors %v", client, res.Lines, res.Errors)
		}
		if client == clientThread && threads < conns {
			t.Errorf("thread client: %d threads while %d connections waited", threads, conns)
		}
		if client == clientGoroutine && threads-before >= conns/2 {
			t.Errorf("goroutine client: %d threads more while %d connections waited; want far fewer", threads-before, conns)
		}
	}
}

// threadCount is how many threads this process has.
func threadCount(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no Threads line in /proc/self/status")
	return 0
}

// A refused connection is an error of its kind for either client.
func TestLoadReportsRefusedDials(t *testing.T) {
	ln := listen(t)
	addr := ln.Addr().String()
	ln.Close()
	for _, client := range clients() {
		res := runLoad(context.Background(), loadConfig{addr: addr, conns: 2, lines: 10, size: 64, pipeline: 1, client: client})
		if res.Errors["dial: connection refused"] != 2 || res.Lines != 0 {
			t.Errorf("%s client: errors %v; want 2 × dial: connection refused", client, res.Errors)
		}
	}
}

// stallingServer echoes the first echoed lines of each connection, tells
// stalled, and then reads on without answering.
func stallingServer(t *testing.T, echoed int, stalled chan<- struct{}) string {
	return serveWith(t, func(c net.Conn) {
		buf := make([]byte, 64)
		for range echoed {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			c.Write(buf)
		}
		stalled <- struct{}{}
		io.Copy(io.Discard, c)
	})
}

// A thread blocked in read(2) or write(2) when the run ends, or when an
// interrupt cuts it short, is woken, and what it waited for is no error.
func TestThreadClientEndsBlockedWaits(t *testing.T) {
	const conns, echoed = 3, 5
	stalled := make(chan struct{}, conns)
	// Blocked in read: the server has stopped answering.
	addr := stallingServer(t, echoed, stalled)
	res := runLoad(context.Background(), loadConfig{addr: addr, conns: conns, duration: 300 * time.Millisecond, size: 64, pipeline: 1, client: clientThread})
	if res.Lines != conns*echoed || len(res.Errors) != 0 || res.Interrupted {
		t.Errorf("run by duration: %d lines, errors %v, interrupted %v; want %d, none, false", res.Lines, res.Errors, res.Interrupted, conns*echoed)
	}
	for range conns {
		<-stalled
	}

	ctx, cancel := context.WithCancel(context.Background())
	results := make(chan result)
	go func() {
		results <- runLoad(ctx, loadConfig{addr: addr, conns: conns, lines: 1_000_000, size: 64, pipeline: 1, client: clientThread})
	}()
	for range conns {
		<-stalled
	}
	cancel()
	res = <-results
	if res.Lines != conns*echoed || len(res.Errors) != 0 || !res.Interrupted {
		t.Errorf("interrupted: %d lines, errors %v, interrupted %v; want %d, none, true", res.Lines, res.Errors, res.Interrupted, conns*echoed)
	}

	// Blocked in write: a line far larger than the socket buffers, to a
	// server that reads nothing until the run is over.
	over := make(chan struct{})
	deaf := serveWith(t, func(c net.Conn) {
		<-over
		io.Copy(io.Discard, c)
	})
	res = runLoad(context.Background(), loadConfig{addr: deaf, conns: 1, duration: 300 * time.Millisecond, size: 32 << 20, pipeline: 1, client: clientThread})
	close(over)
	if res.Lines != 0 || len(res.Errors) != 0 {
		t.Errorf("blocked write: %d lines, errors %v; want 0, none", res.Lines, res.Errors)
	}
}

// -client thread gives the same report through run, which says which
// client ran, and -json too.
func TestThreadClientReport(t *testing.T) {
	ln := listen(t)
	go baseline.ServeEcho(ln)
	defer ln.Close()
	procs := runtime.GOMAXPROCS(0)
	var out, errb bytes.Buffer
	if code := run([]string{"-addr", ln.Addr().String(), "-client", "thread", "-c", "3", "-n", "300"}, &out, &errb, noInterrupts); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if after := runtime.GOMAXPROCS(0); after != procs {
		t.Errorf("GOMAXPROCS %d after the run, %d before: the thread client's setting outlived it", after, procs)
	}
	for _, want := range []string{"3 connections, 64-byte lines: 300 lines", "client: an OS thread per connection, blocking read and write", "errors: none"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run([]string{"-addr", ln.Addr().String(), "-client", "thread", "-c", "2", "-n", "40", "-json"}, &out, &errb, noInterrupts); code != 0 {
		t.Fatalf("-json: exit %d: %s", code, errb.String())
	}
	var res result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.Client != clientThread || res.Lines != 40 || len(res.Errors) != 0 {
		t.Fatalf("-json: %v: %s", err, out.String())
	}
}
