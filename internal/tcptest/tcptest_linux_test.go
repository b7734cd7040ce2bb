package tcptest

import (
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chansync/chansync/echo"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	VerifyTestMain(m, echo.DefaultAddr)
}

// mainFD is TestMain's reservation, or -1, which the tests of openSockets
// leave out. It stops the reservation's tries first (while another
// process holds the port), so that it cannot come into being under them.
func mainFD() int {
	mainHold.stopRetrying()
	fd, _ := mainHold.held()
	return fd
}

// reservedPort reserves a loopback port that the kernel picks free, and
// returns the reservation, the address and the port.
func reservedPort(t *testing.T) (fd int, addr string, port int) {
	t.Helper()
	fd, err := reserve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		closeFD(fd)
		t.Fatal(err)
	}
	port = sa.(*unix.SockaddrInet4).Port
	return fd, "127.0.0.1:" + strconv.Itoa(port), port
}

// dialFrom is DialFrom; the test is skipped on a kernel that cannot
// narrow a connect's ephemeral ports.
func dialFrom(t *testing.T, addr string, port int) (*net.TCPConn, error) {
	t.Helper()
	c, err := DialFrom(addr, port)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip(err)
	}
	return c, err
}

// closeWithoutTimeWait closes c with a reset, so that its port is free at
// once: no TIME_WAIT is left behind.
func closeWithoutTimeWait(c *net.TCPConn) {
	c.SetLinger(0)
	c.Close()
}

// While a port is reserved, a connect whose only choice is that port
// fails; once it is released, the same connect gets it. Meanwhile a
// listener binds the port all the same, and a second reservation can be
// held beside the first.
func TestReserveKeepsClientsOffThePort(t *testing.T) {
	srv, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		for {
			c, err := srv.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	defer func() {
		srv.Close()
		for range accepted {
		}
	}()
	first, port, portNum := reservedPort(t)
	second, err := reserve(port)
	if err != nil {
		closeFD(first)
		t.Fatalf("a second reservation of %s: %v", port, err)
	}
	defer func() { closeFD(first); closeFD(second) }() // if the test ends before it releases them
	ln, err := net.Listen("tcp", port)
	if err != nil {
		t.Fatalf("listening on reserved %s: %v", port, err)
	}
	ln.Close()
	if c, err := dialFrom(t, srv.Addr().String(), portNum); err == nil {
		closeWithoutTimeWait(c)
		closeWithoutTimeWait((<-accepted).(*net.TCPConn))
		t.Fatalf("a client got reserved port %s", port)
	} else if !errors.Is(err, unix.EADDRNOTAVAIL) {
		t.Fatalf("dial from reserved %s: %v, want EADDRNOTAVAIL", port, err)
	}
	closeFD(first)
	closeFD(second)
	first, second = -1, -1

	c, err := dialFrom(t, srv.Addr().String(), portNum)
	if err != nil {
		t.Fatalf("dial from released %s: %v", port, err)
	}
	closeWithoutTimeWait(c)
	closeWithoutTimeWait((<-accepted).(*net.TCPConn))
	if c.LocalAddr().String() != port {
		t.Fatalf("the client got %v, want %s", c.LocalAddr(), port)
	}
}

func TestReserveBadAddress(t *testing.T) {
	if fd, err := reserve("localhost"); err == nil || fd != -1 {
		closeFD(fd)
		t.Fatalf("reserve(\"localhost\") = %d, %v; want -1 and an error", fd, err)
	}
}

// openSockets names each end of an open connection and its listener, with
// their states, but not the sockets it is told to leave out (here
// TestMain's reservation and one of the test's own), and forgets each once
// it is closed.
func TestOpenSockets(t *testing.T) {
	own, err := reserve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer closeFD(own)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	want := []string{
		"LISTEN " + ln.Addr().String() + " -> ?",
		"ESTABLISHED " + client.LocalAddr().String() + " -> " + server.LocalAddr().String(),
		"ESTABLISHED " + server.LocalAddr().String() + " -> " + client.LocalAddr().String(),
	}
	got, err := openSockets(own, mainFD())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("openSockets = %q, want %q", got, want)
	}
	if got, _ := openSockets(mainFD()); len(got) != len(want)+1 || !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "CLOSE 127.0.0.1:") }) {
		t.Fatalf("openSockets = %q, want the reserved socket, CLOSE, as well", got)
	}

	ln.Close()
	client.Close() // the server's end is left half-closed
	open := "CLOSE_WAIT " + server.LocalAddr().String() + " -> " + client.LocalAddr().String()
	err = awaitNoOpenSockets(100*time.Millisecond, own, mainFD())
	if err == nil || !strings.Contains(err.Error(), "1 TCP sockets still open") || !strings.Contains(err.Error(), open) {
		t.Fatalf("with the server's end open: %v, want %q named", err, open)
	}
	server.Close()
	if err := awaitNoOpenSockets(10*time.Second, own, mainFD()); err != nil {
		t.Fatal(err)
	}
}

// An IPv6 socket is described as well.
func TestOpenSocketsIPv6(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	defer ln.Close()
	got, err := openSockets(mainFD())
	if want := "LISTEN " + ln.Addr().String() + " -> ?"; err != nil || !slices.Contains(got, want) {
		t.Fatalf("openSockets = %q, %v; want %q among them", got, err, want)
	}
}

// While another socket holds the port, the reservation fails with
// EADDRINUSE and is tried again; once the port is free it holds, and keeps
// clients off the port. Stopped while the port is still in use, it stops
// trying.
func TestHoldTriesAgainWhileThePortIsInUse(t *testing.T) {
	srv, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// A client bound to a port before it connects, without SO_REUSEADDR,
	// as a client's port is.
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}}
	c, err := d.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	port, portNum := c.LocalAddr().String(), c.LocalAddr().(*net.TCPAddr).Port
	defer closeWithoutTimeWait(c.(*net.TCPConn))
	s, err := srv.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer closeWithoutTimeWait(s.(*net.TCPConn))

	stopped := hold(port, time.Millisecond)
	stopped.stopRetrying()
	if fd, err := stopped.held(); fd != -1 || !errors.Is(err, unix.EADDRINUSE) {
		closeFD(fd)
		t.Fatalf("a hold stopped while the port was in use: %d, %v; want -1, EADDRINUSE", fd, err)
	}

	h := hold(port, time.Millisecond)
	defer func() {
		h.stopRetrying()
		fd, _ := h.held()
		closeFD(fd)
	}()
	if fd, err := h.held(); fd != -1 || !errors.Is(err, unix.EADDRINUSE) {
		t.Fatalf("holding a port in use: %d, %v; want -1, EADDRINUSE", fd, err)
	}
	closeWithoutTimeWait(c.(*net.TCPConn))
	closeWithoutTimeWait(s.(*net.TCPConn))
	deadline := time.Now().Add(10 * time.Second)
	for {
		fd, err := h.held()
		if err == nil && fd >= 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10s after the port was freed the hold has %d, %v", fd, err)
		}
		time.Sleep(time.Millisecond)
	}
	if c, err := dialFrom(t, srv.Addr().String(), portNum); err == nil {
		closeWithoutTimeWait(c)
		t.Fatalf("a client got %s, held", port)
	} else if !errors.Is(err, unix.EADDRNOTAVAIL) {
		t.Fatalf("dial from held %s: %v, want EADDRNOTAVAIL", port, err)
	}
}
