package echo

import (
	"net/netip"
	"os"
	"unsafe"

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
	return rawIO(unix.SYS_READ, fd, p)
}

func writeFD(fd int32, p []byte) (int, error) {
	return rawIO(unix.SYS_WRITE, fd, p)
}

// rawIO makes a read or a write on a non-blocking socket as a raw system
// call: one that never blocks needs none of what the runtime does around
// a system call that may (it hands the goroutine's processor to another
// thread if the call lasts more than a few tens of microseconds, which a
// write over loopback, running the receiver's side in the same call, often
// does: each hand-off costs a thread wake-up and two context switches, and
// keeps the runtime's monitor thread from backing off).
func rawIO(trap uintptr, fd int32, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	for {
		n, _, errno := unix.RawSyscall(trap, uintptr(fd), uintptr(ptr), uintptr(len(p)))
		switch errno {
		case 0:
			return int(n), nil
		case unix.EINTR:
			continue
		}
		return -1, errno
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
