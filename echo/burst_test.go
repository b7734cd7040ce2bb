package echo

import (
	"io"
	"log/slog"
	"net"
	"slices"
	"testing"
	"time"
)

// burstConns is the size of the bursts below: well above what one turn of
// the reactor collects from epoll (256), so that a burst only completes if
// every readiness reaches its connection, whatever turn it falls in.
const burstConns = 2000

// forBurstModes runs test in every mode that serves clients at once, and
// once more in reactor mode with a helper polling beside the reactor's
// goroutine (Config.Helpers), so that the helpers meet the same loads.
func forBurstModes(t *testing.T, cfg Config, test func(t *testing.T, cfg Config)) {
	forModes(t, modesExcept(ModeSequential), cfg, test)
	if slices.Contains(testModes, ModeReactor) {
		cfg.Mode, cfg.Helpers = ModeReactor, 1
		t.Run("reactor-helper", func(t *testing.T) { test(t, cfg) })
	}
}

// dialBurst opens n connections to addr as fast as it can, before any of
// them sends a byte.
func dialBurst(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	return conns
}

// A logStall holds up the server's next log write until it is released.
// The end of a connection is logged by the goroutine that serves it, which
// in reactor mode is the reactor's own: a stalled end then keeps the
// reactor from collecting readiness, so the readiness of everything the
// test does meanwhile piles up in the epoll instance, and the reactor finds
// all of it at once when it goes on. That makes a burst bigger than one
// collection (256 events) certain, not a matter of the machine's timing.
type logStall struct {
	w       io.Writer
	armed   chan struct{} // holds a token while the next write is to stall
	stalled chan struct{} // gets a token when a write stalls
	release chan struct{} // closed: the stalled write goes on
}

func newLogStall(w io.Writer) *logStall {
	return &logStall{w: w, armed: make(chan struct{}, 1), stalled: make(chan struct{}, 1), release: make(chan struct{})}
}

func (l *logStall) Write(p []byte) (int, error) {
	select {
	case <-l.armed:
		l.stalled <- struct{}{}
		<-l.release
	default:
	}
	return l.w.Write(p)
}

