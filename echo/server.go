// Package echo is the tutorial's line echo server, hardened to be run for
// real.
//
// A client sends lines; the server writes each complete line back, byte for
// byte, as soon as its '\n' arrives. When the client closes, a final line
// without '\n' is not echoed. The picture:
//
//	acceptor goroutine ──accepted──▶ ┌────────────────────┐
//	   (ln.Accept loop)  ──errors──▶ │  the serve loop    │ ──go──▶ one goroutine
//	Shutdown ───────────close──────▶ │  select { ... }    │         per connection
//	ctx.Done() ────────────────────▶ │  owns the live set │ ◀──finished── (id)
//	                                 └────────────────────┘
//
// The serve loop is the only owner of the set of live connections, so it
// needs no lock: every change arrives on a channel. A connection takes a
// permit from a csp.Semaphore of Config.MaxConns; one over the limit is told
// "ERR server busy" and closed. Each connection enforces its own limits
// with read and write deadlines: the idle timeout between lines, the line
// timeout once a line has begun, the write timeout, and the maximum line
// length. In reactor mode (ModeReactor, reactor.go) the loop spawns a task
// on an executor where the picture starts a goroutine, and the task keeps
// the same limits with a timer of the reactor that wakes it.
//
// Shutdown follows net/http's order: stop accepting at once, close idle
// connections at once, let a connection in the middle of a line finish it and
// have it echoed until the Shutdown context's deadline, then cut what is
// left. A connection is idle only if it has no line begun and nothing has
// arrived from its client: bytes that wait unread in its socket are a line
// begun. Every complete line the server has read is answered first, and a
// connection the server ends by its own choice (shutdown, line too long,
// server busy) sends the end of the stream and drains what its client still
// sends before it closes, so that the client reads all it was sent and then
// EOF, not a connection reset.
package echo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/chansync/chansync/csp"
)

// ErrServerClosed is returned by Serve and ListenAndServe once Shutdown has
// been called.
var ErrServerClosed = errors.New("echo: server closed")

// A Server is a line echo server. Make one with NewServer; it serves once.
type Server struct {
	cfg   Config
	limit *csp.Semaphore // a permit per connection being served
	bufs  chan []byte    // the free list of read buffers, shared by all connections

	state    chan serverState // one slot: the server's lock
	shutdown chan struct{}    // closed by the first Shutdown
	force    chan struct{}    // closed when a Shutdown's context ends
	done     chan struct{}    // closed when Serve returns

	// drainDeadline is the first Shutdown's context deadline (zero if
	// none). It is written before shutdown is closed and read only after.
	drainDeadline time.Time

	// beforeEnd, if set (by tests), runs just before the server sends the
	// end of the stream on a connection it ends on purpose (see linger),
	// with the client's address.
	beforeEnd func(remote string)
}

type phase int

const (
	idle phase = iota
	serving
	stopped
)

type serverState struct {
	phase          phase
	shutdownCalled bool
	forced         bool
	cut            int // connections cut at the drain deadline
	addr           net.Addr
}

// NewServer returns a server for cfg, with defaults filled in, or an error
// if a field of cfg is out of range.
func NewServer(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		limit:    csp.NewSemaphore(cfg.MaxConns),
		bufs:     make(chan []byte, freeBuffers),
		state:    make(chan serverState, 1),
		shutdown: make(chan struct{}),
		force:    make(chan struct{}),
		done:     make(chan struct{}),
	}
	s.state <- serverState{}
	return s, nil
}

// Config returns the server's configuration, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Addr returns the address the server listens on, or nil before Serve.
func (s *Server) Addr() net.Addr {
	st := <-s.state
	s.state <- st
	return st.addr
}

// ListenAndServe listens on Config.Addr and serves; see Serve.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve accepts connections on ln and serves them until Shutdown is called
// or ctx ends, and returns only when every connection has been closed and
// every goroutine it started has ended. It closes ln.
//
// After Shutdown it returns ErrServerClosed. When ctx ends it stops at once,
// without draining: it closes the listener and every connection and returns
// ctx.Err(). If accepting fails for good (not a temporary error such as
// running out of file descriptors, which it retries with a back-off) it
// closes every connection and returns that error.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	st := <-s.state
	switch {
	case st.shutdownCalled:
		s.state <- st
		ln.Close()
		return ErrServerClosed
	case st.phase != idle:
		s.state <- st
		return errors.New("echo: Serve called twice")
	}
	st.phase, st.addr = serving, ln.Addr()
	s.state <- st
	defer func() {
		st := <-s.state
		st.phase = stopped
		s.state <- st
		close(s.done)
	}()
	if s.cfg.Mode == ModeThread {
		// One OS thread per connection, plus the runtime's own.
		need := s.cfg.MaxConns + 100
		if prev := debug.SetMaxThreads(need); prev > need {
			debug.SetMaxThreads(prev) // already higher: keep it
		} else {
			defer debug.SetMaxThreads(prev)
		}
	}
	return s.loop(ctx, ln)
}

