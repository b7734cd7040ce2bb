//go:build linux

package echo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/chansync/chansync/csp/async"
)

// reactorSupported reports nil: Linux has epoll.
func reactorSupported() error { return nil }

// reactorRuntime is what reactor mode serves with: an executor of the
// connections' tasks, a reactor that wakes them when their sockets are
// ready or their timers expire and then polls them, and the listener's socket,
// which the acceptor reads with accept4 so that a connection never becomes
// a net.Conn (and never enters Go's own netpoller).
type reactorRuntime struct {
	s       *Server
	exec    *async.Executor
	reactor *async.Reactor
	// listener is a duplicate of the listener's descriptor as an os.File:
	// unlike a net.Listener's, its RawConn can wait for readability, which
	// for a listening socket means a connection to accept.
	listener *os.File
	epoch    time.Time     // the zero of the connections' clock
	ends     endings       // tasks report their end here
	cut      chan struct{} // closed once the serve loop cuts every connection
}

func (s *Server) newReactorRuntime(ln net.Listener) (*reactorRuntime, error) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("echo: reactor mode accepts on the listener's socket, and a %T has none", ln)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("echo: reactor mode: %w", err)
	}
	dup, derr := -1, error(nil)
	if err := raw.Control(func(fd uintptr) { dup, derr = dupCloseOnExec(int(fd)) }); err != nil || derr != nil {
		return nil, fmt.Errorf("echo: reactor mode: duplicating the listener's descriptor: %v", errors.Join(err, derr))
	}
	// The descriptor shares the listener's non-blocking mode, so NewFile
	// registers it with Go's netpoller, where the acceptor waits.
	listener := os.NewFile(uintptr(dup), "listener")
	r, err := async.NewReactor()
	if err != nil {
		listener.Close()
		return nil, err
	}
	// The reactor's goroutine polls the connections it wakes (tokio's
	// current_thread runtime), so that a connection that becomes readable
	// is served without a hand-off to another goroutine; helpers, one per
	// other processor, join in when a turn wakes more than a few.
	exec := async.NewExecutor(async.Config{Workers: async.NoWorkers, Helpers: runtime.GOMAXPROCS(0) - 1})
	if err := r.Drive(exec); err != nil {
		r.Close()
		listener.Close()
		return nil, err
	}
	return &reactorRuntime{
		s:        s,
		exec:     exec,
		reactor:  r,
		listener: listener,
		epoch:    time.Now(),
		ends:     newEndings(),
		cut:      make(chan struct{}),
	}, nil
}

// close stops the executor and the reactor. The serve loop calls it once
// every connection has reported its end, so the executor's Shutdown only
// waits for those tasks to return from their last poll.
func (rt *reactorRuntime) close() {
	rt.stopAccepting()
	rt.exec.Shutdown(context.Background())
	rt.reactor.Close()
}

// stopAccepting closes the listener's duplicate, which wakes the acceptor
// and, once the serve loop closes the listener too, the listening socket.
func (rt *reactorRuntime) stopAccepting() {
	rt.listener.Close() // a second call only returns an error
}

func dupCloseOnExec(fd int) (int, error) {
	dup, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return -1, os.NewSyscallError("fcntl", errno)
	}
	return int(dup), nil
}

// cutting tells the tasks that the serve loop is cutting them (see Drop).
// Only the serve loop calls it.
func (rt *reactorRuntime) cutting() {
	if !isClosed(rt.cut) {
		close(rt.cut)
	}
}

// now is the time on the connections' clock, in ns since rt.epoch.
func (rt *reactorRuntime) now() int64 { return int64(time.Since(rt.epoch)) }

// at converts a time on the connections' clock back to a time.Time.
func (rt *reactorRuntime) at(ns int64) time.Time { return rt.epoch.Add(time.Duration(ns)) }

