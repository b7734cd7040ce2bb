package echo

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"
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

// conn is a connection served by a goroutine of its own (see goroutines).
type conn struct {
	id     uint64
	nc     net.Conn
	start  int64 // on the server's clock
	lines  int64
	bytes  int64
	thread int // OS thread id in ModeThread

	ss session // the reading state, in the same allocation
}

// remote is the client's address, for the log; it is not kept, to keep an
// idle connection small.
func (c *conn) remote() string { return c.nc.RemoteAddr().String() }

func newConn(id uint64, nc net.Conn, start int64) *conn {
	return &conn{id: id, nc: nc, start: start}
}

// session is one connection's reading state. It lives on the heap, in the
// connection's own allocation, so that the frames under an idle
// connection's wait stay small (see read). Its times are on the server's
// clock.
type session struct {
	s         *Server
	c         *conn
	f         framer
	raw       syscall.RawConn // nil for connections that are not sockets
	lineStart int64           // when the partial line began
	deadline  int64           // the read deadline wanted for the current read
	readSet   int64           // the read deadline last set on the connection (0: none)
	writeSet  int64           // the write deadline last set, likewise
	why       endReason       // why the connection ends if deadline passes
	draining  bool            // shutdown has begun
	look      bool            // read only what has arrived, without waiting (see prepare)

	// readRaw's state, kept here so that its callback allocates nothing.
	needBuffer bool
	n          int
	errno      error
	readFn     func(fd uintptr) bool
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
// ended (and the error, for the error reasons).
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
func (ss *session) loop() (endReason, error) {
	for {
		if ss.prepare() {
			// Set from here, the shallowest frame that can: the runtime's
			// timer code under SetReadDeadline is deep.
			ss.c.nc.SetReadDeadline(ss.s.policy.at(ss.deadline))
		}
		if !ss.draining && ss.s.policy.shuttingDown() {
			ss.draining = true // prepare again: the deadline depends on it
			continue
		}
		n, err := ss.read()
		if n > 0 {
			// The write is made from here, the shallowest frame that can,
			// so that a connection's stack stays within its first 2 KiB.
			lines, count, tooLong := ss.frame(n)
			if len(lines) > 0 {
				began, err := ss.write(lines)
				if err != nil {
					return writeFailure(err)
				}
				ss.c.lines += int64(count)
				ss.c.bytes += int64(len(lines))
				if ss.s.cfg.Observer != nil {
					ss.s.echoed(count, len(lines), began)
				}
			}
			if tooLong {
				return endTooLong, nil
			}
		}
		if err != nil {
			if why, err := ss.readFailure(err); why != notEnded {
				return why, err
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
		ss.lineStart = ss.s.policy.now() // a new line has begun
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
	p, f := &ss.s.policy, &ss.f
	ss.look = ss.draining && !f.partial()
	if ss.look {
		return false
	}
	if f.partial() {
		ss.deadline, ss.why = p.deadline(endLineTimeout, ss.lineStart, ss.draining)
	} else {
		ss.deadline, ss.why = p.deadline(endIdleTimeout, p.now(), ss.draining)
	}
	want := ss.deadline
	if want != ss.readSet && (f.partial() || ss.draining ||
		want < ss.readSet || time.Duration(want-ss.readSet) > slack(time.Duration(p.idle))) {
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

// readFailure says why a read error ends the connection, or returns
// notEnded to read on (the shutdown has just woken the reader).
//
//go:noinline
func (ss *session) readFailure(err error) (endReason, error) {
	p := &ss.s.policy
	switch {
	case errors.Is(err, errNothingArrived):
		return endShutdown, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		ss.readSet = 0 // the shutdown may have moved it: set it anew
		if p.shuttingDown() && (!ss.draining || p.now() < ss.deadline) {
			ss.draining = true // woken by the shutdown, not by our own deadline
			return notEnded, nil
		}
		return ss.why, nil
	case errors.Is(err, io.EOF):
		return endClientClosed, nil
	case isClosed(p.force), errors.Is(err, net.ErrClosed), errors.Is(err, io.ErrClosedPipe):
		return p.cutReason(), nil // the serve loop closed it
	default:
		return endReadError, err
	}
}

// write writes lines within the write timeout, or by the drain deadline if that
// comes first while shutting down, and returns when it began, on the
// server's clock. Like the idle deadline, the write deadline is moved only
// when it has fallen behind by more than the slack.
func (ss *session) write(lines []byte) (began int64, err error) {
	p := &ss.s.policy
	began = p.now()
	want, _ := p.deadline(endWriteTimeout, began, ss.draining)
	if time.Duration(want-ss.writeSet) > slack(time.Duration(p.write)) || want < ss.writeSet {
		ss.c.nc.SetWriteDeadline(p.at(want))
		ss.writeSet = want
	}
	_, err = ss.c.nc.Write(lines)
	return began, err
}

// slack is how far an idle or write deadline may lag behind the exact one:
// a sixteenth of the timeout, at most a second. The timeout then fires at
// most that much early, and a connection under load updates its timers at
// most about once a second instead of on every line.
func slack(timeout time.Duration) time.Duration {
	return min(timeout/16, time.Second)
}

func writeFailure(err error) (endReason, error) {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return endWriteTimeout, nil
	case errors.Is(err, net.ErrClosed), errors.Is(err, io.ErrClosedPipe):
		return endClosedByServer, nil
	}
	return endWriteError, err
}
