package echo

import (
	"errors"
	"os"
	"time"
)

// How a goroutine-mode connection ends: on purpose (saying its last line,
// then lingering), or at once (closing its socket and reporting its end);
// and how the serve loop wakes it and cuts it. rconn_end_linux.go is the
// same for reactor mode.

// wake has the connection look at the shutdown at once: its read returns
// with its deadline passed (see session.readFailure).
func (c *conn) wake(now time.Time) { c.nc.SetReadDeadline(now) }

// cut ends the connection at once: closed under it, its read or write
// fails, and it ends with the reason the policy gives (a read:
// policy.cutReason; a write: closed by server), or, if it was already
// ending on purpose, with that reason.
func (c *conn) cut() { c.nc.Close() }

// finish ends a connection that has stopped being served, for why (and
// err, for the error reasons), as loop returned them.
//
//go:noinline
func (ss *session) finish(why endReason, err error) {
	if why.onPurpose() {
		ss.endOnPurpose(why)
		return
	}
	ss.end(why, err)
}

// endOnPurpose ends the connection for why, by the server's own choice: it
// says the last line, if there is one, lingers, and ends.
func (ss *session) endOnPurpose(why endReason) {
	if line := why.lastLine(); line != nil {
		p, nc := &ss.s.policy, ss.c.nc
		nc.SetWriteDeadline(p.at(p.endDeadline(why)))
		if _, err := nc.Write(line); err != nil {
			ss.end(why, nil)
			return
		}
	}
	ss.linger(why)
	ss.end(why, nil)
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
func (ss *session) linger(why endReason) {
	nc := ss.c.nc
	cw, ok := nc.(interface{ CloseWrite() error })
	if !ok {
		return
	}
	if hook := ss.s.beforeEnd; hook != nil {
		hook(ss.c.remote())
	}
	if cw.CloseWrite() != nil {
		return
	}
	p := &ss.s.policy
	deadline := p.endDeadline(why)
	nc.SetReadDeadline(p.at(deadline))
	var sink [512]byte
	for {
		_, err := nc.Read(sink[:])
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded) && p.now() < deadline:
			nc.SetReadDeadline(p.at(deadline)) // the shutdown's wake-up moved it
		default:
			return
		}
	}
}

// end closes the connection and has the server account for its end.
func (ss *session) end(why endReason, err error) {
	c := ss.c
	ss.f.release()
	c.nc.Close()
	ss.s.connEnded(endRecord{id: c.id, remote: c.remote(), lines: c.lines, bytes: c.bytes,
		start: c.start, thread: c.thread, why: why, err: err})
}