// accept is the acceptor goroutine of reactor mode: accept4 on the
// listener's socket, waiting for it in Go's netpoller like any listener.
// The sockets come out non-blocking, as the reactor needs them.
func (rt *reactorRuntime) accept(accepted chan<- socket, errs chan<- error, stop <-chan struct{}, done chan<- struct{}) {
	var fd int
	var sa syscall.Sockaddr
	var aerr error
	try := func(lfd uintptr) bool {
		for {
			fd, sa, aerr = syscall.Accept4(int(lfd), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
			switch aerr {
			case syscall.EINTR, syscall.ECONNABORTED: // as net does: try the next one
				continue
			case syscall.EAGAIN:
				return false // wait until the listener is readable
			}
			return true
		}
	}
	raw, err := rt.listener.SyscallConn()
	next := func() (socket, error) {
		if err != nil {
			return socket{}, err
		}
		if err := raw.Read(try); err != nil {
			return socket{}, err
		}
		if aerr != nil {
			return socket{}, os.NewSyscallError("accept4", aerr)
		}
		// As net does for the TCP connections it accepts: no Nagle delay
		// (an error means the socket is not TCP, which is fine).
		syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
		return socket{fd: fd, remote: addrPort(sa)}, nil
	}
	discard := func(s socket) error { return syscall.Close(s.fd) }
	acceptLoop(next, discard, accepted, errs, stop, done)
}

func addrPort(sa syscall.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *syscall.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// spawn starts serving sock as a task, or refusing it if it was not
// admitted under the connection limit, and returns the task as the serve
// loop keeps it.
func (rt *reactorRuntime) spawn(id uint64, sock socket, admitted bool) liveConn {
	c := rconn{
		rt:      rt,
		id:      id,
		fd:      int32(sock.fd),
		remote:  sock.remote,
		start:   time.Now().UnixNano(),
		refused: !admitted,
		f:       newFramer(rt.s.cfg.MaxLineBytes, readSize, rt.s.bufs),
	}
	return connTask{async.Spawn[struct{}](rt.exec, c)}
}

// connTask is a reactor-mode connection as the serve loop keeps it.
type connTask struct{ h async.JoinHandle[struct{}] }

// wake has the task polled, so that it sees the shutdown.
func (t connTask) wake(time.Time) { t.h.Wake() }

// cut aborts the task: its Drop closes the connection.
func (t connTask) cut() { t.h.Abort() }

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
	// the client still sends until it closes (see Server.linger).
	lingering
	// closed: the connection is over and Poll has returned Ready.
	closed
)

// purpose is why the server ends a connection on purpose.
type purpose uint8

const (
	purposeShutdown purpose = iota
	purposeTooLong
	purposeBusy
)

func (p purpose) reason() string {
	switch p {
	case purposeTooLong:
		return reasonTooLong
	case purposeBusy:
		return "server busy"
	}
	return reasonShutdown
}

// The last lines, as bytes to write; they are never written to.
var (
	lineTooLong = []byte(msgTooLong)
	serverBusy  = []byte(msgBusy)
)

// pollBudget bounds the reads and writes of one poll, so that a client
// that never stops sending cannot keep the others waiting (tokio's
// cooperative budget). A task that spends it wakes itself and yields.
const pollBudget = 32

// rconn is one connection in reactor mode: a future whose Poll reads,
// writes back complete lines and closes, one state at a time, and returns
// Pending whenever the socket would block. It is stored by value in its
// task, so a connection is one allocation; while it waits for its client it
// holds no read buffer (the framer gives it back) and no goroutine, only
// these fields, its socket, its place in the reactor and its timer.
//
// One timer serves every wait: the idle, line and write timeouts, the drain
// deadline and the linger. It is moved only when the deadline it must
// meet comes before the one it is set for. A later deadline is left for
// the timer to reach: the poll it then causes sees that the real deadline
// has not passed and sets the timer again. So a busy connection touches
// its timer about once per timeout, not once per line, and a timeout never
// fires early.
type rconn struct {
	rt     *reactorRuntime
	id     uint64
	remote netip.AddrPort
	start  int64 // Unix ns, for the log
	lines  int64
	bytes  int64
	f      framer
	out    []byte // still to write: lines (in f's buffer) or a last line
	outN   int    // lines in out when it was set
	outLen int    // bytes in out when it was set

	// Times on rt's clock.
	idleFrom  int64 // the idle timeout counts from here: the last read, write or start
	lineStart int64 // when the partial line began
	writeFrom int64 // when the write in progress first had to wait; 0 if it has not
	until     int64 // telling, lingering: when to give up and close
	armed     int64 // what the timer is set for; 0: not set
	timer     async.Timer

	fd        int32
	state     rstate
	why       purpose // telling, lingering: why the server ends it
	draining  bool    // shutdown has begun
	refused   bool    // over the limit: tell the client and end
	tooLong   bool    // after writing out, the next line is too long
	progress  bool    // bytes moved since the last look at the clock
	lineBegan bool    // a partial line began since the last look at the clock
}

// Poll runs the connection until it must wait for its socket or its timer,
// or is over.
func (c *rconn) Poll(cx *async.Context) (struct{}, bool) {
	if !c.draining && isClosed(c.rt.s.shutdown) {
		c.draining = true
	}
	if c.writeExpired() {
		return struct{}{}, true
	}
	for budget := pollBudget; c.state != closed; budget-- {
		if budget == 0 {
			cx.Waker().Wake() // poll again once the others have had a turn
			return struct{}{}, false
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
			return struct{}{}, false
		}
	}
	return struct{}{}, true
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
	if c.rt.now() < deadline {
		return false
	}
	c.end(why)
	return true
}

// register hands the socket to the reactor, for good: edge-triggered
// readiness in both directions wakes this task from now on.
func (c *rconn) register(cx *async.Context) {
	if err := c.rt.reactor.Register(int(c.fd), async.Readable|async.Writable, cx.Waker()); err != nil {
		c.end("register error: " + err.Error())
		return
	}
	c.idleFrom = c.rt.now()
	if c.refused {
		c.say(serverBusy, purposeBusy)
		return
	}
	c.state = reading
}

// read reads once and frames what came. It reports true when the socket has
// nothing more, so the connection must wait.
func (c *rconn) read() (blocked bool) {
	f := &c.f
	began := f.partial()
	n, err := readFD(c.fd, f.space())
	if n > 0 {
		c.progress = true
		lines, count, tooLong := f.commit(n)
		if f.partial() && (!began || count > 0) {
			c.lineBegan = true
		}
		c.tooLong = tooLong
		switch {
		case len(lines) > 0:
			c.out, c.outN, c.outLen = lines, count, len(lines)
			c.state = writing
		case tooLong:
			c.say(lineTooLong, purposeTooLong)
		}
		return false
	}
	switch {
	case err == syscall.EAGAIN:
		f.release() // no buffer held while waiting, unless a line has begun
		if c.draining && !f.partial() {
			// Shutting down, nothing begun, and nothing arrived: the
			// socket has just been read to the end.
			c.linger(purposeShutdown)
			return false
		}
		return true
	case err == nil:
		c.end("client closed")
	default:
		c.end("read error: " + os.NewSyscallError("read", err).Error())
	}
	return false
}

// write writes back the lines read; once they are all written, the
// connection reads again (or says its line is too long).
func (c *rconn) write() (blocked bool) {
	n, err := writeFD(c.fd, c.out)
	if n > 0 {
		c.out = c.out[n:]
		c.progress = true
	}
	switch {
	case len(c.out) == 0:
		c.lines += int64(c.outN)
		c.bytes += int64(c.outLen)
		c.out, c.writeFrom = nil, 0
		if c.tooLong {
			c.say(lineTooLong, purposeTooLong)
			return false
		}
		c.state = reading
	case err == syscall.EAGAIN:
		return true
	case err != nil:
		c.end("write error: " + os.NewSyscallError("write", err).Error())
	}
	return false
}

// say starts ending the connection on purpose with a last line.
func (c *rconn) say(line []byte, why purpose) {
	c.state, c.why, c.out = telling, why, line
	c.until = c.lingerDeadline()
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
		c.linger(c.why)
	case err == syscall.EAGAIN:
		return true
	case err != nil:
		c.end(c.why.reason())
	}
	return false
}

