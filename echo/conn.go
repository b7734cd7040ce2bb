package echo

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// Why a connection ends, where the server ends it on purpose.
const (
	// reasonShutdown: shutting down, nothing begun and nothing arrived.
	reasonShutdown = "shutdown"
	// reasonCut: Shutdown's deadline cut a line that had not finished
	// arriving.
	reasonCut = "shutdown: line unfinished at the drain deadline"
	// reasonTooLong: the client sent a line longer than MaxLineBytes.
	reasonTooLong = "line too long"
)

// What the server says before it ends a connection on purpose.
const (
	msgTooLong = "ERR line too long\n"
	msgBusy    = "ERR server busy\n"
)

// errNothingArrived is what a look at the socket (session.look) finds when
// the client has sent nothing the server has not read.
var errNothingArrived = errors.New("echo: nothing arrived")

// readSize is how much a connection reads at once.
const readSize = 4096

// freeBuffers is how many idle read buffers the server keeps for reuse.
// Connections take a buffer only while they read, so this needs to cover the
// connections reading at the same moment, not all of them.
const freeBuffers = 64

type conn struct {
	id     uint64
	nc     net.Conn
	start  int64 // Unix ns; kept small, as every idle connection holds it
	lines  int64
	bytes  int64
	thread int // OS thread id in ModeThread

	ss session // the reading state, in the same allocation
}

// remote is the client's address, for the log; it is not kept, to keep an
// idle connection small.
func (c *conn) remote() string { return c.nc.RemoteAddr().String() }

func newConn(id uint64, nc net.Conn) *conn {
	return &conn{id: id, nc: nc, start: time.Now().UnixNano()}
}

// session is one connection's reading state. It lives on the heap, in the
// connection's own allocation, so that the frames under an idle
// connection's wait stay small (see read).
type session struct {
	s         *Server
	c         *conn
	f         framer
	raw       syscall.RawConn // nil for connections that are not sockets
	lineStart int64           // when the partial line began, in Unix ns
	deadline  time.Time       // the read deadline wanted for the current read
	readSet   int64           // the read deadline last set on the connection, in Unix ns (0: none)
	writeSet  int64           // the write deadline last set, likewise
	draining  bool            // shutdown has begun
	look      bool            // read only what has arrived, without waiting (see prepare)

	// readRaw's state, kept here so that its callback allocates nothing.
	readFn     func(fd uintptr) bool
	n          int
	errno      error
	needBuffer bool
}

// newSession sets up c's reading state.
//
//go:noinline
func (s *Server) newSession(c *conn) *session {
	ss := &c.ss
	*ss = session{s: s, c: c, f: newFramer(s.cfg.MaxLineBytes, readSize, s.bufs)}
	if sc, ok := c.nc.(syscall.Conn); ok {
		ss.raw, _ = sc.SyscallConn()
		ss.readFn = ss.rawReadFunc()
	}
	return ss
}

// loop echoes complete lines until the connection ends and returns why it
// ended.
//
// Before each read it sets the read deadline (the idle timeout, or the line
// timeout once a line has begun) and only then looks at the shutdown
// channel. The serve loop closes that channel before it wakes the readers,
// so whichever comes first, a reader cannot sleep through a shutdown.
//
// The work is split into small functions, and loop runs right under the
// goroutine's first frame, so that the frames under the wait for data,
// under a write and under a deadline update are small: a connection's
// goroutine then never outgrows its first 2 KiB stack. The runtime's own
// frames under a deadline update (the timer heap, waking a thread) take
// most of those 2 KiB; TestIdleConnectionKeepsItsFirstStack checks that
// what is left is enough.
func (ss *session) loop() string {
	for {
		if ss.prepare() {
			// Set from here, the shallowest frame that can: the runtime's
			// timer code under SetReadDeadline is deep.
			ss.c.nc.SetReadDeadline(ss.deadline)
		}
		if !ss.draining && isClosed(ss.s.shutdown) {
			ss.draining = true // prepare again: the deadline depends on it
			continue
		}
		n, err := ss.read()
		if n > 0 {
			// The write is made from here, the shallowest frame that can,
			// so that a connection's stack stays within its first 2 KiB.
			lines, count, tooLong := ss.frame(n)
			if len(lines) > 0 {
				if err := ss.write(lines); err != nil {
					return writeFailure(err)
				}
				ss.c.lines += int64(count)
				ss.c.bytes += int64(len(lines))
			}
			if tooLong {
				return reasonTooLong
			}
		}
		if err != nil {
			if reason := ss.readFailure(err); reason != "" {
				return reason
			}
		}
	}
}

// frame takes n newly read bytes and returns the complete lines to echo,
// how many, and whether a line is too long.
//
//go:noinline
func (ss *session) frame(n int) ([]byte, int, bool) {
	f := &ss.f
	began := f.partial()
	lines, count, tooLong := f.commit(n)
	if f.partial() && (!began || count > 0) {
		ss.lineStart = time.Now().UnixNano() // a new line has begun
	}
	return lines, count, tooLong
}

