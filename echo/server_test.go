package echo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sourcegraph/conc"
)

func TestEchoBytesExactly(t *testing.T) {
	forEachMode(t, Config{}, func(t *testing.T, cfg Config) {
		_, addr, _ := tcpServer(t, cfg)
		c := dial(t, addr)
		var sent bytes.Buffer
		sent.WriteString("crlf stays\r\n")
		sent.WriteString("nul \x00 inside\n")
		sent.WriteString("invalid utf-8 \xff\xfe\xc3\x28\n")
		for b := range 256 {
			sent.WriteByte(byte(b)) // every byte value; '\n' (10) ends a line
		}
		sent.WriteString("\n")
		want := sent.Bytes()
		c.Write(want)
		c.Write([]byte("and a tail without newline"))
		c.CloseWrite()
		if got := readAll(t, c); !bytes.Equal(got, want) {
			t.Fatalf("echo differs:\n got %q\nwant %q", got, want)
		}
	})
}

func TestEchoLineInOneBytePieces(t *testing.T) {
	forEachMode(t, Config{}, func(t *testing.T, cfg Config) {
		_, addr, _ := tcpServer(t, cfg)
		c := dial(t, addr)
		line := []byte("one byte at a time\n")
		for i := range line {
			if _, err := c.Write(line[i : i+1]); err != nil {
				t.Fatal(err)
			}
		}
		c.CloseWrite()
		if got := readAll(t, c); !bytes.Equal(got, line) {
			t.Fatalf("got %q, want the line once, whole: %q", got, line)
		}
	})
}

func TestEchoManyLinesInOneWrite(t *testing.T) {
	forEachMode(t, Config{}, func(t *testing.T, cfg Config) {
		_, addr, _ := tcpServer(t, cfg)
		c := dial(t, addr)
		var lines bytes.Buffer
		for i := range 500 {
			fmt.Fprintf(&lines, "line %d\n", i)
		}
		c.Write(lines.Bytes())
		c.CloseWrite()
		if got := readAll(t, c); !bytes.Equal(got, lines.Bytes()) {
			t.Fatalf("got %d bytes, want the %d bytes of 500 lines in order", len(got), lines.Len())
		}
	})
}

func TestEchoHalfCloseAnswersEveryLineThenCloses(t *testing.T) {
	forEachMode(t, Config{}, func(t *testing.T, cfg Config) {
		_, addr, book := tcpServer(t, cfg)
		c := dial(t, addr)
		c.Write([]byte("first\nsecond\nthird, unfinished"))
		c.CloseWrite()
		if got := string(readAll(t, c)); got != "first\nsecond\n" {
			t.Fatalf("got %q, want the two complete lines and no tail", got)
		}
		book.waitFor(t, "the connection's end", func() bool { return len(book.records("Connection ended")) == 1 })
		r := book.records("Connection ended")[0]
		if r["reason"] != "client closed" || r["lines"] != 2.0 || r["bytes"] != 13.0 {
			t.Fatalf("end record %v, want reason \"client closed\", 2 lines, 13 bytes", r)
		}
		for _, key := range []string{"conn", "remote", "duration"} {
			if _, ok := r[key]; !ok {
				t.Errorf("end record lacks %q: %v", key, r)
			}
		}
	})
}

func TestEchoLineTooLong(t *testing.T) {
	forEachMode(t, Config{MaxLineBytes: 16}, func(t *testing.T, cfg Config) {
		_, addr, book := tcpServer(t, cfg)
		c := dial(t, addr)
		exact := "fifteen chars!!\n" // 16 bytes: allowed
		c.Write([]byte(exact + "this line is far longer than sixteen bytes\nnever read\n"))
		if got := string(readAll(t, c)); got != exact+"ERR line too long\n" {
			t.Fatalf("got %q, want the allowed line then ERR line too long", got)
		}
		c.Close() // the server lingers until the client closes
		book.waitFor(t, "the end record", func() bool { return book.endReasons()[1] == "line too long" })
	})
}

