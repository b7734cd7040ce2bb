//go:build !race

// The race detector enlarges every frame, so under -race a connection's
// goroutine needs more than its first stack whatever the code does: this
// file is built only without it. .ci/run runs it in a go test step of its
// own, without -race.

package echo

import (
	"bytes"
	"io"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
)

// An idle connection costs about 4 KiB in goroutine mode (README), and half
// of that is its goroutine's stack. It stays at its first 2 KiB on two
// conditions, both pinned here:
//
//   - The runtime starts new goroutines with the average stack in use at
//     the last collection plus a guard, rounded up to a power of two. With
//     idle connections making up nearly every goroutine, that must come to
//     2 KiB; it would be 4 KiB if an idle connection used more than about
//     1 KiB of its stack while it waits.
//   - Started at 2 KiB, a connection's goroutine must never need more,
//     under a read, a write or the wait for data. Stacks shrink only at a
//     collection, so with the collector off each goroutine keeps the
//     largest stack it has needed, and the stack memory in use counts
//     every connection's deepest moment.
//
// Each connection echoes a whole line, a line that arrives in two pieces
// (a partial line: the line timeout's deadline, a bigger read buffer) and a
// 10 KB line (several reads), and then waits, idle. The partial line is
// what first failed here: the read buffer grew from the bottom of the
// netpoller's frames, so a connection that had once read a line in pieces
// kept a 4 KiB stack for good.
func TestIdleConnectionKeepsItsFirstStack(t *testing.T) {
	const conns = 500
	const firstStack = 2048

	ln := probeListen(t)
	serveOn(t, Config{Mode: ModeGoroutine}, ln)
	long := append(bytes.Repeat([]byte("l"), 10_000), '\n')
	idleConns := func(n int) {
		for range n {
			c := dial(t, ln.Addr().String())
			server := ln.serverSide(c)
			// A whole line; a line in two pieces, the second sent once
			// the server has read the first; a line of several reads.
			for _, pieces := range [][]string{{"a short line\n"}, {"a line ", "in two pieces\n"}, {string(long)}} {
				for i, p := range pieces {
					if i > 0 {
						if err := awaitAllRead(server); err != nil {
							t.Fatal(err)
						}
					}
					if _, err := io.WriteString(c, p); err != nil {
						t.Fatal(err)
					}
				}
				line := strings.Join(pieces, "")
				if got := readN(t, c, len(line)); string(got) != line {
					t.Fatalf("echo differs: %d bytes", len(got))
				}
			}
		}
	}
	// One connection first, so that the serve loop's and the acceptor's
	// stacks have grown to what they need before any baseline.
	idleConns(1)
	waitIdle(t, 1)
	runtime.GC()
	scannedBefore := readMetric("/gc/scan/stack:bytes")

	idleConns(conns)
	waitIdle(t, 1+conns)
	runtime.GC()
	usedPerConn := float64(readMetric("/gc/scan/stack:bytes")-scannedBefore) / conns
	if got := readMetric("/gc/stack/starting-size:bytes"); got != firstStack {
		t.Fatalf("with %d idle connections, new goroutines start with %d bytes of stack, want %d: an idle connection uses %.0f bytes of its stack while it waits", conns, got, firstStack, usedPerConn)
	}

	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	before := stackInUse()
	idleConns(conns)
	waitIdle(t, 1+2*conns)
	perConn := float64(stackInUse()-before) / conns
	t.Logf("an idle connection uses %.0f bytes of stack as it waits; %d more connections added %.0f bytes of stacks each", usedPerConn, conns, perConn)
	if perConn > 1.5*firstStack {
		t.Fatalf("each connection's goroutine holds %.0f bytes of stack, want its first %d: a frame under a read, a write or the wait has grown", perConn, firstStack)
	}
}

func readMetric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func stackInUse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.StackInuse
}

// waitIdle waits until n connection goroutines wait for data in the
// netpoller: each has then been through its read, its write and its wait.
func waitIdle(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	buf := make([]byte, 8<<20)
	for {
		dump := string(buf[:runtime.Stack(buf, true)])
		waiting := 0
		for _, g := range strings.Split(dump, "\n\n") {
			if strings.Contains(g, "[IO wait") && strings.Contains(g, "echo.(*session).readRaw") {
				waiting++
			}
		}
		if waiting == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections wait for data, want %d", waiting, n)
		}
		time.Sleep(time.Millisecond)
	}
}