// prepare works out the read deadline for the next read and reports
// whether it must be set on the connection. The loop sets it, and only then
// looks at the shutdown channel.
//
// Once shutdown has begun, a connection with no line begun is idle only if
// nothing has arrived either: its client may have sent bytes the server has
// not read yet (because it was writing, or was woken by the shutdown before
// the bytes). So instead of ending it, prepare has the next read look at
// the socket without waiting (ss.look): what has arrived is read and served
// as any other input, a partial line among it may be finished until the
// drain deadline, and only when nothing has arrived does the connection end.
//
//go:noinline
func (ss *session) prepare() (set bool) {
	s, f := ss.s, &ss.f
	ss.look = ss.draining && !f.partial()
	if ss.look {
		return false
	}
	if f.partial() {
		ss.deadline = time.Unix(0, ss.lineStart).Add(s.cfg.LineTimeout)
	} else {
		ss.deadline = time.Now().Add(s.cfg.IdleTimeout)
	}
	if ss.draining {
		if d := s.drainDeadline; !d.IsZero() && d.Before(ss.deadline) {
			ss.deadline = d
		}
	}
	want := ss.deadline.UnixNano()
	if want != ss.readSet && (f.partial() || ss.draining ||
		want < ss.readSet || time.Duration(want-ss.readSet) > slack(s.cfg.IdleTimeout)) {
		// An idle deadline is moved only when it has fallen behind by
		// more than the slack, so most lines cost no timer update.
		ss.readSet = want
		return true
	}
	return false
}

// read reads once; this is where an idle connection waits.
func (ss *session) read() (int, error) {
	if ss.look {
		return ss.readArrived()
	}
	if ss.raw != nil {
		return ss.readRaw()
	}
	return ss.c.nc.Read(ss.f.space())
}

// readFailure says why a read error ends the connection, or returns "" to
// read on (the shutdown has just woken the reader).
//
//go:noinline
func (ss *session) readFailure(err error) string {
	s, f := ss.s, &ss.f
	switch {
	case errors.Is(err, errNothingArrived):
		return reasonShutdown
	case errors.Is(err, os.ErrDeadlineExceeded):
		ss.readSet = 0 // the shutdown may have moved it: set it anew
		if isClosed(s.shutdown) {
			if !ss.draining || time.Now().Before(ss.deadline) {
				ss.draining = true // woken by the shutdown, not by our own deadline
				return ""
			}
			if ss.deadline.Equal(s.drainDeadline) {
				return reasonCut
			}
		}
		if f.partial() {
			return "line timeout"
		}
		return "idle timeout"
	case errors.Is(err, io.EOF):
		return "client closed"
	case isClosed(s.force):
		return reasonCut
	case errors.Is(err, net.ErrClosed), errors.Is(err, io.ErrClosedPipe):
		return "closed by server"
	default:
		return "read error: " + err.Error()
	}
}

// write writes p within the write timeout, or by the drain deadline if that
// comes first while shutting down. Like the idle deadline, the write
// deadline is moved only when it has fallen behind by more than the slack.
func (ss *session) write(p []byte) error {
	s := ss.s
	deadline := time.Now().Add(s.cfg.WriteTimeout)
	if ss.draining { // only then may drainDeadline be read
		if d := s.drainDeadline; !d.IsZero() && d.Before(deadline) {
			deadline = d
		}
	}
	if want := deadline.UnixNano(); time.Duration(want-ss.writeSet) > slack(s.cfg.WriteTimeout) || want < ss.writeSet {
		ss.c.nc.SetWriteDeadline(deadline)
		ss.writeSet = want
	}
	_, err := ss.c.nc.Write(p)
	return err
}

// slack is how far an idle or write deadline may lag behind the exact one:
// a sixteenth of the timeout, at most a second. The timeout then fires at
// most that much early, and a connection under load updates its timers at
// most about once a second instead of on every line.
func slack(timeout time.Duration) time.Duration {
	return min(timeout/16, time.Second)
}

func writeFailure(err error) string {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "write timeout"
	case errors.Is(err, net.ErrClosed), errors.Is(err, io.ErrClosedPipe):
		return "closed by server"
	}
	return "write error: " + err.Error()
}

// closeConn closes a connection that ended for reason. Where the server
// ends it by its own choice (shutdown, line too long; server busy is in
// reject) it makes sure what it wrote reaches the client: it says why, if
// there is a why to say, and lingers (see linger). The other ends are plain
// closes: the client has gone, or a timeout has decided and closing is the
// point.
func (s *Server) closeConn(c *conn, reason string) {
	switch reason {
	case reasonShutdown:
		s.linger(c)
	case reasonTooLong:
		s.sayAndLinger(c, msgTooLong)
	}
	c.nc.Close()
}

// sayAndLinger writes a last line to the client and lingers.
func (s *Server) sayAndLinger(c *conn, line string) {
	c.nc.SetWriteDeadline(s.lingerDeadline())
	if _, err := io.WriteString(c.nc, line); err != nil {
		return
	}
	s.linger(c)
}

// linger prepares a connection for its close. Closing a socket that has
// unread input makes the kernel answer with a reset instead of the end of
// the stream: the client may then see an error in place of the end, and
// whatever the server wrote that had not yet left is lost. So linger sends
// the end of the stream first (CloseWrite: the client reads all that was
// written, then EOF) and reads and drops what the client still sends,
// until the client closes or Config.LingerTimeout passes (the drain deadline, if
// shutting down and that is sooner). A connection that cannot half-close
// (net.Pipe) is left as it is: its writes completed only when read, so it
// has nothing in flight to lose.
func (s *Server) linger(c *conn) {
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
	deadline := s.lingerDeadline()
	c.nc.SetReadDeadline(deadline)
	var sink [512]byte
	for {
		_, err := c.nc.Read(sink[:])
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded) && time.Now().Before(deadline):
			c.nc.SetReadDeadline(deadline) // the shutdown's wake-up moved it
		default:
			return
		}
	}
}

// lingerDeadline is when a connection ended on purpose stops lingering.
func (s *Server) lingerDeadline() time.Time {
	deadline := time.Now().Add(s.cfg.LingerTimeout)
	if !isClosed(s.shutdown) {
		return deadline // and drainDeadline may not be read yet
	}
	if d := s.drainDeadline; !d.IsZero() && d.Before(deadline) {
		deadline = d
	}
	return deadline
}