func TestEchoPartialLineTooLong(t *testing.T) {
	forEachMode(t, Config{MaxLineBytes: 16}, func(t *testing.T, cfg Config) {
		_, addr, _ := tcpServer(t, cfg)
		c := dial(t, addr)
		c.Write(bytes.Repeat([]byte("x"), 16)) // no newline: can only get longer
		if got := string(readAll(t, c)); got != "ERR line too long\n" {
			t.Fatalf("got %q, want ERR line too long", got)
		}
	})
}

// The sequential loop accepts nobody while it serves a client, so nobody is
// ever over the limit there.
func TestEchoServerBusy(t *testing.T) {
	forModes(t, modesExcept(ModeSequential), Config{MaxConns: 1}, func(t *testing.T, cfg Config) {
		_, addr, book := tcpServer(t, cfg)
		first := dial(t, addr)
		first.Write([]byte("hold\n"))
		readN(t, first, 5)
		second := dial(t, addr)
		if got := string(readAll(t, second)); got != "ERR server busy\n" {
			t.Fatalf("second client got %q, want ERR server busy", got)
		}
		// The permit comes back when the first client leaves.
		first.Close()
		book.waitFor(t, "the first connection's end", func() bool { return book.endReasons()[1] != "" })
		third := dial(t, addr)
		third.Write([]byte("room again\n"))
		if got := string(readN(t, third, 11)); got != "room again\n" {
			t.Fatalf("third client got %q", got)
		}
	})
}

func TestEchoWriteTimeoutOverTCP(t *testing.T) {
	forEachMode(t, Config{WriteTimeout: 200 * time.Millisecond}, func(t *testing.T, cfg Config) {
		_, addr, book := tcpServer(t, cfg)
		c := dial(t, addr)
		// Send and never read: the socket buffers fill, the server's write
		// blocks, and the write timeout ends the connection.
		line := append(bytes.Repeat([]byte("w"), 1023), '\n')
		for {
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Write(line); err != nil {
				break // the server stopped reading, then closed
			}
			if len(book.endReasons()) > 0 {
				break
			}
		}
		book.waitFor(t, "the write timeout", func() bool { return book.endReasons()[1] == "write timeout" })
	})
}

