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

// closeWrite sends the end of the stream.
func closeWrite(fd int32) error { return unix.Shutdown(int(fd), unix.SHUT_WR) }

func closeFD(fd int32) error { return unix.Close(int(fd)) }
