package echo

import (
	"net/netip"
	"os"

	"github.com/chansync/chansync/csp/async"
	"golang.org/x/sys/unix"
)

// rstate is where a reactor-mode connection stands.
type rstate uint8

const (
	// starting: spawned, not yet registered with the reactor.
	starting rstate = iota
	// reading: reading what the client sends, until the socket has no
	// more; a partial line may be held, waiting for its end.
	reading
	// writing: writing back the complete lines just read.
	writing
	// telling: writing a last line (ERR ...) before ending on purpose.
	telling
	// lingering: the end of the stream is sent; reading and dropping what
	// the client still sends until it closes (see session.linger).
	lingering
	// closed: the connection is over and Poll has returned Ready.
	closed
)

// rconn is one connection in reactor mode: a future whose Poll reads,
// writes back complete lines and closes, one state at a time, and returns
// Pending whenever the socket would block. It is stored by value in its
// task, so a connection is one allocation; while it waits for its client it
// holds no read buffer (the framer gives it back) and no goroutine, only
// these fields, its socket, its place in the reactor and its timer.
//
// One timer serves every wait: the idle, line and write timeouts, the drain
// deadline and the linger, each as the server's policy computes it. It is
// moved only when the deadline it must meet comes before the one it is set
// for. A later deadline is left for the timer to reach: the poll it then
// causes sees that the real deadline has not passed and sets the timer
// again. So a busy connection touches its timer about once per timeout,
// not once per line, and a timeout never fires early.
type rconn struct {
	rt     *reactorRuntime
	id     uint64
	remote netip.AddrPort
	start  int64 // on the server's clock, for the log
	lines  int64
	bytes  int64
	f      framer
	out    []byte // still to write: lines (in f's buffer) or a last line

	// Times on the server's clock.
	idleFrom  int64 // the idle timeout counts from here: the last read, write or start
	lineStart int64 // when the partial line began
	writeFrom int64 // when the write in progress first had to wait; 0 if it has not
	until     int64 // telling, lingering: when to give up and close
	armed     int64 // what the timer is set for; 0: not set
	framed    int64 // when the lines in out were read; kept only for an Observer
	timer     async.Timer

	fd     int32
	outN   int32 // lines in out when it was set (at most a read's worth)
	outLen int32 // bytes in out when it was set
	state  rstate
	// why is the end the server has chosen for the connection, once it
	// has: endBusy from the start if it was refused over the limit,
	// endTooLong once a line is (said after the lines before it are
	// written back), endShutdown once it is idle in a shutdown.
	why endReason
	// What has happened since the last look at the clock (see wait).
	progress  bool // bytes moved
	lineBegan bool // a partial line began
	// drained: the last read of this poll took less than it had room for,
	// so the socket held no more then; see read.
	drained bool
	// full: the last write found the socket full, and the reactor has not
	// reported it writable since; see write.
	full bool
	// polling: Poll has begun and not returned; see Drop.
	polling bool
}

// Poll runs the connection until it must wait for its socket or its timer,
// or is over. Each step (a read, a write) spends a unit of the task's
// budget (cx.Proceed), so that a client that never stops sending cannot
// keep the reactor from the other connections.
func (c *rconn) Poll(cx *async.Context) (struct{}, bool) {
	c.polling = true
	if c.writeExpired() {
		return c.polled(true)
	}
	c.drained = false // whatever woke the task, look at the socket again
	for c.state != closed {
		if !cx.Proceed() {
			return c.polled(false) // the budget is spent: polled again after the others
		}
		blocked := false
		switch c.state {
		case starting:
			c.register(cx)
		case reading:
			blocked = c.read()
		case writing:
			blocked = c.write()
		case telling:
			blocked = c.tell()
		case lingering:
			blocked = c.discard()
		}
		if blocked && c.wait(cx) {
			return c.polled(false)
		}
	}
	return c.polled(true)
}

// polled is what Poll returns, over or not, once Poll has marked itself
// returned (polling: see Drop).
func (c *rconn) polled(over bool) (struct{}, bool) {
	c.polling = false
	return struct{}{}, over
}

