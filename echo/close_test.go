package echo

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// closeWithin calls srv.Close and fails the test if it has not returned
// within a bound far shorter than every timeout the tests configure: Close
// does not drain.
func closeWithin(t *testing.T, srv *Server) {
	t.Helper()
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close had not returned after 10s: it waits for connections to end")
	}
	if !isClosed(srv.done) {
		t.Fatal("Close returned before Serve did")
	}
}

// readsEnd fails the test unless c's next read finds the connection ended
// (EOF, or a reset): no data, and not a deadline.
func readsEnd(t *testing.T, c net.Conn, who string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("%s client read %d bytes, %v; want its connection closed", who, n, err)
	}
}

// Close stops at once, without draining: a client in the middle of a line
// and an idle one are closed, Close returns once Serve has returned
// ErrServerClosed (serveOn checks it), and nobody is accepted after. In
// sequential mode the second client is accepted but never served, and is
// closed all the same.
func TestCloseStopsAtOnce(t *testing.T) {
	forEachMode(t, Config{IdleTimeout: time.Hour, LineTimeout: time.Hour}, func(t *testing.T, cfg Config) {
		ln := probeListen(t)
		srv, book := serveOn(t, cfg, ln)
		addr := ln.Addr().String()
		busy := dial(t, addr)
		io.WriteString(busy, "mid-li")
		book.waitFor(t, "the first connection's start", func() bool { return len(book.records("Accepted connection")) == 1 })
		if err := awaitAllRead(ln.serverSide(busy)); err != nil {
			t.Fatal(err)
		}
		idle := dial(t, addr)
		if cfg.Mode != ModeSequential {
			io.WriteString(idle, "done\n")
			readN(t, idle, len("done\n"))
		}

		closeWithin(t, srv)
		readsEnd(t, busy, "the busy")
		readsEnd(t, idle, "the idle")
		for id, why := range book.endReasons() {
			if why != endClosedByServer.String() {
				t.Errorf("connection %v ended with %q, want %q", id, why, endClosedByServer)
			}
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			t.Fatal("the server accepts connections after Close")
		}
		if err := srv.Close(); err != nil {
			t.Fatalf("second Close = %v, want nil", err)
		}
	})
}

// A connection the server ends on purpose lingers until its client closes,
// at most LingerTimeout: Close ends it at once, with its own reason.
func TestCloseEndsALingeringConnection(t *testing.T) {
	forEachMode(t, Config{MaxLineBytes: 16, LingerTimeout: time.Hour}, func(t *testing.T, cfg Config) {
		srv, addr, book := tcpServer(t, cfg)
		c := dial(t, addr)
		io.WriteString(c, "this line is longer than sixteen bytes")
		if got := string(readAll(t, c)); got != "ERR line too long\n" {
			t.Fatalf("got %q, want ERR line too long and the end of the stream", got)
		}
		// The client keeps its side open: the server lingers.
		closeWithin(t, srv)
		if got := book.endReasons()[1]; got != endTooLong.String() {
			t.Fatalf("reason %q, want %q", got, endTooLong)
		}
	})
}

// Close during a graceful shutdown cuts the drain short: the line in flight
// is closed at once, and Shutdown returns nil without waiting for its
// deadline.
func TestCloseDuringShutdown(t *testing.T) {
	forEachMode(t, Config{}, func(t *testing.T, cfg Config) {
		ln := probeListen(t)
		srv, book := serveOn(t, cfg, ln)
		c := dial(t, ln.Addr().String())
		io.WriteString(c, "mid-li")
		book.waitFor(t, "the connection's start", func() bool { return len(book.records("Accepted connection")) == 1 })
		if err := awaitAllRead(ln.serverSide(c)); err != nil {
			t.Fatal(err)
		}
		shut := shutdownAsync(srv, time.Hour)
		select {
		case <-ln.closed: // the shutdown has begun
		case <-time.After(10 * time.Second):
			t.Fatal("the server did not stop accepting")
		}
		closeWithin(t, srv)
		if err := <-shut; err != nil {
			t.Fatalf("Shutdown = %v, want nil", err)
		}
		readsEnd(t, c, "the")
		if got := book.endReasons()[1]; got != endClosedByServer.String() {
			t.Fatalf("reason %q, want %q", got, endClosedByServer)
		}
	})
}

// Close before Serve: Serve returns ErrServerClosed without serving, and
// closes its listener.
func TestCloseBeforeServe(t *testing.T) {
	srv, _ := loggedServer(t, Config{})
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	ln := newPipeListener()
	if err := srv.Serve(context.Background(), ln); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Close = %v, want ErrServerClosed", err)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatal("Serve after Close left the listener open")
	}
}
