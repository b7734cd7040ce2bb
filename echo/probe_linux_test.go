package echo

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// unread returns how many bytes wait in s's receive queue, received and not
// yet read.
func unread(s sockID) (int, error) {
	q, _, err := queues(s)
	return q, err
}

// unacked returns how many bytes s has sent that its peer has not yet
// acknowledged: 0 once everything sent has arrived in the peer's socket.
func unacked(s sockID) (int, error) {
	_, q, err := queues(s)
	return q, err
}

// queues returns s's receive queue (bytes received, not read) and send
// queue (bytes sent, not acknowledged). It asks the kernel through
// sock_diag, as ss does, with the connection's addresses: no file
// descriptor is needed, so it works on a socket that the server holds as a
// raw descriptor (reactor mode), and fails once it is closed (no such
// socket).
func queues(s sockID) (recv, send int, err error) {
	if !s.local.Addr().Is4() || !s.remote.Addr().Is4() {
		return 0, 0, fmt.Errorf("queues: %v: IPv4 only", s)
	}
	const (
		netlinkSockDiag  = 4  // NETLINK_SOCK_DIAG
		sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY
		nlmsgError       = 2  // NLMSG_ERROR
		headerLen        = 16 // struct nlmsghdr
		requestLen       = 56 // struct inet_diag_req_v2
		rqueueAt         = 56 // idiag_rqueue in struct inet_diag_msg
		wqueueAt         = 60 // idiag_wqueue
	)
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, netlinkSockDiag)
	if err != nil {
		return 0, 0, fmt.Errorf("queues: %w", err)
	}
	defer unix.Close(fd)
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 5})

	ne := binary.NativeEndian
	req := make([]byte, headerLen+requestLen)
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], sockDiagByFamily)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST) // one socket, by its id
	ne.PutUint32(req[8:], 1)
	r := req[headerLen:]
	r[0], r[1] = unix.AF_INET, unix.IPPROTO_TCP
	ne.PutUint32(r[4:], ^uint32(0)) // any state
	id := r[8:]                     // struct inet_diag_sockid
	binary.BigEndian.PutUint16(id[0:], s.local.Port())
	binary.BigEndian.PutUint16(id[2:], s.remote.Port())
	l, rm := s.local.Addr().As4(), s.remote.Addr().As4()
	copy(id[4:], l[:])
	copy(id[20:], rm[:])
	ne.PutUint32(id[40:], ^uint32(0)) // no cookie
	ne.PutUint32(id[44:], ^uint32(0))
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, 0, fmt.Errorf("queues: %w", err)
	}

	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return 0, 0, fmt.Errorf("queues: %w", err)
	}
	if n < headerLen+4 {
		return 0, 0, fmt.Errorf("queues: short netlink answer (%d bytes)", n)
	}
	switch ne.Uint16(buf[4:]) {
	case nlmsgError:
		if errno := -int32(ne.Uint32(buf[headerLen:])); errno != 0 {
			return 0, 0, fmt.Errorf("queues: %v: %w", s, unix.Errno(errno))
		}
		return 0, 0, fmt.Errorf("queues: %v: no answer", s)
	case sockDiagByFamily:
		if n < headerLen+wqueueAt+4 {
			return 0, 0, fmt.Errorf("queues: short inet_diag_msg (%d bytes)", n)
		}
		return int(ne.Uint32(buf[headerLen+rqueueAt:])), int(ne.Uint32(buf[headerLen+wqueueAt:])), nil
	}
	return 0, 0, fmt.Errorf("queues: unexpected netlink message type %d", ne.Uint16(buf[4:]))
}