// linger sends the end of the stream, so that the client reads everything
// written and then EOF, and goes on to drop what the client still sends
// until it closes (see Server.linger: closing with unread input would
// reset the connection).
func (c *rconn) linger(why purpose) {
	c.why = why
	if hook := c.rt.s.beforeEnd; hook != nil {
		hook(remoteText(c.remote))
	}
	if syscall.Shutdown(int(c.fd), syscall.SHUT_WR) != nil {
		c.end(why.reason())
		return
	}
	c.state = lingering
	c.until = c.lingerDeadline()
}

// discard reads and drops what the client sends while the connection
// lingers; the client's end of the stream (or an error) ends it.
func (c *rconn) discard() (blocked bool) {
	var sink [1024]byte
	n, err := readFD(c.fd, sink[:])
	switch {
	case n > 0:
	case err == syscall.EAGAIN:
		return true
	default:
		c.end(c.why.reason())
	}
	return false
}

// lingerDeadline is when a connection ended on purpose stops lingering:
// LingerTimeout from now, or the drain deadline if that is sooner.
func (c *rconn) lingerDeadline() int64 {
	d := c.rt.now() + int64(c.rt.s.cfg.LingerTimeout)
	if isClosed(c.rt.s.shutdown) { // only then may drainDeadline be read
		if dd := c.rt.s.drainDeadline; !dd.IsZero() {
			d = min(d, int64(dd.Sub(c.rt.epoch)))
		}
	}
	return d
}