// stallingServer is tcpServer with its log written through a logStall.
func stallingServer(t *testing.T, cfg Config) (*Server, string, *logBook, *logStall) {
	t.Helper()
	book := newLogBook()
	stall := newLogStall(book)
	logger := slog.New(slog.NewJSONHandler(stall, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, addr, _ := tcpServer(t, cfg, func(s *Server) { s.cfg.Logger = logger })
	t.Cleanup(stall.free) // before the server's shutdown, if the test failed while stalled
	return srv, addr, book, stall
}

// stallNext makes the next log write stall, and returns a function that
// waits until one has.
func (l *logStall) stallNext(t *testing.T) (waitStalled func()) {
	l.armed <- struct{}{}
	return func() {
		t.Helper()
		select {
		case <-l.stalled:
		case <-time.After(10 * time.Second):
			t.Fatal("no log write within 10s")
		}
	}
}

// free lets the stalled write, and all later ones, go on.
func (l *logStall) free() {
	if !isClosed(l.release) {
		close(l.release)
	}
}

// A burst of connections that each send one line once all are open: every
// line is echoed within seconds, not when the idle timeout finally wakes a
// connection whose readiness was lost. The idle timeout is far beyond the
// test's bound, so only readiness can get a line echoed in time.
func TestBurstEveryLineEchoed(t *testing.T) {
	forBurstModes(t, Config{MaxConns: 2 * burstConns, IdleTimeout: time.Hour}, func(t *testing.T, cfg Config) {
		_, addr, _ := tcpServer(t, cfg)
		conns := dialBurst(t, addr, burstConns)
		for i, c := range conns {
			if _, err := io.WriteString(c, "hello\n"); err != nil {
				t.Fatalf("write %d: %v", i, err)
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		missing := 0
		for _, c := range conns {
			c.SetReadDeadline(deadline)
			var buf [6]byte
			if _, err := io.ReadFull(c, buf[:]); err != nil || string(buf[:]) != "hello\n" {
				missing++
			}
		}
		if missing > 0 {
			t.Fatalf("%d of %d connections got no echo within 10s", missing, burstConns)
		}
	})
}

// Clients that send as fast as they can and never read are cut by the
// write timeout once their writes stall, not a timeout later. A socket
// whose peer does not read still takes a few bytes now and then before it
// reports itself writable again (Linux waits for a third of the send
// buffer to be free), and a connection that tried its write once more at
// the deadline would move them, finish its lines and start the timeout
// over for the next ones.
func TestNonReadersCutAtTheWriteTimeout(t *testing.T) {
	const clients = 20
	const writeTimeout = 2 * time.Second
	forBurstModes(t, Config{WriteTimeout: writeTimeout, IdleTimeout: time.Hour}, func(t *testing.T, cfg Config) {
		_, addr, book := tcpServer(t, cfg)
		type cut struct {
			stalled time.Duration // from the last write that completed to the cut
			err     error
		}
		cuts := make(chan cut, clients)
		for range clients {
			c := dial(t, addr)
			go func() {
				chunk := make([]byte, 4<<10)
				for i := range chunk {
					chunk[i] = 'x'
				}
				chunk[len(chunk)-1] = '\n'
				last := time.Now()
				for {
					// A deadline far beyond the timeout, so that a lost
					// cut ends the client instead of hanging the test.
					c.SetWriteDeadline(time.Now().Add(4 * writeTimeout))
					if _, err := c.Write(chunk); err != nil {
						cuts <- cut{time.Since(last), err}
						return
					}
					last = time.Now()
				}
			}()
		}
		for range clients {
			c := <-cuts
			if c.stalled > writeTimeout+time.Second {
				t.Errorf("a non-reader was cut %v after its writes stalled (%v), want within %v", c.stalled.Round(time.Millisecond), c.err, writeTimeout+time.Second)
			}
		}
		book.waitFor(t, "every connection's end", func() bool { return len(book.endReasons()) == clients })
		for id, why := range book.endReasons() {
			if why != "write timeout" {
				t.Errorf("connection %v ended with %q, want write timeout", id, why)
			}
		}
	})
}

// A burst of clients that close at once, each after one echoed line: every
// server socket is closed as soon as its hang-up arrives, not left open
// (CLOSE_WAIT) until a timeout. The idle timeout is an hour, so only the
// hang-up's readiness can end a connection within the test's bound.
func TestBurstOfClosesClosesEverySocket(t *testing.T) {
	forBurstModes(t, Config{MaxConns: 2 * burstConns, IdleTimeout: time.Hour}, func(t *testing.T, cfg Config) {
		_, addr, book, stall := stallingServer(t, cfg)
		// Each connection echoes its line before the next is opened, so
		// the burst is the closes alone.
		conns := make([]net.Conn, burstConns)
		for i := range conns {
			conns[i] = dial(t, addr)
			io.WriteString(conns[i], "hi\n")
			readN(t, conns[i], 3)
		}
		waitStalled := stall.stallNext(t)
		conns[0].Close()
		waitStalled() // the end of the first is being logged
		for _, c := range conns[1:] {
			c.Close()
		}
		start := time.Now()
		stall.free()
		book.waitFor(t, "every connection's end", func() bool { return len(book.endReasons()) == burstConns })
		t.Logf("%d server sockets closed %v after their clients closed", burstConns, time.Since(start).Round(time.Millisecond))
		for id, why := range book.endReasons() {
			if why != "client closed" {
				t.Errorf("connection %v ended with %q, want client closed", id, why)
			}
		}
	})
}

// A graceful shutdown with a thousand clients in the middle of their
// exchanges: each is answered, then told the end of the stream, and once
// every client has read it they all close. Shutdown returns as soon as
// those hang-ups arrive. The linger is set far beyond the test's bound, so
// a hang-up whose readiness was lost would hold Shutdown there.
func TestShutdownWithAThousandActiveClients(t *testing.T) {
	const clients = 1000
	const linger = 30 * time.Second
	forBurstModes(t, Config{MaxConns: 2 * clients, LingerTimeout: linger}, func(t *testing.T, cfg Config) {
		srv, addr, _, stall := stallingServer(t, cfg)
		conns := dialBurst(t, addr, clients)
		type result struct {
			sent, echoed int
			err          error
		}
		results := make(chan result, clients)
		running := make(chan struct{}, clients)
		for _, c := range conns {
			go func() {
				// Send a line and read its echo, again and again, until
				// the server ends the stream.
				var r result
				line := []byte("ping\n")
				buf := make([]byte, len(line))
				c.SetDeadline(time.Now().Add(2 * linger))
				for {
					if r.sent == 1 {
						running <- struct{}{}
					}
					if _, err := c.Write(line); err != nil {
						break // the server may have ended the stream
					}
					r.sent++
					if _, err := io.ReadFull(c, buf); err != nil {
						if err != io.EOF {
							r.err = err
						}
						break
					}
					r.echoed++
				}
				results <- r
			}()
		}
		for range clients {
			<-running
		}
		shutdown := shutdownAsync(srv, 2*linger)
		for range clients {
			r := <-results
			if r.err != nil || r.echoed < r.sent-1 {
				t.Errorf("a client sent %d lines and got %d echoes back (%v)", r.sent, r.echoed, r.err)
			}
		}
		waitStalled := stall.stallNext(t)
		conns[0].Close()
		waitStalled()
		for _, c := range conns[1:] {
			c.Close()
		}
		start := time.Now()
		stall.free()
		var err error
		select {
		case err = <-shutdown:
		case <-time.After(linger / 2):
			t.Fatalf("Shutdown had not returned %v after every client closed: a hang-up was left to the linger (%v)", linger/2, linger)
		}
		t.Logf("Shutdown returned %v after %d clients closed", time.Since(start).Round(time.Millisecond), clients)
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	})
}
