package echo

import (
	"context"
	"errors"
	"net"

	"github.com/chansync/chansync/csp"
)

// ErrServerClosed is returned by Serve and ListenAndServe once Shutdown or
// Close has been called.
var ErrServerClosed = errors.New("echo: server closed")

// A Server is a line echo server. Make one with NewServer; it serves once.
type Server struct {
	cfg    Config
	policy policy
	limit  *csp.Semaphore // a permit per connection being served
	bufs   chan []byte    // the free list of read buffers, shared by all connections
	ends   endings        // connections report their end here

	state   chan serverState // one slot: the server's lock
	closing chan struct{}    // closed by the first Close
	done    chan struct{}    // closed when Serve returns

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
	closeCalled    bool
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
		cfg:     cfg,
		policy:  newPolicy(cfg),
		limit:   csp.NewSemaphore(cfg.MaxConns),
		bufs:    make(chan []byte, freeBuffers),
		ends:    newEndings(),
		state:   make(chan serverState, 1),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
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

// Serve accepts connections on ln and serves them until Shutdown or Close
// is called or ctx ends, and returns only when every connection has been
// closed and every goroutine it started has ended. It closes ln.
//
// After Shutdown or Close it returns ErrServerClosed. When ctx ends it
// stops at once, as Close does, and returns ctx.Err(). If accepting fails
// for good (not a temporary error such as running out of file descriptors,
// which it retries with a back-off) it closes every connection and returns
// that error.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	st := <-s.state
	switch {
	case st.shutdownCalled || st.closeCalled:
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
	if s.cfg.Mode == ModeReactor {
		return s.serveReactor(ctx, ln)
	}
	return serve(ctx, s, newGoroutines(s, ln))
}

// recordCuts records how many connections the drain deadline cut, for
// Shutdown to report.
func (s *Server) recordCuts(n int) {
	st := <-s.state
	st.cut = n
	s.state <- st
}

// Shutdown stops the server gracefully: it stops accepting, closes idle
// connections, and waits for connections in the middle of a line to finish
// it, until ctx ends. Bytes a client has sent that wait unread in the
// server's socket count as a line begun (for connections that expose their
// socket through syscall.Conn; any other connection is judged by what the
// server has read). An idle connection is closed gracefully: the server
// sends the end of the stream and reads what the client still sends, for
// at most Config.LingerTimeout or until ctx's deadline, before it closes.
// Then it cuts the connections that are left and returns ctx.Err(); it
// returns nil if every connection ended by itself (or Close closed them
// first). Either way, when it returns, Serve has returned or will return
// ErrServerClosed without serving.
func (s *Server) Shutdown(ctx context.Context) error {
	st := <-s.state
	first := !st.shutdownCalled
	st.shutdownCalled = true
	running := st.phase == serving
	s.state <- st
	if first {
		deadline, ok := ctx.Deadline()
		s.policy.beginShutdown(deadline, ok)
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
		close(s.policy.force)
	}
	s.state <- st
	<-s.done
	return ctx.Err()
}

// Close stops the server at once, without draining, as net/http's
// Server.Close does: it stops accepting and closes every connection, lines
// in flight and all, and returns once Serve has returned, which then
// returns ErrServerClosed. A connection it closes ends with the reason
// "closed by server" (one the server was already ending on purpose keeps
// its reason); a client sees the end of the stream, or a reset if it had
// sent bytes the server had not read. Before Serve, Close makes Serve
// return ErrServerClosed without serving; after Serve has returned it does
// nothing, and a second Close only waits, as the first, for Serve to
// return. Close returns nil; it returns an error so that a Server is an
// io.Closer.
func (s *Server) Close() error {
	st := <-s.state
	first := !st.closeCalled
	st.closeCalled = true
	running := st.phase == serving
	s.state <- st
	if first {
		close(s.closing)
	}
	if running {
		<-s.done
	}
	return nil
}
