package echo

import (
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// The system calls reactor mode makes on its sockets. A connection's
// socket is a raw descriptor, non-blocking, that no net.Conn wraps.

func dupCloseOnExec(fd int) (int, error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("fcntl", err)
	}
	return dup, nil
}

func addrPort(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

func readFD(fd int32, p []byte) (int, error) {
	for {
		n, err := unix.Read(int(fd), p)
		if err != unix.EINTR {
			return n, err
		}
	}
}

func writeFD(fd int32, p []byte) (int, error) {
	for {
		n, err := unix.Write(int(fd), p)
		if err != unix.EINTR {
			return n, err
		}
	}
}

// pollWritable reports whether the socket is writable now, as epoll
// reports it (POLLOUT: a good part of its send buffer free), without
// waiting. An error or a hang-up says yes: the write then reports it.
func pollWritable(fd int32) bool {
	fds := [1]unix.PollFd{{Fd: fd, Events: unix.POLLOUT}}
	for {
		n, err := unix.Poll(fds[:], 0)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return true
		}
		return n > 0
	}
}

// closeWrite sends the end of the stream.
func closeWrite(fd int32) error { return unix.Shutdown(int(fd), unix.SHUT_WR) }

func closeFD(fd int32) error { return unix.Close(int(fd)) }
