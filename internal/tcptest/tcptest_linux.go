package tcptest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// reserve holds addr's port out of the ephemeral range until closeFD is
// called on the file descriptor it returns: it binds a socket to addr
// without listening, with SO_REUSEADDR. While it is bound, no connect
// anywhere on the machine gets the port as its own, and a listener (which
// sets SO_REUSEADDR) can still bind it; several reservations of one
// address may be held at once.
func reserve(addr string) (fd int, err error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return -1, fmt.Errorf("tcptest: reserve %q: %w", addr, err)
	}
	var sa unix.Sockaddr
	family := unix.AF_INET
	if ap.Addr().Is4() {
		sa = &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	} else {
		family = unix.AF_INET6
		sa = &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	}
	fd, err = unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, fmt.Errorf("tcptest: reserve %s: %w", addr, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("tcptest: reserve %s: %w", addr, err)
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("tcptest: reserve %s: %w", addr, err)
	}
	return fd, nil
}

// inUse reports whether reserve failed because the port is in use.
func inUse(err error) bool { return errors.Is(err, unix.EADDRINUSE) }

func closeFD(fd int) {
	if fd >= 0 {
		unix.Close(fd)
	}
}

// tcpStates names the states of TCP_INFO, as include/net/tcp_states.h
// numbers them.
var tcpStates = map[uint8]string{
	1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT",
	7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING",
}

// openSockets describes each TCP socket that the process holds open, but
// those on the file descriptors except, as "STATE local -> remote". It asks
// each socket itself, through its descriptor, so that it sees each exactly
// once: a read of /proc/net/tcp while connections come and go may list one
// twice or miss it.
func openSockets(except ...int) ([]string, error) {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil, err
	}
	var open []string
	for _, e := range fds {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || slices.Contains(except, fd) {
			continue
		}
		if s, ok := describe(fd); ok {
			open = append(open, s)
		}
	}
	return open, nil
}

// describe describes the socket on fd if it is a TCP one. A descriptor
// closed since the listing, or reused for something else, is not.
func describe(fd int) (string, bool) {
	domain, err1 := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	proto, err2 := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PROTOCOL)
	// Go listens with MPTCP where the kernel has it, and a client that
	// does not ask for it gets plain TCP.
	tcp := proto == unix.IPPROTO_TCP || proto == unix.IPPROTO_MPTCP
	if err1 != nil || err2 != nil || !tcp || (domain != unix.AF_INET && domain != unix.AF_INET6) {
		return "", false
	}
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return "", false
	}
	state, ok := tcpStates[info.State]
	if !ok {
		state = fmt.Sprintf("state %d", info.State)
	}
	local, remote := "?", "?"
	if sa, err := unix.Getsockname(fd); err == nil {
		local = sockaddr(sa)
	}
	if sa, err := unix.Getpeername(fd); err == nil {
		remote = sockaddr(sa)
	}
	return fmt.Sprintf("%s %s -> %s", state, local, remote), true
}

func sockaddr(sa unix.Sockaddr) string {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)).String()
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port)).String()
	}
	return "?"
}

// DialFrom connects to addr from local port port, as the kernel's own
// choice of an ephemeral port, which is why it differs from binding port
// first: the kernel refuses with EADDRNOTAVAIL if it may not hand out
// port to a connect (see reserve). It narrows the socket's ephemeral range to
// the one port (IP_LOCAL_PORT_RANGE), which needs Linux 6.3; on an older
// kernel it returns an error that wraps errors.ErrUnsupported.
func DialFrom(addr string, port int) (*net.TCPConn, error) {
	var optErr error
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		if err := c.Control(func(fd uintptr) {
			optErr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_LOCAL_PORT_RANGE, port|port<<16)
		}); err != nil {
			return err
		}
		if errors.Is(optErr, unix.ENOPROTOOPT) {
			return fmt.Errorf("this kernel cannot narrow a connect's ephemeral ports (IP_LOCAL_PORT_RANGE needs Linux 6.3): %w", errors.ErrUnsupported)
		}
		return optErr
	}}
	c, err := d.Dial("tcp4", addr)
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}
