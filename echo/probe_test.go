package echo

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"
)

// probeListener is a loopback TCP listener that lets a test see the
// server's side of each connection: the bytes waiting unread in its socket
// (asked of the kernel, so it works whoever holds the socket, reactor mode
// included), and the moment the server starts to end it on purpose. It is
// how the tests put a client's bytes into a server's socket at an exact
// point of the server's work, with real sockets, whatever the server's mode.
type probeListener struct {
	*net.TCPListener

	// beforeClose, if set before the server starts, runs when the server is
	// about to send the end of the stream on a connection it ends on
	// purpose, with the client's address (see Server.beforeEnd).
	beforeClose func(remote string)

	closed chan struct{} // closed when the server closes the listener
}

func probeListen(t *testing.T) *probeListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return &probeListener{TCPListener: ln.(*net.TCPListener), closed: make(chan struct{})}
}

// setSendBuffer sets the send buffer (SO_SNDBUF) of every connection the
// listener accepts from now on (an accepted socket inherits it from the
// listening one): small, a client that stops reading stops the server in
// the middle of a write.
func (p *probeListener) setSendBuffer(t *testing.T, bytes int) {
	t.Helper()
	raw, err := p.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = setSockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUF, bytes)
	}); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
}

func (p *probeListener) Close() error {
	select {
	case <-p.closed:
	default:
		close(p.closed)
	}
	return p.TCPListener.Close()
}

// A sockID names one end of a TCP connection by its local and remote
// addresses.
type sockID struct{ local, remote netip.AddrPort }

// ends returns the sockID of c's own end.
func ends(c net.Conn) sockID {
	return sockID{c.LocalAddr().(*net.TCPAddr).AddrPort(), c.RemoteAddr().(*net.TCPAddr).AddrPort()}
}

// serverSide returns the server's end of client's connection.
func (p *probeListener) serverSide(client net.Conn) sockID {
	return sockID{p.Addr().(*net.TCPAddr).AddrPort(), client.LocalAddr().(*net.TCPAddr).AddrPort()}
}

// serverSideOf returns the server's end of the connection from remote (as
// a beforeClose hook is given it).
func (p *probeListener) serverSideOf(remote string) (sockID, error) {
	r, err := netip.ParseAddrPort(remote)
	return sockID{p.Addr().(*net.TCPAddr).AddrPort(), r}, err
}

// awaitUnread waits until at least n bytes wait unread in s. It returns an
// error rather than failing the test, so that a server goroutine (a
// beforeClose hook) may call it.
func awaitUnread(s sockID, n int) error {
	return awaitQueue(s, func(q int) bool { return q >= n })
}

// awaitAllRead waits until no byte waits unread in s.
func awaitAllRead(s sockID) error {
	return awaitQueue(s, func(q int) bool { return q == 0 })
}

// awaitAcked waits until everything s has sent has arrived in its peer's
// socket (acknowledged).
func awaitAcked(s sockID) error {
	return awaitQueueOf(s, unacked, func(q int) bool { return q == 0 })
}

func awaitQueue(s sockID, ok func(unread int) bool) error {
	return awaitQueueOf(s, unread, ok)
}

func awaitQueueOf(s sockID, queue func(sockID) (int, error), ok func(int) bool) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		q, err := queue(s)
		switch {
		case err != nil:
			return err
		case ok(q):
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("%d bytes wait in the socket's queue, for 10s", q)
		}
		time.Sleep(100 * time.Microsecond)
	}
}
