package echo

import (
	"time"

	"github.com/chansync/chansync/csp/async"
	"golang.org/x/sys/unix"
)

// How a reactor-mode connection ends: on purpose (saying its last line,
// then lingering), or at once (closing its socket and reporting its end);
// and how the serve loop wakes it and cuts it. conn_end.go is the same for
// goroutine mode.

// connTask is a reactor-mode connection as the serve loop keeps it.
type connTask struct{ h async.JoinHandle[struct{}] }

// wake has the task polled, so that it sees the shutdown.
func (t connTask) wake(time.Time) { t.h.Wake() }

// cut aborts the task: its Drop closes the connection, with the reason
// cutReason gives.
func (t connTask) cut() { t.h.Abort() }

// endOnPurpose starts ending the connection for why, by the server's own
// choice: it says the last line, if there is one, then lingers.
func (c *rconn) endOnPurpose(why endReason) {
	c.why = why
	if line := why.lastLine(); line != nil {
		c.state, c.out = telling, line
		c.until = c.rt.s.policy.endDeadline(why)
		return
	}
	c.linger()
}

// tell writes the last line, then lingers.
func (c *rconn) tell() (blocked bool) {
	n, err := writeFD(c.fd, c.out)
	if n > 0 {
		c.out = c.out[n:]
	}
	switch {
	case len(c.out) == 0:
		c.out = nil
		c.linger()
	case err == unix.EAGAIN:
		return true
	case err != nil:
		c.end(c.why, nil)
	}
	return false
}

// linger sends the end of the stream, so that the client reads everything
// written and then EOF, and goes on to drop what the client still sends
// until it closes (see session.linger: closing with unread input would
// reset the connection).
func (c *rconn) linger() {
	if hook := c.rt.s.beforeEnd; hook != nil {
		hook(remoteText(c.remote))
	}
	if closeWrite(c.fd) != nil {
		c.end(c.why, nil)
		return
	}
	c.state = lingering
	c.until = c.rt.s.policy.endDeadline(c.why)
}

// discard reads and drops what the client sends while the connection
// lingers; the client's end of the stream (or an error) ends it.
func (c *rconn) discard() (blocked bool) {
	var sink [1024]byte
	n, err := readFD(c.fd, sink[:])
	switch {
	case n > 0:
	case err == unix.EAGAIN:
		return true
	default:
		c.end(c.why, nil)
	}
	return false
}

// end closes the connection and has the server account for its end.
func (c *rconn) end(why endReason, err error) {
	registered := c.state != starting
	c.state = closed
	r := c.rt.reactor
	if c.armed != 0 {
		r.StopTimer(&c.timer)
	}
	if registered {
		r.Deregister(int(c.fd)) // before the close: the number may be reused at once
	}
	closeFD(c.fd)
	c.f.release()
	rec := endRecord{id: c.id, remote: remoteText(c.remote), lines: c.lines, bytes: c.bytes, start: c.start, why: why, err: err}
	if c.why == endBusy {
		rec.why, rec.err = endBusy, nil // refused, whatever ended it
	}
	c.rt.s.connEnded(rec)
}

// Drop ends a connection whose task is abandoned before its end: its Poll
// panicked, or the serve loop cut it (Abort). Which of the two, Poll has
// told it: the executor never calls Drop while Poll runs (async.Dropper),
// so a Drop while Poll has begun and not returned follows its panic. (The
// executor would also drop a task it refused or abandoned at its shutdown,
// but the serve loop spawns before it shuts the executor down, and only
// once every connection has ended.)
func (c *rconn) Drop() {
	switch {
	case c.state == closed:
	case c.polling:
		c.end(endPanicked, nil)
	default:
		c.end(c.cutReason(), nil)
	}
}

// cutReason is why the connection ends when the serve loop cuts it, as a
// goroutine-mode connection closed under it says (session.readFailure,
// writeFailure, endOnPurpose): waiting for its client, the reason the
// policy gives (cut at the drain deadline, or closed by the server);
// ending on purpose, the reason it was ending for; otherwise closed by
// the server.
func (c *rconn) cutReason() endReason {
	switch c.state {
	case reading:
		return c.rt.s.policy.cutReason()
	case telling, lingering:
		return c.why
	}
	return endClosedByServer
}
