package echo

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// These tests use real sockets, because the behaviour they pin exists only
// there: bytes a client has sent can wait in the server's socket, received
// but unread, and closing a socket with unread bytes makes the kernel answer
// with a reset instead of an end of stream. A net.Pipe has neither: a write
// on it completes only when the other end has read it.

// A connection that is writing an echo is not reading, so the bytes its
// client sends meanwhile wait in the socket. When a shutdown comes then,
// those bytes are a line begun, not an idle connection: the server must
// read them, echo the complete lines among them, and let the client finish
// the partial one by the drain deadline.
func TestShutdownFinishesBytesThatArrivedDuringAWrite(t *testing.T) {
	forEachMode(t, Config{MaxLineBytes: 2 << 20}, func(t *testing.T, cfg Config) {
		ln := probeListen(t)
		ln.setSendBuffer(t, 16<<10)
		srv, book := serveOn(t, cfg, ln)
		c := dial(t, ln.Addr().String())
		c.SetReadBuffer(16 << 10)

		// An echo far larger than both sockets' buffers: the server stays
		// in its write until the client reads.
		big := append(bytes.Repeat([]byte("b"), 1<<20), '\n')
		if _, err := c.Write(big); err != nil {
			t.Fatal(err)
		}
		echo := readN(t, c, 1) // the server has read the whole line and is writing
		io.WriteString(c, "one\nin fli")
		if err := awaitUnread(ln.serverSide(c), len("one\nin fli")); err != nil {
			t.Fatal(err)
		}
		shut := shutdownAsync(srv, 10*time.Second)
		select {
		case <-ln.closed: // the server has begun to shut down
		case <-time.After(10 * time.Second):
			t.Fatal("the server did not stop accepting")
		}

		echo = append(echo, readN(t, c, len(big)-1)...)
		if !bytes.Equal(echo, big) {
			t.Fatalf("the line being echoed at shutdown came back damaged (%d bytes)", len(echo))
		}
		io.WriteString(c, "ght\n")
		if got := string(readAll(t, c)); got != "one\nin flight\n" {
			t.Fatalf("after the shutdown got %q, want \"one\\nin flight\\n\": the bytes that had arrived are a line begun", got)
		}
		c.Close()
		if err := <-shut; err != nil {
			t.Fatalf("Shutdown = %v, want nil", err)
		}
		if got := book.endReasons()[1]; got != "shutdown" {
			t.Fatalf("reason %q, want shutdown", got)
		}
	})
}

// Wherever the server ends a connection on purpose, what it wrote must
// reach the client, followed by an end of stream, even if the client sends
// more at the last moment: the server sends its end first and then reads
// and drops what still comes, so that the kernel has no unread bytes to
// answer with a reset. The listener's hook makes the client's bytes arrive
// just before the server starts to close.
func TestEndingOnPurposeDeliversEverything(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		// before runs before the client connects; then brings the server
		// to end the client's connection.
		before func(t *testing.T, addr string)
		then   func(t *testing.T, srv *Server, c *net.TCPConn)
		want   string
		except []Mode // modes of testModes the case does not apply to
	}{{
		name: "shutdown",
		then: func(t *testing.T, srv *Server, c *net.TCPConn) {
			io.WriteString(c, "a\n")
			if err := awaitUnread(ends(c), 2); err != nil { // echoed, left unread: the server is idle
				t.Fatal(err)
			}
			shutdownAsync(srv, 10*time.Second)
		},
		want: "a\n",
	}, {
		name: "line too long",
		cfg:  Config{MaxLineBytes: 16},
		then: func(t *testing.T, srv *Server, c *net.TCPConn) {
			io.WriteString(c, "ok\nthis line is longer than sixteen bytes")
		},
		want: "ok\nERR line too long\n",
	}, {
		name: "server busy",
		cfg:  Config{MaxConns: 1},
		before: func(t *testing.T, addr string) {
			first := dial(t, addr)
			io.WriteString(first, "hold\n")
			readN(t, first, 5)
		},
		then: func(t *testing.T, srv *Server, c *net.TCPConn) {},
		want: "ERR server busy\n",
		// The sequential loop accepts nobody while it serves a client,
		// so nobody is ever over the limit.
		except: []Mode{ModeSequential},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			forModes(t, modesExcept(tc.except...), tc.cfg, func(t *testing.T, cfg Config) {
				ln := probeListen(t)
				target := make(chan *net.TCPConn, 1)
				ln.beforeClose = func(remote string) {
					c := <-target
					target <- c
					if remote != c.LocalAddr().String() {
						return // another client of the test
					}
					if _, err := io.WriteString(c, "late\n"); err != nil {
						t.Errorf("client's last-moment write: %v", err)
						return
					}
					server, err := ln.serverSideOf(remote)
					if err == nil {
						err = awaitUnread(server, len("late\n"))
					}
					if err != nil {
						t.Error(err)
					}
				}
				srv, _ := serveOn(t, cfg, ln)
				if tc.before != nil {
					tc.before(t, ln.Addr().String())
				}
				c := dial(t, ln.Addr().String())
				target <- c
				tc.then(t, srv, c)
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				got, err := io.ReadAll(c)
				if err != nil || string(got) != tc.want {
					t.Fatalf("client got %q, %v; want %q, then the end of stream", got, err, tc.want)
				}
			})
		})
	}
}
