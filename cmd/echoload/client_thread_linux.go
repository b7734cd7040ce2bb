package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// threadClientRuns reports whether -client thread runs on this system.
const threadClientRuns = true

// dialThread connects to addr on a socket of its own in blocking mode,
// which Go's netpoller never sees: its reads and writes are the plain
// blocking read(2) and write(2) of a thread-per-connection client, each
// holding the calling OS thread until the kernel has data or room. When
// cut ends, the socket is shut down both ways, which wakes a read or write
// blocked on it, and ends it, and any wait after it, with
// os.ErrDeadlineExceeded. (An echo that then arrives makes the kernel
// reset the connection, and whatever error a wait meets after the cut is
// the cut's doing.)
func dialThread(cut context.Context, addr string) (clientConn, error) {
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, err
	}
	family, sa, err := sockaddr(ta)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	c := &threadConn{fd: fd, cut: make(chan struct{}), shut: make(chan struct{})}
	c.stop = context.AfterFunc(cut, c.cutWaits)
	// As Go's net package does for every TCP connection.
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		c.Close()
		return nil, os.NewSyscallError("setsockopt", err)
	}
	// A shutdown aborts a connect still under way.
	if err := unix.Connect(fd, sa); err != nil {
		c.Close()
		if c.wasCut() {
			return nil, os.ErrDeadlineExceeded
		}
		return nil, err
	}
	return c, nil
}

// sockaddr is addr as the socket calls take it.
func sockaddr(addr *net.TCPAddr) (family int, sa unix.Sockaddr, err error) {
	if ip4 := addr.IP.To4(); ip4 != nil {
		return unix.AF_INET, &unix.SockaddrInet4{Port: addr.Port, Addr: [4]byte(ip4)}, nil
	}
	sa6 := &unix.SockaddrInet6{Port: addr.Port, Addr: [16]byte(addr.IP.To16())}
	if addr.Zone != "" {
		ifi, err := net.InterfaceByName(addr.Zone)
		if err != nil {
			return 0, nil, err
		}
		sa6.ZoneId = uint32(ifi.Index)
	}
	return unix.AF_INET6, sa6, nil
}

// A threadConn is a connection on a blocking socket.
type threadConn struct {
	fd   int
	cut  chan struct{} // closed when the run's end cuts the connection's waits
	shut chan struct{} // closed once the cut has shut the socket down
	stop func() bool   // unhooks cutWaits from the run's end
}

// cutWaits ends the connection's waits: the mark comes first, so that a
// wait that the shutdown wakes finds it.
func (c *threadConn) cutWaits() {
	close(c.cut)
	unix.Shutdown(c.fd, unix.SHUT_RDWR)
	close(c.shut)
}

func (c *threadConn) wasCut() bool {
	select {
	case <-c.cut:
		return true
	default:
		return false
	}
}

// Read is one read(2), retried if a signal interrupts it. After a cut,
// the end of the stream or the error it then meets is
// os.ErrDeadlineExceeded.
func (c *threadConn) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(c.fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case (err != nil || n == 0 && len(p) > 0) && c.wasCut():
			return 0, os.ErrDeadlineExceeded
		case err != nil:
			return 0, err
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// Write writes all of p with as many write(2) calls as it takes. After a
// cut, the error it meets is os.ErrDeadlineExceeded.
func (c *threadConn) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, err := unix.Write(c.fd, p[done:])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil && c.wasCut():
			return done, os.ErrDeadlineExceeded
		case err != nil:
			return done, err
		}
		done += n
	}
	return done, nil
}

// Close closes the socket, once a cut under way has finished with it, so
// that the shutdown never reaches a descriptor reused by another file.
func (c *threadConn) Close() error {
	if !c.stop() {
		<-c.shut
	}
	if err := unix.Close(c.fd); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}
