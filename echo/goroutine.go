package echo

import (
	"errors"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"time"
)

// goroutines is the runner of ModeGoroutine, ModeThread and ModeSequential:
// each connection is served by a goroutine of its own, which waits with its
// socket's deadlines (conn.go). In thread mode that goroutine is locked to
// an OS thread of its own; in sequential mode the loop takes a connection
// only when no other is being served.
type goroutines struct {
	s          *Server
	ln         net.Listener
	ownThread  bool // ModeThread
	oneAtATime bool // ModeSequential
	maxThreads int  // the runtime's thread limit to restore at close; 0: none
}

func newGoroutines(s *Server, ln net.Listener) *goroutines {
	g := &goroutines{s: s, ln: ln, ownThread: s.cfg.Mode == ModeThread, oneAtATime: s.cfg.Mode == ModeSequential}
	if g.ownThread {
		// One OS thread per connection, plus the runtime's own.
		need := s.cfg.MaxConns + 100
		if prev := debug.SetMaxThreads(need); prev > need {
			debug.SetMaxThreads(prev) // already higher: keep it
		} else {
			g.maxThreads = prev
		}
	}
	return g
}

func (g *goroutines) accept(accepted chan<- net.Conn, errs chan<- error, stop <-chan struct{}) {
	acceptLoop(g.ln.Accept, net.Conn.Close, accepted, errs, stop)
}

// takes is where sequential mode has the tutorial's bug: the loop serves
// one client to completion before it accepts the next, as when the handler
// is awaited in the accept loop instead of spawned.
func (g *goroutines) takes(live int) bool { return !g.oneAtATime || live == 0 }

func (g *goroutines) start(id uint64, nc net.Conn, admitted bool) liveConn {
	c := newConn(id, nc, g.s.policy.now())
	if !admitted {
		go g.s.reject(c)
		return c
	}
	g.s.logAccepted(id, c.remote())
	go g.s.run(c, g.ownThread)
	return c
}

func (g *goroutines) stopAccepting() { g.ln.Close() }

func (g *goroutines) close() {
	if g.maxThreads != 0 {
		debug.SetMaxThreads(g.maxThreads)
	}
}

func (c *conn) wake(now time.Time) { c.nc.SetReadDeadline(now) }
func (c *conn) cut()               { c.nc.Close() }

// run serves one connection until it ends. Its frame is the one above
// every read, write and wait of the connection, so it is kept small: the
// setting up and the ending are calls of their own.
func (s *Server) run(c *conn, ownThread bool) {
	if ownThread {
		// Never unlocked: when this goroutine ends, the runtime ends its
		// thread too, so every connection really has a thread of its own.
		runtime.LockOSThread()
		c.thread = gettid()
	}
	ss := s.newSession(c)
	ss.finish(ss.loop())
}

// finish ends a connection that has stopped being served, for why (and
// err, for the error reasons).
//
//go:noinline
func (ss *session) finish(why endReason, err error) {
	s, c := ss.s, ss.c
	ss.f.release()
	s.closeConn(c, why)
	s.connEnded(endRecord{id: c.id, remote: c.remote(), lines: c.lines, bytes: c.bytes,
		start: c.start, thread: c.thread, why: why, err: err})
}

// reject tells a client over the connection limit and closes it.
func (s *Server) reject(c *conn) {
	s.closeConn(c, endBusy)
	s.connEnded(endRecord{id: c.id, remote: c.remote(), why: endBusy})
}

// closeConn closes a connection that ended for why, first making sure,
// where the server ends it on purpose, that what it wrote reaches the
// client (see endReason.onPurpose).
func (s *Server) closeConn(c *conn, why endReason) {
	if why.onPurpose() {
		s.endOnPurpose(c, why)
	}
	c.nc.Close()
}

// endOnPurpose says the last line for why, if there is one, and lingers.
func (s *Server) endOnPurpose(c *conn, why endReason) {
	if line := why.lastLine(); line != nil {
		p := &s.policy
		deadline, _ := p.deadline(why, p.now(), p.shuttingDown())
		c.nc.SetWriteDeadline(p.at(deadline))
		if _, err := c.nc.Write(line); err != nil {
			return
		}
	}
	s.linger(c, why)
}

// linger prepares a connection for its close. Closing a socket that has
// unread input makes the kernel answer with a reset instead of the end of
// the stream: the client may then see an error in place of the end, and
// whatever the server wrote that had not yet left is lost. So linger sends
// the end of the stream first (CloseWrite: the client reads all that was
// written, then EOF) and reads and drops what the client still sends,
// until the client closes or Config.LingerTimeout passes (the drain
// deadline, if shutting down and that is sooner). A connection that cannot
// half-close (net.Pipe) is left as it is: its writes completed only when
// read, so it has nothing in flight to lose.
func (s *Server) linger(c *conn, why endReason) {
	cw, ok := c.nc.(interface{ CloseWrite() error })
	if !ok {
		return
	}
	if s.beforeEnd != nil {
		s.beforeEnd(c.remote())
	}
	if cw.CloseWrite() != nil {
		return
	}
	p := &s.policy
	deadline, _ := p.deadline(why, p.now(), p.shuttingDown())
	c.nc.SetReadDeadline(p.at(deadline))
	var sink [512]byte
	for {
		_, err := c.nc.Read(sink[:])
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded) && p.now() < deadline:
			c.nc.SetReadDeadline(p.at(deadline)) // the shutdown's wake-up moved it
		default:
			return
		}
	}
}
