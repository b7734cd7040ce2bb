package echo

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chansync/chansync/csp/async"
	"golang.org/x/sys/unix"
)

// In reactor mode a connection waiting for its client is a task and its
// socket: no goroutine, and no read buffer (the framer gives it back to the
// free list before the task waits). With 300 idle connections the server
// runs no more goroutines than with one, and the heap grows by far less
// than a read buffer (4 KiB) per connection: what it grows by is the task,
// the connection's entries in the reactor and the serve loop, and the test
// client's own side of each connection.
func TestReactorIdleConnectionHoldsNoGoroutineNorBuffer(t *testing.T) {
	const conns = 300
	_, addr, _ := tcpServer(t, Config{Mode: ModeReactor})
	echoOnce := func() {
		c := dial(t, addr)
		io.WriteString(c, "idle\n")
		if got := string(readN(t, c, 5)); got != "idle\n" {
			t.Fatalf("echo %q", got)
		}
	}
	echoOnce() // the server's executor and reactor are running now
	goroutines := runtime.NumGoroutine()
	heap := liveHeap()
	for range conns {
		echoOnce()
	}
	if added := runtime.NumGoroutine() - goroutines; added > 0 {
		t.Fatalf("%d idle connections added %d goroutines, want none", conns, added)
	}
	// Each task gives its buffer back right after its last read: wait for
	// the stragglers, a limited time.
	var perConn float64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if perConn = float64(liveHeap()-heap) / conns; perConn < 2048 {
			t.Logf("%.0f bytes of heap per idle connection, both ends", perConn)
			return
		}
	}
	t.Fatalf("%.0f bytes of heap per idle connection: a connection keeps its read buffer while it waits", perConn)
}

// liveHeap is the heap in use after a collection.
func liveHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// Reactor mode accepts on the listener's socket, so a listener without one
// is refused with an error that says so, and closed.
func TestReactorModeNeedsASocketListener(t *testing.T) {
	srv, _ := loggedServer(t, Config{Mode: ModeReactor})
	ln := newPipeListener()
	err := srv.Serve(context.Background(), ln)
	if err == nil || !strings.Contains(err.Error(), "socket") {
		t.Fatalf("Serve on a pipe listener = %v, want an error about the listener's socket", err)
	}
	if _, err := ln.Accept(); err == nil {
		t.Fatal("Serve left the listener open")
	}
}

// connByHand is one reactor-mode connection polled by the test itself, with
// no executor: its socket is one end of a socketpair, client the other.
// What happens between two polls (bytes arriving, the shutdown beginning)
// is then up to the test, in the order it chooses.
type connByHand struct {
	t      *testing.T
	srv    *Server
	book   *logBook
	c      *rconn
	client int
	waker  async.Waker // of every poll
}

func newConnByHand(t *testing.T, cfg Config) *connByHand {
	t.Helper()
	cfg.Mode = ModeReactor
	srv, book := loggedServer(t, cfg)
	r, err := async.NewReactor()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	rt := &reactorRuntime{s: srv, reactor: r}
	srv.limit.TryAcquire() // as the serve loop does
	h := &connByHand{t: t, srv: srv, book: book, client: fds[1],
		c:     &rconn{rt: rt, id: 1, fd: int32(fds[0]), start: srv.policy.now(), f: newFramer(srv.cfg.MaxLineBytes, readSize, srv.bufs)},
		waker: async.NewWaker(async.WakerFunc(func() {})),
	}
	t.Cleanup(func() {
		if h.c.state != closed {
			h.c.end(endClosedByServer, nil)
		}
		if h.client >= 0 {
			unix.Close(h.client)
		}
	})
	return h
}

// poll polls the connection once, with a full budget as an executor gives
// each poll, and reports whether it is over.
func (h *connByHand) poll() bool {
	_, over := h.c.Poll(async.NewContext(h.waker))
	return over
}

func (h *connByHand) send(s string) {
	if _, err := unix.Write(h.client, []byte(s)); err != nil {
		h.t.Fatal(err)
	}
}

// received returns what the client can read now, and whether it read the
// end of the stream.
func (h *connByHand) received() (string, bool) {
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := unix.Read(h.client, buf)
		switch {
		case n > 0:
			got = append(got, buf[:n]...)
		case err == unix.EAGAIN:
			return string(got), false
		case err == nil:
			return string(got), true
		default:
			h.t.Fatal(err)
		}
	}
}