// Shutdown stops the server gracefully: it stops accepting, closes idle
// connections, and waits for connections in the middle of a line to finish
// it, until ctx ends. Bytes a client has sent that wait unread in the
// server's socket count as a line begun (for connections that expose their
// socket through syscall.Conn; any other connection is judged by what the
// server has read). An idle connection is closed gracefully: the server
// sends the end of the stream and reads what the client still sends, for
// at most a second or until ctx's deadline, before it closes. Then it cuts the connections that are left and
// returns ctx.Err(); it returns nil if every connection ended by itself.
// Either way, when it returns, Serve has returned or will return
// ErrServerClosed without serving.
func (s *Server) Shutdown(ctx context.Context) error {
	st := <-s.state
	first := !st.shutdownCalled
	st.shutdownCalled = true
	running := st.phase == serving
	s.state <- st
	if first {
		if d, ok := ctx.Deadline(); ok {
			s.drainDeadline = d
		}
		close(s.shutdown)
	}
	if !running {
		return nil
	}
	select {
	case <-s.done:
		st := <-s.state
		s.state <- st
		if st.cut > 0 {
			// Lines were cut at the deadline; the connections' own deadline
			// timers may have fired a moment before ctx's.
			return context.DeadlineExceeded
		}
		return nil
	case <-ctx.Done():
	}
	st = <-s.state
	if !st.forced {
		st.forced = true
		close(s.force)
	}
	s.state <- st
	<-s.done
	return ctx.Err()
}

// ended is what a connection reports to the serve loop when it is over.
type ended struct {
	id  uint64
	cut bool // cut at the drain deadline with a line unfinished
}

// liveConn is a connection as the serve loop keeps it: a goroutine's *conn,
// or a reactor-mode task.
type liveConn interface {
	// wake has the connection look at the shutdown at once.
	wake(now time.Time)
	// cut ends the connection at once.
	cut()
}

func (c *conn) wake(now time.Time) { c.nc.SetReadDeadline(now) }
func (c *conn) cut()               { c.nc.Close() }

// loop is the select-driven heart of Serve. It alone owns the live set.
func (s *Server) loop(ctx context.Context, ln net.Listener) error {
	log := s.cfg.Logger
	accepted := make(chan net.Conn) // goroutine modes
	sockets := make(chan socket)    // reactor mode
	var endings <-chan struct{}     // reactor mode: tasks have ended
	acceptErrs := make(chan error)
	stop := make(chan struct{})
	acceptorDone := make(chan struct{})
	var rt *reactorRuntime
	if s.cfg.Mode == ModeReactor {
		var err error
		if rt, err = s.newReactorRuntime(ln); err != nil {
			ln.Close()
			return err
		}
		defer rt.close()
		endings = rt.ends.signal
		go rt.accept(sockets, acceptErrs, stop, acceptorDone)
	} else {
		go accept(ln, accepted, acceptErrs, stop, acceptorDone)
	}

	live := make(map[uint64]liveConn)
	finished := make(chan ended)
	var ends []ended
	cut := 0
	defer func() {
		st := <-s.state
		st.cut = cut
		s.state <- st
	}()
	var nextID uint64
	var result error
	draining := false
	shutdown, ctxDone, force := s.shutdown, ctx.Done(), s.force

	stopAccepting := func(err error) {
		if result == nil {
			result = err
		}
		if !draining {
			draining = true
			close(stop)
			if rt != nil {
				rt.stopAccepting()
			}
			ln.Close()
		}
	}
	cutAll := func() {
		if rt != nil {
			rt.cutting()
		}
		for _, c := range live {
			c.cut()
		}
	}

	for !draining || len(live) > 0 {
		acceptCh, socketCh := accepted, sockets
		if draining || (s.cfg.Mode == ModeSequential && len(live) > 0) {
			acceptCh, socketCh = nil, nil // the sequential bug: nobody new until the client is gone
		}
		select {
		case nc := <-acceptCh:
			nextID++
			c := newConn(nextID, nc)
			live[c.id] = c
			if !s.limit.TryAcquire() {
				go s.reject(c, finished)
				continue
			}
			log.Info("Accepted connection", "conn", c.id, "remote", c.remote())
			go s.run(c, finished)

		case sock := <-socketCh:
			nextID++
			admitted := s.limit.TryAcquire()
			if admitted {
				log.Info("Accepted connection", "conn", nextID, "remote", remoteText(sock.remote))
			}
			live[nextID] = rt.spawn(nextID, sock, admitted)

		case e := <-finished:
			delete(live, e.id)
			if e.cut {
				cut++
			}

		case <-endings:
			ends = rt.ends.take(ends)
			for _, e := range ends {
				delete(live, e.id)
				if e.cut {
					cut++
				}
			}

		case err := <-acceptErrs:
			var retry *retryError
			if errors.As(err, &retry) {
				log.Warn("accept failed; retrying", "err", retry.err, "delay", retry.delay)
				continue
			}
			if !draining {
				log.Error("accept failed; stopping", "err", err)
				stopAccepting(err)
				cutAll()
			}

		case <-shutdown:
			shutdown = nil
			stopAccepting(ErrServerClosed)
			// Wake every reader. An idle connection closes; one in the middle
			// of a line goes on until the drain deadline.
			now := time.Now()
			for _, c := range live {
				c.wake(now)
			}

		case <-ctxDone:
			ctxDone = nil
			stopAccepting(ctx.Err())
			cutAll()

		case <-force:
			force = nil
			cutAll()
		}
	}
	<-acceptorDone
	return result
}

