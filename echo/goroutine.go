package echo

import (
	"net"
	"runtime"
	"runtime/debug"
)

// goroutines is the runner of ModeGoroutine, ModeThread and ModeSequential:
// each connection is served by a goroutine of its own, which waits with its
// socket's deadlines (conn.go) and ends as conn_end.go says. In thread
// mode that goroutine is locked to an OS thread of its own; in sequential
// mode the loop takes a connection only when no other is being served.
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
		go g.refuse(c)
		return c
	}
	g.s.logAccepted(id, c.remote())
	go g.run(c)
	return c
}

func (g *goroutines) stopAccepting() { g.ln.Close() }

func (g *goroutines) close() {
	if g.maxThreads != 0 {
		debug.SetMaxThreads(g.maxThreads)
	}
}

// run serves one connection until it ends. Its frame is the one above
// every read, write and wait of the connection, so it is kept small: the
// setting up and the ending are calls of their own.
func (g *goroutines) run(c *conn) {
	if g.ownThread {
		// Never unlocked: when this goroutine ends, the runtime ends its
		// thread too, so every connection really has a thread of its own.
		runtime.LockOSThread()
		c.thread = gettid()
	}
	ss := g.s.newSession(c)
	ss.finish(ss.loop())
}

// refuse tells a client over the connection limit so, and closes it.
func (g *goroutines) refuse(c *conn) {
	c.ss = session{s: g.s, c: c}
	c.ss.endOnPurpose(endBusy)
}