// A connection that waits for its client, idle, when the shutdown begins is
// idle only if nothing has arrived: bytes that arrived before the shutdown
// (and that the connection has not read, not having been polled since) are
// a line begun, which it may finish, and have echoed, before it ends.
func TestReactorConnReadsWhatArrivedBeforeTheShutdown(t *testing.T) {
	h := newConnByHand(t, Config{})
	if h.poll() {
		t.Fatal("over at its first poll")
	}
	h.send("hel") // arrives; the connection is not polled
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h.srv.Shutdown(ctx) // not serving: it only begins the shutdown
	if h.poll() {
		t.Fatal("the shutdown ended a connection that had bytes waiting")
	}
	if got, eof := h.received(); got != "" || eof {
		t.Fatalf("after the shutdown's poll the client got %q (EOF %v), want nothing yet", got, eof)
	}
	h.send("lo\n")
	if h.poll() {
		t.Fatal("over before its client closed: it must linger")
	}
	if got, eof := h.received(); got != "hello\n" || !eof {
		t.Fatalf("the client got %q (EOF %v), want its line and then EOF", got, eof)
	}
	unix.Close(h.client)
	h.client = -1
	if !h.poll() {
		t.Fatal("still lingering after its client closed")
	}
	if r := h.book.endReasons()[1]; r != endShutdown.String() {
		t.Fatalf("reason %q, want shutdown", r)
	}
}

// A write that found the socket full is tried again when the socket is
// reported writable, not on every wake: bytes from the client wake the
// task too, and a try then would move the few bytes the client's reads
// have made room for (the socket is reported writable only once a good
// part of its buffer is free), so that a client that barely reads would
// keep restarting the write timeout. The room made by a client that reads
// everything is an edge the connection does not miss.
func TestReactorConnWritesAFullSocketOnlyOnceWritable(t *testing.T) {
	h := newConnByHand(t, Config{WriteTimeout: time.Hour, IdleTimeout: time.Hour})
	woken := make(chan struct{}, 1)
	h.waker = async.NewWaker(async.WakerFunc(func() {
		select {
		case woken <- struct{}{}:
		default:
		}
	}))
	awaitWake := func(what string) {
		t.Helper()
		select {
		case <-woken:
		case <-time.After(10 * time.Second):
			t.Fatalf("no wake within 10s: %s", what)
		}
	}
	line := strings.Repeat("x", 999) + "\n"
	sent := 0
	if h.poll() {
		t.Fatal("over at its first poll")
	}
	for !h.c.full {
		if sent > 100<<20 {
			t.Fatal("the server's socket never filled")
		}
		h.send(line)
		sent += len(line)
		if h.poll() {
			t.Fatal("over while echoing")
		}
	}
	// Make room for a few lines, far from enough for the socket to be
	// reported writable, and wake the task with bytes to read.
	buf := make([]byte, 3*len(line))
	n, err := unix.Read(h.client, buf)
	if n != len(buf) {
		t.Fatalf("client read %d bytes (%v), want %d", n, err, len(buf))
	}
	received := n
	queued := func() int {
		t.Helper()
		n, err := unix.IoctlGetInt(h.client, unix.SIOCINQ)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := queued()
	select {
	case <-woken: // a wake from before
	default:
	}
	h.send(line)
	sent += len(line)
	awaitWake("bytes from the client")
	if h.poll() {
		t.Fatal("over while its socket is full")
	}
	if after := queued(); after != before {
		t.Fatalf("a wake for bytes to read wrote %d bytes to a socket not reported writable since it was full", after-before)
	}
	// A client that reads everything gets everything.
	for deadline := time.Now().Add(10 * time.Second); received < sent; {
		got, eof := h.received()
		received += len(got)
		if eof || time.Now().After(deadline) {
			t.Fatalf("the client got %d of %d bytes (EOF %v)", received, sent, eof)
		}
		if received < sent {
			awaitWake("room in the socket")
			if h.poll() {
				t.Fatal("over while echoing")
			}
		}
	}
}

// Config.Helpers sets how many goroutines help the reactor's goroutine
// poll: by default none, and as many as asked otherwise.
func TestReactorHelpers(t *testing.T) {
	for _, c := range []struct {
		helpers, want int
	}{
		{0, 0},
		{1, 1},
		{3, 3},
	} {
		t.Run(fmt.Sprint(c.helpers), func(t *testing.T) {
			before := settledHelperGoroutines(t)
			_, addr, _ := tcpServer(t, Config{Mode: ModeReactor, Helpers: c.helpers})
			cl := dial(t, addr)
			io.WriteString(cl, "x\n")
			if got := string(readN(t, cl, 2)); got != "x\n" {
				t.Fatalf("echo %q", got)
			}
			if got := helperGoroutines() - before; got != c.want {
				t.Fatalf("Helpers %d: %d helper goroutines, want %d", c.helpers, got, c.want)
			}
		})
	}
	if _, err := (Config{Mode: ModeReactor, Helpers: -1}).withDefaults(); err == nil {
		t.Fatal("Helpers -1 accepted")
	}
}

// settledHelperGoroutines returns the count of helper goroutines once no
// helper of an earlier server is still returning: a shut-down executor's
// helpers have said they are done, but may not have left yet. The echo
// tests do not run in parallel, so every helper counted here is on its
// way out and the count falls to zero.
func settledHelperGoroutines(t *testing.T) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := helperGoroutines()
		if n == 0 || time.Now().After(deadline) {
			return n
		}
		time.Sleep(time.Millisecond)
	}
}

// helperGoroutines counts the goroutines of executors' helpers.
func helperGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "async.(*currentThread).help(")
		}
		buf = make([]byte, 2*len(buf))
	}
}