// TestEchoManyClients has 1,000 clients at once, each sending random lines
// in random pieces, and checks every echo byte for byte.
func TestEchoManyClients(t *testing.T) {
	const clients, linesEach = 1000, 20
	forEachMode(t, Config{}, func(t *testing.T, cfg Config) {
		_, addr, book := tcpServer(t, cfg)
		var wg conc.WaitGroup
		errs := make(chan error, clients)
		for i := range clients {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(i), 1))
				c, err := net.Dial("tcp", addr)
				if err != nil {
					errs <- err
					return
				}
				defer c.Close()
				var want bytes.Buffer
				for range linesEach {
					n := 1 + r.IntN(200)
					for range n {
						want.WriteByte(byte(r.IntN(256)))
					}
					want.WriteByte('\n')
				}
				go func() {
					rest := want.Bytes()
					for len(rest) > 0 {
						k := min(len(rest), 1+r.IntN(300))
						c.Write(rest[:k])
						rest = rest[k:]
					}
					c.(*net.TCPConn).CloseWrite()
				}()
				c.SetReadDeadline(time.Now().Add(60 * time.Second))
				got, err := io.ReadAll(c)
				if err != nil || !bytes.Equal(got, want.Bytes()) {
					errs <- fmt.Errorf("client %d: %d of %d bytes echoed correctly, err %v", i, commonPrefix(got, want.Bytes()), want.Len(), err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		book.waitFor(t, "every connection's end", func() bool { return len(book.records("Connection ended")) == clients })
	})
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func TestThreadModeUsesAThreadPerConnection(t *testing.T) {
	srv, addr, book := tcpServer(t, Config{Mode: ModeThread})
	const clients = 4
	var conns []*net.TCPConn
	for i := range clients {
		c := dial(t, addr)
		fmt.Fprintf(c, "client %d\n", i)
		readN(t, c, len("client 0\n"))
		conns = append(conns, c) // all connected and served at once
	}
	for _, c := range conns {
		c.Close()
	}
	book.waitFor(t, "every connection's end", func() bool { return len(book.records("Connection ended")) == clients })
	threads := map[float64]bool{}
	for _, r := range book.records("Connection ended") {
		tid, _ := r["thread"].(float64)
		if tid == 0 {
			t.Fatalf("end record without a thread id: %v", r)
		}
		threads[tid] = true
	}
	if len(threads) != clients {
		t.Fatalf("%d concurrent connections ran on %d distinct OS threads, want %d", clients, len(threads), clients)
	}
	_ = srv
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Mode: "fibers"}, {MaxConns: -1}, {MaxLineBytes: -1}, {IdleTimeout: -time.Second},
		{LineTimeout: -1}, {WriteTimeout: -1},
	} {
		if _, err := NewServer(cfg); err == nil {
			t.Errorf("NewServer(%+v) accepted a bad config", cfg)
		}
	}
	_, err := NewServer(Config{Mode: ModeReactor})
	if onLinux := runtime.GOOS == "linux"; onLinux != (err == nil) || !onLinux && !strings.Contains(err.Error(), "needs Linux") {
		t.Errorf("NewServer in reactor mode on %s: %v", runtime.GOOS, err)
	}
	srv, err := NewServer(Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := srv.Config()
	if c.Addr != "127.0.0.1:50000" || c.MaxLineBytes != 64<<10 || c.MaxConns != 10000 ||
		c.IdleTimeout != 5*time.Minute || c.LineTimeout != time.Minute || c.WriteTimeout != 30*time.Second || c.Mode != ModeGoroutine {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestServeAfterShutdownAndTwice(t *testing.T) {
	srv, _ := NewServer(Config{})
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	if err := srv.Serve(context.Background(), ln); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Shutdown = %v, want ErrServerClosed", err)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatal("Serve after Shutdown left the listener open")
	}

	srv2, addr, _ := tcpServer(t, Config{})
	ln2, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln2.Close()
	if err := srv2.Serve(context.Background(), ln2); err == nil || errors.Is(err, ErrServerClosed) {
		t.Fatalf("second Serve = %v, want an error", err)
	}
	if got := srv2.Addr().String(); got != addr {
		t.Fatalf("Addr() = %s, want %s", got, addr)
	}
}

// ListenAndServe listens on Config.Addr and serves there until Shutdown,
// then frees the address; an address it cannot listen on is its error, and
// it serves nothing.
func TestListenAndServe(t *testing.T) {
	forEachMode(t, Config{Addr: "127.0.0.1:0"}, func(t *testing.T, cfg Config) {
		srv, _ := loggedServer(t, cfg)
		served := make(chan error, 1)
		go func() { served <- srv.ListenAndServe(context.Background()) }()
		deadline := time.Now().Add(10 * time.Second)
		for srv.Addr() == nil {
			if time.Now().After(deadline) {
				t.Fatal("ListenAndServe did not start serving within 10s")
			}
			time.Sleep(time.Millisecond)
		}
		addr := srv.Addr().String()
		c := dial(t, addr)
		io.WriteString(c, "listening\n")
		if got := string(readN(t, c, len("listening\n"))); got != "listening\n" {
			t.Fatalf("echo %q", got)
		}
		c.Close()
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown = %v", err)
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Fatalf("ListenAndServe = %v, want ErrServerClosed", err)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("ListenAndServe left %s in use: %v", addr, err)
		}
		ln.Close()
	})
	t.Run("address in use", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		srv, _ := loggedServer(t, Config{Addr: ln.Addr().String()})
		if err := srv.ListenAndServe(context.Background()); err == nil || errors.Is(err, ErrServerClosed) {
			t.Fatalf("ListenAndServe on an address in use = %v, want the listen error", err)
		}
		if srv.Addr() != nil {
			t.Fatalf("ListenAndServe served on %v", srv.Addr())
		}
	})
	t.Run("after Shutdown", func(t *testing.T) {
		srv, _ := loggedServer(t, Config{Addr: "127.0.0.1:0"})
		srv.Shutdown(context.Background())
		if err := srv.ListenAndServe(context.Background()); !errors.Is(err, ErrServerClosed) {
			t.Fatalf("ListenAndServe after Shutdown = %v, want ErrServerClosed", err)
		}
	})
}