// writeExpired ends a connection whose blocked write has reached its
// deadline, before the poll tries the write again, and reports whether it
// did. Go's Write gives up at its deadline without another try, and so
// must this: Linux takes bytes into a socket's send buffer before it
// reports the socket writable again (it waits for a third of the buffer to
// be free), so a try at the deadline often moves a few bytes, and a write
// finished that way would start the timeout over for the next lines. A
// client that reads nothing would then be cut a timeout late, or later.
func (c *rconn) writeExpired() bool {
	if c.state != writing || c.writeFrom == 0 {
		return false // not blocked in a write: no clock to look at
	}
	deadline, why := c.deadline()
	if c.rt.s.policy.now() < deadline {
		return false
	}
	c.end(why, nil)
	return true
}

// register hands the socket to the reactor, for good: edge-triggered
// readiness in both directions wakes this task from now on.
func (c *rconn) register(cx *async.Context) {
	if err := c.rt.reactor.Register(int(c.fd), async.Readable|async.Writable, cx.Waker()); err != nil {
		c.end(endRegisterError, err)
		return
	}
	c.idleFrom = c.rt.s.policy.now()
	if c.why == endBusy {
		c.endOnPurpose(endBusy)
		return
	}
	c.state = reading
}

// read reads once and frames what came. It reports true when the socket has
// nothing more, so the connection must wait.
//
// A read that took less than it had room for left the socket empty, and
// with edge-triggered readiness any byte that arrives after it brings a new
// edge, which wakes the task (during this poll, a wake the executor keeps).
// So the next read of the same poll is not made: the socket is taken to
// have nothing, without the system call that would answer EAGAIN; that
// saves one of the three calls of an echoed line (read, write, read again),
// as tokio saves it by clearing a socket's readiness on a short read. The
// exceptions: a peer whose end has come (the reactor has seen it; the end
// came with the last bytes, and no edge will follow), and a shutdown, which
// decides from the socket itself whether anything has arrived. A new poll
// reads again, whatever woke it.
func (c *rconn) read() (blocked bool) {
	f := &c.f
	began := f.partial()
	if c.drained && !c.rt.s.policy.shuttingDown() {
		if closed, err := c.rt.reactor.PeerClosed(int(c.fd)); err == nil && !closed {
			return c.readNothing()
		}
	}
	space := f.space()
	n, err := readFD(c.fd, space)
	if n > 0 {
		c.drained = n < len(space)
		c.progress = true
		lines, count, tooLong := f.commit(n)
		if f.partial() && (!began || count > 0) {
			c.lineBegan = true
		}
		if tooLong {
			c.why = endTooLong
		}
		switch {
		case len(lines) > 0:
			c.out, c.outN, c.outLen = lines, int32(count), int32(len(lines))
			c.state = writing
			if c.rt.s.cfg.Observer != nil {
				c.framed = c.rt.s.policy.now()
			}
		case tooLong:
			c.endOnPurpose(endTooLong)
		}
		return false
	}
	switch {
	case err == unix.EAGAIN:
		return c.readNothing()
	case err == nil:
		c.end(endClientClosed, nil)
	default:
		c.end(endReadError, os.NewSyscallError("read", err))
	}
	return false
}

// readNothing is what follows a read that found the socket empty: wait for
// the next readable edge, or, shutting down with nothing begun, end.
func (c *rconn) readNothing() (blocked bool) {
	f := &c.f
	f.release() // no buffer held while waiting, unless a line has begun
	if !f.partial() && c.rt.s.policy.shuttingDown() {
		// Shutting down, nothing begun, and nothing arrived: the socket
		// has just been read to the end.
		c.endOnPurpose(endShutdown)
		return false
	}
	return true
}

