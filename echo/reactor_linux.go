package echo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"

	"github.com/chansync/chansync/csp/async"
	"golang.org/x/sys/unix"
)

// Reactor mode (ModeReactor) serves connections as tasks on a csp/async
// executor, woken by its reactor:
//
//	acceptor goroutine ──sockets──▶ serve loop ──async.Spawn──▶ executor: run queue
//	  (accept4 on the                (live set, limit,              of the connections' tasks
//	   listener's fd)                 shutdown, cut)                    ▲      │ polled by
//	                                       ▲                       wake │      ▼ (Pending: fd + timer)
//	                                       └──endings◀── a task ends   reactor goroutine: epoll_wait,
//	                                                                   timer heap, then the polls
//
// The serve loop is the same select loop as in the other modes; what its
// runner starts per connection is a task (rconn, rconn_linux.go) instead of
// a goroutine. The executor has no workers: the reactor's goroutine polls
// the tasks it wakes (Config.Helpers adds goroutines that join in when a
// turn wakes many).

// reactorSupported reports nil: Linux has epoll.
func reactorSupported() error { return nil }

// serveReactor is Serve in reactor mode.
func (s *Server) serveReactor(ctx context.Context, ln net.Listener) error {
	rt, err := s.newReactorRuntime(ln)
	if err != nil {
		ln.Close()
		return err
	}
	return serve(ctx, s, rt)
}

// reactorRuntime is reactor mode's runner: an executor of the connections'
// tasks, a reactor that wakes them when their sockets are ready or their
// timers expire and then polls them, and the listener's socket, which the
// acceptor reads with accept4 so that a connection never becomes a
// net.Conn (and never enters Go's own netpoller).
type reactorRuntime struct {
	s       *Server
	exec    *async.Executor
	reactor *async.Reactor
	ln      net.Listener
	// listener is a duplicate of the listener's descriptor as an os.File:
	// unlike a net.Listener's, its RawConn can wait for readability, which
	// for a listening socket means a connection to accept.
	listener *os.File
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
	// is served without a hand-off to another goroutine; helpers, if the
	// configuration asks for any, join in when a turn wakes more than a few.
	exec := async.NewExecutor(async.Config{Workers: async.NoWorkers, Helpers: s.cfg.Helpers, Record: s.cfg.Executor != nil})
	if s.cfg.Executor != nil {
		s.cfg.Executor(exec)
	}
	if err := r.Drive(exec); err != nil {
		r.Close()
		listener.Close()
		return nil, err
	}
	return &reactorRuntime{s: s, exec: exec, reactor: r, ln: ln, listener: listener}, nil
}

// A socket is a connection accepted in reactor mode: its file descriptor,
// owned by whoever holds it, and the client's address.
type socket struct {
	fd     int
	remote netip.AddrPort
}

// accept is the acceptor goroutine of reactor mode: accept4 on the
// listener's socket, waiting for it in Go's netpoller like any listener.
// The sockets come out non-blocking, as the reactor needs them.
func (rt *reactorRuntime) accept(accepted chan<- socket, errs chan<- error, stop <-chan struct{}) {
	var fd int
	var sa unix.Sockaddr
	var aerr error
	try := func(lfd uintptr) bool {
		for {
			fd, sa, aerr = unix.Accept4(int(lfd), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
			switch aerr {
			case unix.EINTR, unix.ECONNABORTED: // as net does: try the next one
				continue
			case unix.EAGAIN:
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
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		return socket{fd: fd, remote: addrPort(sa)}, nil
	}
	discard := func(s socket) error { return unix.Close(s.fd) }
	acceptLoop(next, discard, accepted, errs, stop)
}

func (rt *reactorRuntime) takes(int) bool { return true }

// reactorReadSize is how much a reactor-mode connection reads at once:
// twice goroutine mode's readSize, as much as tokio's BufReader, so that a
// line of 4 KiB is one short read. A read that fills the buffer leaves the
// socket perhaps not empty, and costs another read to be told EAGAIN (see
// rconn.read). An idle connection holds no buffer, so this costs memory
// only while a connection reads, and in the free list.
const reactorReadSize = 2 * readSize

// start spawns sock's task, and returns the task as the serve loop keeps it.
func (rt *reactorRuntime) start(id uint64, sock socket, admitted bool) liveConn {
	s := rt.s
	c := rconn{
		rt:     rt,
		id:     id,
		fd:     int32(sock.fd),
		remote: sock.remote,
		start:  s.policy.now(),
		f:      newFramer(s.cfg.MaxLineBytes, reactorReadSize, s.bufs),
	}
	if admitted {
		s.logAccepted(id, remoteText(sock.remote))
	} else {
		c.why = endBusy // tell the client, and end
	}
	return connTask{async.Spawn[struct{}](rt.exec, c)}
}

// stopAccepting closes the listener's duplicate, which wakes the acceptor,
// and the listener.
func (rt *reactorRuntime) stopAccepting() {
	rt.listener.Close()
	rt.ln.Close()
}

// close stops the executor and the reactor. The serve loop calls it once
// every connection has reported its end, so the executor's Shutdown only
// waits for those tasks to return from their last poll.
func (rt *reactorRuntime) close() {
	rt.exec.Shutdown(context.Background())
	rt.reactor.Close()
}

// remoteText is the client's address for the log.
func remoteText(a netip.AddrPort) string {
	if !a.IsValid() {
		return "" // not an IP socket
	}
	return a.String()
}