// retryError is a temporary accept error and the delay before the next try.
type retryError struct {
	err   error
	delay time.Duration
}

func (e *retryError) Error() string { return fmt.Sprintf("%v (retrying in %v)", e.err, e.delay) }

// accept hands accepted connections to the serve loop until stop is closed
// or accepting fails for good. On a temporary error it reports it and backs
// off, 5 ms doubling to 1 s, as net/http does.
func accept(ln net.Listener, accepted chan<- net.Conn, errs chan<- error, stop <-chan struct{}, done chan<- struct{}) {
	acceptLoop(ln.Accept, net.Conn.Close, accepted, errs, stop, done)
}

// acceptLoop is accept for any kind of accepted connection: next accepts
// one, discard closes one that the loop will not take.
func acceptLoop[C any](next func() (C, error), discard func(C) error, accepted chan<- C, errs chan<- error, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	var delay time.Duration
	for {
		nc, err := next()
		if err == nil {
			delay = 0
			select {
			case accepted <- nc:
			case <-stop:
				discard(nc) // accepted after shutdown began
				return
			}
			continue
		}
		if !temporary(err) {
			select {
			case errs <- err:
			case <-stop:
			}
			return
		}
		delay = min(max(2*delay, 5*time.Millisecond), time.Second)
		select {
		case errs <- &retryError{err, delay}:
		case <-stop:
			return
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-stop:
			t.Stop()
			return
		}
	}
}

// temporary reports whether an accept error is worth retrying: the process
// or the system is out of descriptors or memory for the moment.
func temporary(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

// run serves one connection and reports it finished. Its frame is the one
// above every read, write and wait of the connection, so it is kept small:
// the setting up and the ending are calls of their own.
func (s *Server) run(c *conn, finished chan<- ended) {
	if s.cfg.Mode == ModeThread {
		// Never unlocked: when this goroutine ends, the runtime ends its
		// thread too, so every connection really has a thread of its own.
		runtime.LockOSThread()
		c.thread = gettid()
	}
	s.finish(c, s.newSession(c).loop(), finished)
}

// finish ends a connection that has stopped being served for reason.
//
//go:noinline
func (s *Server) finish(c *conn, reason string, finished chan<- ended) {
	c.ss.f.release()
	s.closeConn(c, reason)
	s.limit.Release()
	s.logEnd(c, reason)
	finished <- ended{c.id, reason == reasonCut}
}

// logEnd is apart from run so that its large frame is on the stack only
// while it logs, not under every idle connection's wait: the stacks of
// idle goroutines then stay small enough for the runtime to shrink them.
//
//go:noinline
func (s *Server) logEnd(c *conn, reason string) {
	s.logEnded(c.id, c.remote(), c.lines, c.bytes, c.start, c.thread, reason)
}

// logEnded writes a connection's "Connection ended" record, in every mode.
// start is in Unix ns; thread is 0 outside thread mode.
func (s *Server) logEnded(id uint64, remote string, lines, bytes, start int64, thread int, reason string) {
	attrs := []any{"conn", id, "remote", remote, "lines", lines, "bytes", bytes,
		"duration", time.Since(time.Unix(0, start)).Round(time.Microsecond), "reason", reason}
	if thread != 0 {
		attrs = append(attrs, "thread", thread)
	}
	s.cfg.Logger.Info("Connection ended", attrs...)
}

// reject tells a client over the connection limit and closes it.
func (s *Server) reject(c *conn, finished chan<- ended) {
	s.sayAndLinger(c, msgBusy)
	c.nc.Close()
	s.logRefused(c.id, c.remote())
	finished <- ended{id: c.id}
}

// logRefused writes the record of a client refused over the limit.
func (s *Server) logRefused(id uint64, remote string) {
	s.cfg.Logger.Warn("Connection refused", "conn", id, "remote", remote, "reason", "server busy")
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
