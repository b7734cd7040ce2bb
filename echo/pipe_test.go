package echo

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// pipeListener is an in-memory listener: dial hands the server one end of a
// net.Pipe. Inside a synctest bubble everything it does is durably
// blocking, so timeouts and shutdown run on the bubble's fake clock.
type pipeListener struct {
	conns  chan net.Conn
	errs   chan error // errors for Accept to return before any connection
	closed chan struct{}
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), errs: make(chan error, 16), closed: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case err := <-l.errs:
		return nil, err
	default:
	}
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	select {
	case <-l.closed:
	default:
		close(l.closed)
	}
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// dial connects a client; the server side is accepted in the background,
// so dial does not wait for the server (which may not be accepting).
func (l *pipeListener) dial() net.Conn {
	client, server := net.Pipe()
	go func() {
		select {
		case l.conns <- server:
		case <-l.closed:
			server.Close()
		}
	}()
	return client
}

// bubbleServer starts a server on a pipe listener inside a synctest bubble.
// stop shuts it down and returns what Serve returned.
func bubbleServer(t *testing.T, cfg Config) (*Server, *pipeListener, *logBook, func() error) {
	t.Helper()
	srv, book := loggedServer(t, cfg)
	ln := newPipeListener()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	stop := func() error {
		srv.Shutdown(context.Background())
		return <-served
	}
	return srv, ln, book, stop
}

// reader reads from c in the background, delivering every chunk, then the
// error that ended the reading.
type reader struct {
	data chan string
	err  chan error
}

func startReader(c net.Conn) *reader {
	r := &reader{data: make(chan string, 100), err: make(chan error, 1)}
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				r.data <- string(buf[:n])
			}
			if err != nil {
				r.err <- err
				return
			}
		}
	}()
	return r
}

// got returns everything read so far.
func (r *reader) got() string {
	var b strings.Builder
	for {
		select {
		case s := <-r.data:
			b.WriteString(s)
		default:
			return b.String()
		}
	}
}

func (r *reader) ended() bool { return len(r.err) > 0 }

func TestIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, ln, book, stop := bubbleServer(t, Config{IdleTimeout: 5 * time.Minute})
		c := ln.dial()
		r := startReader(c)
		io.WriteString(c, "hi\n")
		synctest.Wait()
		start := time.Now()
		if got := r.got(); got != "hi\n" {
			t.Fatalf("got %q", got)
		}
		time.Sleep(5*time.Minute - time.Nanosecond)
		synctest.Wait()
		if r.ended() {
			t.Fatal("closed before the idle timeout")
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if !r.ended() {
			t.Fatalf("still open %v after the last line", time.Since(start))
		}
		if got := book.endReasons()[1]; got != "idle timeout" {
			t.Fatalf("reason %q, want idle timeout", got)
		}
		c.Close()
		if err := stop(); !errors.Is(err, ErrServerClosed) {
			t.Fatal(err)
		}
	})
}

// A client that trickles a line, a byte well inside the idle timeout each
// time, is cut when the line timeout runs out.
func TestLineTimeoutAgainstTrickle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, ln, book, stop := bubbleServer(t, Config{IdleTimeout: 30 * time.Second, LineTimeout: 60 * time.Second})
		c := ln.dial()
		r := startReader(c)
		start := time.Now()
		for !r.ended() {
			if _, err := io.WriteString(c, "x"); err != nil {
				break
			}
			time.Sleep(10 * time.Second)
			synctest.Wait()
		}
		if d := time.Since(start); d != 60*time.Second {
			t.Fatalf("trickling client cut after %v, want at the 60s line timeout", d)
		}
		if got := book.endReasons()[1]; got != "line timeout" {
			t.Fatalf("reason %q, want line timeout", got)
		}
		c.Close()
		stop()
	})
}

func TestWriteTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, ln, book, stop := bubbleServer(t, Config{WriteTimeout: 30 * time.Second})
		c := ln.dial()
		io.WriteString(c, "never read\n") // net.Pipe has no buffer: the echo blocks
		start := time.Now()
		synctest.Wait()
		time.Sleep(30 * time.Second)
		synctest.Wait()
		if got := book.endReasons()[1]; got != "write timeout" {
			t.Fatalf("after %v: reason %q, want write timeout", time.Since(start), got)
		}
		c.Close()
		stop()
	})
}

// Graceful shutdown: an idle client is closed at once; a client in the
// middle of a line may finish it and gets its echo; then Serve returns.
func TestShutdownDrainsLinesInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, ln, book, _ := bubbleServer(t, Config{})
		idle, busy := ln.dial(), ln.dial()
		ri, rb := startReader(idle), startReader(busy)
		io.WriteString(idle, "done\n")
		io.WriteString(busy, "hel")
		synctest.Wait()

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut := make(chan error, 1)
		go func() { shut <- srv.Shutdown(ctx) }()
		synctest.Wait()
		if !ri.ended() || ri.got() != "done\n" {
			t.Fatal("the idle client was not closed at once")
		}
		if rb.ended() {
			t.Fatal("the client in the middle of a line was closed")
		}
		if len(shut) != 0 {
			t.Fatal("Shutdown returned while a line was in flight")
		}
		time.Sleep(3 * time.Second)
		io.WriteString(busy, "lo\n")
		synctest.Wait()
		if got := rb.got(); got != "hello\n" || !rb.ended() {
			t.Fatalf("busy client got %q (closed %v), want its line echoed and then EOF", got, rb.ended())
		}
		if err := <-shut; err != nil {
			t.Fatalf("Shutdown = %v, want nil", err)
		}
		reasons := book.endReasons()
		if reasons[1] != "shutdown" || reasons[2] != "shutdown" {
			t.Fatalf("reasons %v", reasons)
		}
		idle.Close()
		busy.Close()
	})
}

