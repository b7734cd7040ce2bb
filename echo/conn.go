package echo

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// reasonCut is why a connection ends when Shutdown's deadline cuts a line
// that has not finished arriving.
const reasonCut = "shutdown: line unfinished at the drain deadline"

// readSize is how much a connection reads at once.
const readSize = 4096

// freeBuffers is how many idle read buffers the server keeps for reuse.
// Connections take a buffer only while they read, so this needs to cover the
// connections reading at the same moment, not all of them.
const freeBuffers = 64

// lingerTimeout bounds how long a connection that is being turned away
// (busy, line too long) keeps reading what the client still sends, so the
// client sees the ERR line rather than a reset.
const lingerTimeout = time.Second

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

	// readRaw's state, kept here so that its callback allocates nothing.
	readFn     func(fd uintptr) bool
	n          int
	errno      error
	needBuffer bool
}

// serveConn echoes complete lines until the connection ends and returns
// why it ended.
//
// Before each read it sets the read deadline (the idle timeout, or the line
// timeout once a line has begun) and only then looks at the shutdown
// channel. The serve loop closes that channel before it wakes the readers,
// so whichever comes first, a reader cannot sleep through a shutdown.
//
// The work is split into small functions so that the frames under the wait
// for data, and under a write, are small: a connection's goroutine then
// never outgrows its initial 2 KiB stack.
func (s *Server) serveConn(c *conn) string {
	ss := s.newSession(c)
	reason := ss.loop()
	ss.f.release()
	return reason
}

//go:noinline
func (s *Server) newSession(c *conn) *session {
	ss := &c.ss
	*ss = session{s: s, c: c, f: newFramer(s.cfg.MaxLineBytes, readSize, s.bufs)}
	if sc, ok := c.nc.(syscall.Conn); ok {
		ss.raw, _ = sc.SyscallConn()
		ss.readFn = ss.tryRead
	}
	return ss
}

func (ss *session) loop() string {
	for {
		reason, again := ss.prepare()
		if reason != "" {
			return reason
		}
		if again {
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
				ss.s.sayAndLinger(ss.c, "ERR line too long\n")
				return "line too long"
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

// prepare sets the read deadline for the next read. It returns a reason if
// the connection should end now, or again if shutdown has just been seen.
//
//go:noinline
func (ss *session) prepare() (reason string, again bool) {
	s, f := ss.s, &ss.f
	if f.partial() {
		ss.deadline = time.Unix(0, ss.lineStart).Add(s.cfg.LineTimeout)
	} else {
		ss.deadline = time.Now().Add(s.cfg.IdleTimeout)
	}
	if ss.draining {
		if !f.partial() {
			return "shutdown", false
		}
		if d := s.drainDeadline; !d.IsZero() && d.Before(ss.deadline) {
			ss.deadline = d
		}
	}
	want := ss.deadline.UnixNano()
	if want != ss.readSet && (f.partial() || ss.draining ||
		want < ss.readSet || time.Duration(want-ss.readSet) > slack(s.cfg.IdleTimeout)) {
		// An idle deadline is moved only when it has fallen behind by
		// more than the slack, so most lines cost no timer update.
		ss.c.nc.SetReadDeadline(ss.deadline)
		ss.readSet = want
	}
	if !ss.draining && isClosed(s.shutdown) {
		ss.draining = true
		return "", true
	}
	return "", false
}

// read reads once; this is where an idle connection waits.
func (ss *session) read() (int, error) {
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

// readRaw reads what has arrived into the framer's free space. When nothing
// has, it gives the buffer back to the free list (if no line is partly read)
// and waits for the socket to become readable holding no buffer: an idle
// connection costs its goroutine's stack and its socket, not a read buffer.
// The wait is the runtime's netpoller, as in net.Conn.Read, and it honours
// the read deadline.
func (ss *session) readRaw() (int, error) {
	for {
		ss.needBuffer = false
		err := ss.raw.Read(ss.readFn)
		if ss.needBuffer && err == nil {
			ss.f.space() // allocate here, not at the bottom of the poller's frames
			continue
		}
		switch {
		case err != nil:
			return 0, err
		case ss.errno != nil:
			return 0, os.NewSyscallError("read", ss.errno)
		case ss.n == 0:
			return 0, io.EOF
		}
		return ss.n, nil
	}
}

// tryRead is readRaw's callback, made once per connection (ss.readFn) so
// that a read allocates nothing. It returns false to wait for readability.
func (ss *session) tryRead(fd uintptr) bool {
	f := &ss.f
	if f.buf == nil {
		// Readable again after an idle wait: take a free buffer if there
		// is one, else let readRaw allocate one.
		select {
		case f.buf = <-f.pool:
		default:
			ss.needBuffer = true
			return true
		}
	}
	for {
		ss.n, ss.errno = syscall.Read(int(fd), f.space())
		if ss.errno != syscall.EINTR {
			break
		}
	}
	if ss.errno == syscall.EAGAIN {
		f.release()
		return false
	}
	return true
}

// write writes p within the write timeout, or by the drain deadline if that
// comes first while shutting down. Like the idle deadline, the write
// deadline is moved only when it has fallen behind by more than the slack.
func (ss *session) write(p []byte) error {
	s := ss.s
	deadline := time.Now().Add(s.cfg.WriteTimeout)
	if d := s.drainDeadline; ss.draining && !d.IsZero() && d.Before(deadline) {
		deadline = d
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

// sayAndLinger writes a last line to the client, closes its sending side,
// and reads and drops what the client still sends for a moment, so that the
// client reads the line instead of a connection reset.
func (s *Server) sayAndLinger(c *conn, line string) {
	deadline := time.Now().Add(lingerTimeout)
	c.nc.SetWriteDeadline(deadline)
	if _, err := io.WriteString(c.nc, line); err != nil {
		return
	}
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	c.nc.SetReadDeadline(deadline)
	var sink [512]byte
	for {
		if _, err := c.nc.Read(sink[:]); err != nil {
			return
		}
	}
}
