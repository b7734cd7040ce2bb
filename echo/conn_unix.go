//go:build unix

package echo

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// rawReadFunc is readRaw's callback (see tryRead), made once per connection.
func (ss *session) rawReadFunc() func(fd uintptr) bool { return ss.tryRead }

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
		if err != nil {
			return 0, err
		}
		return ss.readResult()
	}
}

// readArrived reads what has arrived, without waiting: errNothingArrived if
// nothing has. It reads through RawConn.Control, which, unlike RawConn.Read,
// neither waits nor minds the read deadline (the shutdown has just moved it
// to now). A connection that is not a socket is taken to hold nothing
// unread: a net.Pipe write completes only when the reader has taken it.
//
//go:noinline
func (ss *session) readArrived() (int, error) {
	if ss.raw == nil {
		return 0, errNothingArrived
	}
	ss.f.space() // tryRead then has a buffer, and does not ask for one
	nothing := false
	if err := ss.raw.Control(func(fd uintptr) { nothing = !ss.tryRead(fd) }); err != nil {
		return 0, err
	}
	if nothing { // tryRead has given the buffer back
		return 0, errNothingArrived
	}
	return ss.readResult()
}

// readResult is what tryRead's read amounts to, as net.Conn.Read would say it.
func (ss *session) readResult() (int, error) {
	switch {
	case ss.errno != nil:
		return 0, os.NewSyscallError("read", ss.errno)
	case ss.n == 0:
		return 0, io.EOF
	}
	return ss.n, nil
}

// tryRead is readRaw's callback, made once per connection (ss.readFn) so
// that a read allocates nothing. It returns false to wait for readability.
func (ss *session) tryRead(fd uintptr) bool {
	f := &ss.f
	if f.buf == nil {
		// Readable again after an idle wait: take a free buffer if there
		// is one.
		select {
		case f.buf = <-f.pool:
		default:
		}
	}
	if !f.roomy() {
		// No buffer, or a partial line leaves too little room behind it:
		// let readRaw allocate, from a frame far shallower than this one
		// (an allocation can take the runtime deep).
		ss.needBuffer = true
		return true
	}
	for {
		ss.n, ss.errno = unix.Read(int(fd), f.space())
		if ss.errno != unix.EINTR {
			break
		}
	}
	if ss.errno == unix.EAGAIN {
		f.release()
		return false
	}
	return true
}