// A line still unfinished at the drain deadline is cut then, and Shutdown
// reports the deadline.
func TestShutdownDeadlineCutsUnfinishedLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, ln, book, _ := bubbleServer(t, Config{})
		c := ln.dial()
		r := startReader(c)
		io.WriteString(c, "never finished")
		synctest.Wait()
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d != 10*time.Second {
			t.Fatalf("Shutdown took %v, want the 10s deadline", d)
		}
		synctest.Wait()
		if !r.ended() || r.got() != "" {
			t.Fatalf("client not cut cleanly: got %q", r.got())
		}
		if got := book.endReasons()[1]; got != "shutdown: line unfinished at the drain deadline" {
			t.Fatalf("reason %q", got)
		}
		c.Close()
	})
}

// Cancelling Serve's context stops at once, without draining.
func TestServeContextStopsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, _ := NewServer(Config{Logger: newLogBook().logger()})
		ln := newPipeListener()
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ctx, ln) }()
		c := ln.dial()
		r := startReader(c)
		io.WriteString(c, "mid-li")
		synctest.Wait()
		cancel()
		synctest.Wait()
		if err := <-served; !errors.Is(err, context.Canceled) {
			t.Fatalf("Serve = %v, want context.Canceled", err)
		}
		if !r.ended() {
			t.Fatal("connection left open")
		}
		c.Close()
	})
}

// The sequential mode's bug: a second client gets no echo until the first
// has gone.
func TestSequentialServesOneClientAtATime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, ln, book, stop := bubbleServer(t, Config{Mode: ModeSequential, IdleTimeout: 2 * time.Hour})
		first := ln.dial()
		synctest.Wait() // first is accepted before second dials
		second := ln.dial()
		r1, r2 := startReader(first), startReader(second)
		io.WriteString(first, "one\n")
		go io.WriteString(second, "two\n")
		synctest.Wait()
		if got := r1.got(); got != "one\n" {
			t.Fatalf("first client got %q", got)
		}
		time.Sleep(time.Hour) // however long the first client stays
		synctest.Wait()
		if got := r2.got(); got != "" {
			t.Fatalf("second client got %q while the first was connected\n%v", got, book.records("Accepted connection"))
		}
		first.Close()
		synctest.Wait()
		if got := r2.got(); got != "two\n" {
			t.Fatalf("second client got %q after the first left, want its echo", got)
		}
		second.Close()
		stop()
	})
}

// A connection accepted after shutdown began is closed without service.
func TestConnectionAcceptedDuringShutdownIsClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, ln, _, stop := bubbleServer(t, Config{Mode: ModeSequential})
		first := ln.dial()
		io.WriteString(first, "hold\n")
		io.ReadFull(first, make([]byte, 5))
		waiting := ln.dial() // accepted, held back by the sequential loop
		r := startReader(waiting)
		go io.WriteString(waiting, "hello?\n")
		synctest.Wait()
		if err := stop(); !errors.Is(err, ErrServerClosed) {
			t.Fatal(err)
		}
		synctest.Wait()
		if !r.ended() || r.got() != "" {
			t.Fatalf("late connection got %q (closed %v), want closed without echo", r.got(), r.ended())
		}
		first.Close()
		waiting.Close()
	})
}

// Temporary accept errors are retried with a back-off of 5 ms doubling.
func TestAcceptBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		book := newLogBook()
		srv, _ := NewServer(Config{Logger: book.logger()})
		ln := newPipeListener()
		for range 4 {
			ln.errs <- syscall.EMFILE
		}
		served := make(chan error, 1)
		start := time.Now()
		go func() { served <- srv.Serve(context.Background(), ln) }()
		c := ln.dial()
		r := startReader(c)
		io.WriteString(c, "after the storm\n")
		synctest.Wait()
		if got := r.got(); got != "after the storm\n" {
			t.Fatalf("got %q", got)
		}
		if d := time.Since(start); d != (5+10+20+40)*time.Millisecond {
			t.Fatalf("served after %v, want 75ms of back-off", d)
		}
		var delays []string
		for _, rec := range book.records("accept failed; retrying") {
			delays = append(delays, time.Duration(rec["delay"].(float64)).String())
		}
		if strings.Join(delays, " ") != "5ms 10ms 20ms 40ms" {
			t.Fatalf("back-off delays %v", delays)
		}
		c.Close()
		srv.Shutdown(context.Background())
		<-served
	})
}

// A listener that fails for good ends Serve with its error.
func TestAcceptFailsForGood(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, _ := NewServer(Config{Logger: newLogBook().logger()})
		ln := newPipeListener()
		broken := errors.New("listener broken")
		ln.errs <- broken
		if err := srv.Serve(context.Background(), ln); !errors.Is(err, broken) {
			t.Fatalf("Serve = %v, want the listener's error", err)
		}
	})
}
