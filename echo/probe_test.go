package echo

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"
)

// probeListener is a loopback TCP listener that lets a test see the
// server's side of each connection: the bytes waiting unread in its socket,
// and the moment the server starts to close it. It is how the tests put a
// client's bytes into a server's socket at an exact point of the server's
// work, with real sockets, whatever the server's mode.
type probeListener struct {
	*net.TCPListener

	// sendBuffer, if positive, is the send buffer (SO_SNDBUF) of every
	// accepted connection: small, a client that stops reading stops the
	// server in the middle of a write.
	sendBuffer int
	// beforeClose, if set, runs once per connection when the server first
	// calls CloseWrite or Close on it, before the call takes effect.
	beforeClose func(server *net.TCPConn)

	conns    chan map[string]*net.TCPConn // one slot: accepted, by the client's address
	accepted chan struct{}                // a token after each accept
	closed   chan struct{}                // closed when the server closes the listener
}

func probeListen(t *testing.T) *probeListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &probeListener{
		TCPListener: ln.(*net.TCPListener),
		conns:       make(chan map[string]*net.TCPConn, 1),
		accepted:    make(chan struct{}, 1),
		closed:      make(chan struct{}),
	}
	p.conns <- map[string]*net.TCPConn{}
	return p
}

func (p *probeListener) Accept() (net.Conn, error) {
	c, err := p.TCPListener.AcceptTCP()
	if err != nil {
		return nil, err
	}
	if p.sendBuffer > 0 {
		c.SetWriteBuffer(p.sendBuffer)
	}
	m := <-p.conns
	m[c.RemoteAddr().String()] = c
	p.conns <- m
	select {
	case p.accepted <- struct{}{}:
	default:
	}
	if p.beforeClose != nil {
		hook := make(chan func(), 1)
		hook <- func() { p.beforeClose(c) }
		return &hookedConn{c, hook}, nil
	}
	return c, nil
}

func (p *probeListener) Close() error {
	select {
	case <-p.closed:
	default:
		close(p.closed)
	}
	return p.TCPListener.Close()
}

// serverSide waits until the server has accepted client and returns the
// server's end of the connection.
func (p *probeListener) serverSide(t *testing.T, client net.Conn) *net.TCPConn {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		m := <-p.conns
		c := m[client.LocalAddr().String()]
		p.conns <- m
		if c != nil {
			return c
		}
		select {
		case <-p.accepted:
		case <-timeout:
			t.Fatalf("the server did not accept %v", client.LocalAddr())
		}
	}
}

// hookedConn runs its hook once, before the server's first CloseWrite or
// Close. Everything else (SyscallConn included) is the TCP connection's own.
type hookedConn struct {
	*net.TCPConn
	hook chan func() // one slot, emptied by the first caller
}

func (c *hookedConn) runHook() {
	select {
	case f := <-c.hook:
		f()
	default:
	}
}

func (c *hookedConn) CloseWrite() error {
	c.runHook()
	return c.TCPConn.CloseWrite()
}

func (c *hookedConn) Close() error {
	c.runHook()
	return c.TCPConn.Close()
}

// unread returns how many bytes wait in c's socket, received and not yet
// read, looking without taking them (MSG_PEEK).
func unread(c *net.TCPConn) (int, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	buf := make([]byte, 64<<10)
	var n int
	var rerr error
	if err := raw.Control(func(fd uintptr) {
		n, _, rerr = syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	}); err != nil {
		return 0, err
	}
	if errors.Is(rerr, syscall.EAGAIN) {
		return 0, nil
	}
	return max(n, 0), rerr
}

// awaitUnread waits until at least n bytes wait unread in c's socket. It
// returns an error rather than failing the test, so that a server
// goroutine (a beforeClose hook) may call it.
func awaitUnread(c *net.TCPConn, n int) error {
	return awaitQueue(c, func(q int) bool { return q >= n })
}

// awaitAllRead waits until no byte waits unread in c's socket.
func awaitAllRead(c *net.TCPConn) error {
	return awaitQueue(c, func(q int) bool { return q == 0 })
}

func awaitQueue(c *net.TCPConn, ok func(unread int) bool) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		q, err := unread(c)
		switch {
		case err != nil:
			return err
		case ok(q):
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("%d bytes wait unread in the socket, for 10s", q)
		}
		time.Sleep(100 * time.Microsecond)
	}
}
