package echo

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests in pipe_test.go pin the timeouts and the shutdown exactly, on
// synctest's fake clock, for the modes that can serve a net.Pipe. These run
// the same cases over loopback TCP on the real clock, in every mode
// (reactor mode serves sockets only): they check what ends a connection and
// why, and that no timeout ends it before its time. How much later than its
// time it ends depends on the machine's load and is not asserted.

func TestIdleTimeoutOverTCP(t *testing.T) {
	const idle = 300 * time.Millisecond
	forEachMode(t, Config{IdleTimeout: idle}, func(t *testing.T, cfg Config) {
		_, addr, book := tcpServer(t, cfg)
		start := time.Now() // before the server can have started its clock
		c := dial(t, addr)
		io.WriteString(c, "hi\n")
		if got := string(readAll(t, c)); got != "hi\n" {
			t.Fatalf("got %q, want the echo and then EOF", got)
		}
		if d := time.Since(start); d < idle {
			t.Fatalf("closed %v after connecting, before the %v idle timeout", d, idle)
		}
		book.waitFor(t, "the end record", func() bool { return book.endReasons()[1] == "idle timeout" })
	})
}

// A client that trickles a line, a byte well inside the idle timeout each
// time, is cut when the line timeout runs out; so is one that sends part of
// a line and then nothing, though the idle timeout is far off. Each first
// has a line echoed, so that the line's deadline comes when the server
// already waits for the idle one.
func TestLineTimeoutOverTCP(t *testing.T) {
	const lineTimeout = 400 * time.Millisecond
	const idleTimeout = 10 * time.Minute
	forEachMode(t, Config{IdleTimeout: idleTimeout, LineTimeout: lineTimeout}, func(t *testing.T, cfg Config) {
		for _, trickle := range []bool{true, false} {
			_, addr, book := tcpServer(t, cfg)
			c := dial(t, addr)
			io.WriteString(c, "hi\n")
			readN(t, c, len("hi\n"))
			c.SetReadDeadline(time.Time{})
			r := startReader(c)
			start := time.Now() // before the first byte: the line's clock starts later
			for !r.ended() {
				if _, err := io.WriteString(c, "x"); err != nil || !trickle {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			select {
			case err := <-r.err:
				// A timeout closes at once: a byte the trickling client sends
				// meanwhile makes the kernel answer with a reset.
				if !errors.Is(err, io.EOF) && !(trickle && errors.Is(err, syscall.ECONNRESET)) {
					t.Fatalf("trickle %v: the client read %v, want EOF", trickle, err)
				}
			case <-time.After(time.Minute): // far past the line timeout, far short of the idle one
				t.Fatalf("trickle %v: still open a minute after the line began (line timeout %v, idle timeout %v)", trickle, lineTimeout, idleTimeout)
			}
			if d := time.Since(start); d < lineTimeout {
				t.Fatalf("trickle %v: cut after %v, before the %v line timeout", trickle, d, lineTimeout)
			}
			if got := r.got(); got != "" {
				t.Fatalf("trickle %v: got %q, want nothing: the line never ended", trickle, got)
			}
			book.waitFor(t, "the end record", func() bool { return book.endReasons()[1] == "line timeout" })
		}
	})
}

// Graceful shutdown: an idle client is closed; a client in the middle of a
// line may finish it and gets its echo; then Serve returns. The sequential
// mode does not apply: its second client would never have been served.
func TestShutdownDrainsLinesInFlightOverTCP(t *testing.T) {
	forModes(t, modesExcept(ModeSequential), Config{}, func(t *testing.T, cfg Config) {
		srv, addr, book := tcpServer(t, cfg)
		idle, busy := dial(t, addr), dial(t, addr)
		io.WriteString(idle, "done\n")
		readN(t, idle, len("done\n"))
		io.WriteString(busy, "hel")
		// Both are the server's before it shuts down (it would reset a
		// connection it had not accepted), and "hel" is in the server's
		// socket (bytes still on their way are not a line begun).
		book.waitFor(t, "both connections' start", func() bool { return len(book.records("Accepted connection")) == 2 })
		if err := awaitAcked(ends(busy)); err != nil {
			t.Fatal(err)
		}

		shut := shutdownAsync(srv, 10*time.Second)
		if got := readAll(t, idle); len(got) != 0 {
			t.Fatalf("idle client got %q at the shutdown, want EOF", got)
		}
		idle.Close()                 // the server lingers until its client closes
		io.WriteString(busy, "lo\n") // after the idle one was closed
		if got := string(readAll(t, busy)); got != "hello\n" {
			t.Fatalf("busy client got %q, want its line echoed and then EOF", got)
		}
		busy.Close()
		if err := <-shut; err != nil {
			t.Fatalf("Shutdown = %v, want nil", err)
		}
		reasons := book.endReasons()
		if reasons[1] != "shutdown" || reasons[2] != "shutdown" {
			t.Fatalf("reasons %v", reasons)
		}
	})
}

// A line still unfinished at the drain deadline is cut then, and Shutdown
// reports the deadline.
func TestShutdownDeadlineCutsUnfinishedLineOverTCP(t *testing.T) {
	forEachMode(t, Config{}, func(t *testing.T, cfg Config) {
		ln := probeListen(t)
		srv, book := serveOn(t, cfg, ln)
		c := dial(t, ln.Addr().String())
		io.WriteString(c, "never finished")
		// The server has the connection and has read the bytes, so that the
		// cut is an EOF, not a reset.
		book.waitFor(t, "the connection's start", func() bool { return len(book.records("Accepted connection")) == 1 })
		if err := awaitAcked(ends(c)); err != nil {
			t.Fatal(err)
		}
		if err := awaitAllRead(ln.serverSide(c)); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
		}
		if got := readAll(t, c); len(got) != 0 {
			t.Fatalf("got %q, want no echo and EOF", got)
		}
		if got := book.endReasons()[1]; got != endCut.String() {
			t.Fatalf("reason %q, want %q", got, endCut)
		}
	})
}

// Cancelling Serve's context stops at once, without draining.
func TestServeContextStopsAtOnceOverTCP(t *testing.T) {
	forEachMode(t, Config{}, func(t *testing.T, cfg Config) {
		srv, book := loggedServer(t, cfg)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ctx, ln) }()
		c := dial(t, ln.Addr().String())
		io.WriteString(c, "mid-li")
		book.waitFor(t, "the connection's start", func() bool { return len(book.records("Accepted connection")) == 1 })
		cancel()
		if err := <-served; !errors.Is(err, context.Canceled) {
			t.Fatalf("Serve = %v, want context.Canceled", err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("after Serve returned, the client read %d bytes, %v; want the connection closed", n, err)
		}
		if got := book.endReasons()[1]; got != "closed by server" {
			t.Fatalf("reason %q, want closed by server", got)
		}
		if _, err := net.Dial("tcp", ln.Addr().String()); err == nil || !strings.Contains(err.Error(), "refused") {
			t.Fatalf("dial after Serve returned: %v, want connection refused", err)
		}
	})
}
