package echo

import (
	"errors"
	"io"
	"net"
	"os"
	"time"
)

// reasonCut is why a connection ends when Shutdown's deadline cuts a line
// that has not finished arriving.
const reasonCut = "shutdown: line unfinished at the drain deadline"

// readSize is how much a connection reads at once.
const readSize = 4096

// lingerTimeout bounds how long a connection that is being turned away
// (busy, line too long) keeps reading what the client still sends, so the
// client sees the ERR line rather than a reset.
const lingerTimeout = time.Second

type conn struct {
	id     uint64
	nc     net.Conn
	remote string
	start  time.Time
	lines  int64
	bytes  int64
	thread int // OS thread id in ModeThread
}

func newConn(id uint64, nc net.Conn) *conn {
	return &conn{id: id, nc: nc, remote: nc.RemoteAddr().String(), start: time.Now()}
}

// serveConn echoes complete lines until the connection ends and returns
// why it ended.
//
// Before each read it sets the read deadline (the idle timeout, or the line
// timeout once a line has begun) and only then looks at the shutdown
// channel. The serve loop closes that channel before it wakes the readers,
// so whichever comes first, a reader cannot sleep through a shutdown.
func (s *Server) serveConn(c *conn) string {
	f := newFramer(s.cfg.MaxLineBytes, readSize)
	var lineStart time.Time
	draining := false
	for {
		var deadline time.Time
		if f.partial() {
			deadline = lineStart.Add(s.cfg.LineTimeout)
		} else {
			deadline = time.Now().Add(s.cfg.IdleTimeout)
		}
		if draining {
			if !f.partial() {
				return "shutdown"
			}
			if d := s.drainDeadline; !d.IsZero() && d.Before(deadline) {
				deadline = d
			}
		}
		c.nc.SetReadDeadline(deadline)
		if !draining && isClosed(s.shutdown) {
			draining = true
			continue
		}

		n, err := c.nc.Read(f.space())
		if n > 0 {
			began := f.partial()
			lines, count, tooLong := f.commit(n)
			if len(lines) > 0 {
				if err := s.write(c, lines, draining); err != nil {
					return writeFailure(err)
				}
				c.lines += int64(count)
				c.bytes += int64(len(lines))
			}
			if tooLong {
				s.sayAndLinger(c, "ERR line too long\n")
				return "line too long"
			}
			if f.partial() && (!began || count > 0) {
				lineStart = time.Now() // a new line has begun
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			if isClosed(s.shutdown) {
				if !draining || time.Now().Before(deadline) {
					draining = true // woken by the shutdown, not by our own deadline
					continue
				}
				if deadline.Equal(s.drainDeadline) {
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
}

// write writes p within the write timeout, or by the drain deadline if that
// comes first while shutting down.
func (s *Server) write(c *conn, p []byte, draining bool) error {
	deadline := time.Now().Add(s.cfg.WriteTimeout)
	if d := s.drainDeadline; draining && !d.IsZero() && d.Before(deadline) {
		deadline = d
	}
	c.nc.SetWriteDeadline(deadline)
	_, err := c.nc.Write(p)
	return err
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