// write writes back the lines read; once they are all written, the
// connection reads again (or says its line is too long).
//
// A write that found the socket full is tried again only once the reactor
// has reported the socket writable since, as Go's Write waits for its
// socket: the task is woken by more than that (bytes from the client, its
// timer), and a try on such a wake often moves a few bytes, since Linux
// takes bytes into a socket's send buffer before it reports the socket
// writable (a third of the buffer free). A client that reads nothing would
// then see its lines trickle out and the write timeout start over each
// time they are all written, and be cut a timeout late, or later.
//
// A report of the reactor may be stale: epoll_wait reads a socket's
// readiness when it collects the socket's event (any event: bytes from
// the client bring the socket's writability along), and the reactor
// records it a moment later, on its own goroutine. An event collected
// before the socket filled up, and recorded after the write that found it
// full, says writable of a full socket. So a report is taken as true only
// if the socket is writable now (poll(2)), which costs a system call only
// on this path, for a client that does not keep up with its echo.
func (c *rconn) write() (blocked bool) {
	if c.full {
		if !c.writable() || !pollWritable(c.fd) {
			return true // still full, as far as anyone knows
		}
		c.full = false
	}
	n, err := writeFD(c.fd, c.out)
	if err == unix.EAGAIN {
		// Full: forget the writable edges that came before, and look once
		// more, so that if it is still full any room made from now on is
		// an edge recorded for a later poll (see TakeReadiness).
		c.writable()
		n, err = writeFD(c.fd, c.out)
		c.full = err == unix.EAGAIN
	}
	if n > 0 {
		c.out = c.out[n:]
		c.progress = true
	}
	switch {
	case len(c.out) == 0:
		c.lines += int64(c.outN)
		c.bytes += int64(c.outLen)
		if c.rt.s.cfg.Observer != nil {
			c.rt.s.echoed(int(c.outN), int(c.outLen), c.framed)
		}
		c.out, c.writeFrom = nil, 0
		if c.why == endTooLong {
			c.endOnPurpose(endTooLong)
			return false
		}
		c.state = reading
	case err == unix.EAGAIN:
		return true
	case err != nil:
		c.end(endWriteError, os.NewSyscallError("write", err))
	}
	return false
}

// writable reports whether the reactor has reported the socket writable
// since the last look, and forgets it. On an error (which is not expected
// of a registered descriptor) it says yes, and the write reports.
func (c *rconn) writable() bool {
	ready, err := c.rt.reactor.TakeReadiness(int(c.fd), async.Writable)
	return ready != 0 || err != nil
}

// wait is where a poll ends when the socket would block. It looks at the
// clock once: if the state's deadline has passed, the connection times out
// and wait reports false (the poll goes on, to the end); otherwise it sets
// the timer if the deadline comes before what the timer is set for, and
// reports true (Pending: the socket or the timer wakes the task).
func (c *rconn) wait(cx *async.Context) (pending bool) {
	p := &c.rt.s.policy
	now := p.now()
	if c.progress {
		c.idleFrom, c.progress = now, false
	}
	if c.lineBegan {
		c.lineStart, c.lineBegan = now, false
	}
	if c.state == writing && c.writeFrom == 0 {
		c.writeFrom = now
	}
	deadline, why := c.deadline()
	if now >= deadline {
		c.end(why, nil)
		return false
	}
	if c.armed != 0 && now >= c.armed {
		c.armed = 0 // it has fired, or is about to: set it anew
	}
	if c.armed == 0 || deadline < c.armed {
		c.rt.reactor.ResetTimer(&c.timer, p.at(deadline), cx.Waker())
		c.armed = deadline
	}
	return true
}

// deadline is when the present wait ends, and the reason the connection
// ends with then.
func (c *rconn) deadline() (int64, endReason) {
	p := &c.rt.s.policy
	switch c.state {
	case reading:
		if c.f.partial() {
			return p.deadline(endLineTimeout, c.lineStart, p.shuttingDown())
		}
		return p.deadline(endIdleTimeout, c.idleFrom, p.shuttingDown())
	case writing:
		return p.deadline(endWriteTimeout, c.writeFrom, p.shuttingDown())
	}
	return c.until, c.why // telling, lingering
}