// wait is where a poll ends when the socket would block. It looks at the
// clock once: if the state's deadline has passed, the connection times out
// and wait reports false (the poll goes on, to the end); otherwise it sets
// the timer if the deadline comes before what the timer is set for, and
// reports true (Pending: the socket or the timer wakes the task).
func (c *rconn) wait(cx *async.Context) (pending bool) {
	now := c.rt.now()
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
		c.end(why)
		return false
	}
	if c.armed != 0 && now >= c.armed {
		c.armed = 0 // it has fired, or is about to: set it anew
	}
	if c.armed == 0 || deadline < c.armed {
		c.rt.reactor.ResetTimer(&c.timer, c.rt.at(deadline), cx.Waker())
		c.armed = deadline
	}
	return true
}

// deadline is when the present wait ends on the connections' clock, and
// the reason the connection ends then.
func (c *rconn) deadline() (int64, string) {
	cfg := &c.rt.s.cfg
	switch c.state {
	case reading:
		d, why := c.idleFrom+int64(cfg.IdleTimeout), "idle timeout"
		if c.f.partial() {
			d, why = c.lineStart+int64(cfg.LineTimeout), "line timeout"
		}
		if dd, ok := c.drainDeadline(); ok && dd <= d {
			d, why = dd, reasonCut
		}
		return d, why
	case writing:
		d := c.writeFrom + int64(cfg.WriteTimeout)
		if dd, ok := c.drainDeadline(); ok {
			d = min(d, dd)
		}
		return d, "write timeout"
	}
	return c.until, c.why.reason() // telling, lingering
}

// drainDeadline is the shutdown's deadline on the connections' clock, if
// the connection is draining and the shutdown has one.
func (c *rconn) drainDeadline() (int64, bool) {
	if !c.draining || c.rt.s.drainDeadline.IsZero() {
		return 0, false
	}
	return int64(c.rt.s.drainDeadline.Sub(c.rt.epoch)), true
}

// end closes the connection, gives back its permit, logs its end and
// reports it to the serve loop.
func (c *rconn) end(reason string) {
	registered := c.state != starting
	c.state = closed
	r := c.rt.reactor
	if c.armed != 0 {
		r.StopTimer(&c.timer)
	}
	if registered {
		r.Deregister(int(c.fd)) // before the close: the number may be reused at once
	}
	syscall.Close(int(c.fd))
	c.f.release()
	s := c.rt.s
	if c.refused {
		s.logRefused(c.id, remoteText(c.remote))
	} else {
		s.limit.Release()
		s.logEnded(c.id, remoteText(c.remote), c.lines, c.bytes, c.start, 0, reason)
	}
	c.rt.ends.add(ended{id: c.id, cut: reason == reasonCut})
}

// Drop ends a connection whose task is abandoned: the serve loop cut it
// (Abort), or its Poll panicked.
func (c *rconn) Drop() {
	if c.state == closed {
		return
	}
	reason := "closed by server"
	switch {
	case !isClosed(c.rt.cut):
		reason = "internal error: the connection's task panicked"
	case c.state == reading && isClosed(c.rt.s.force):
		reason = reasonCut
	case c.state == telling || c.state == lingering:
		reason = c.why.reason()
	}
	c.end(reason)
}

func readFD(fd int32, p []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), p)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

func writeFD(fd int32, p []byte) (int, error) {
	for {
		n, err := syscall.Write(int(fd), p)
		if err != syscall.EINTR {
			return n, err
		}
	}
}
