//go:build !linux

package tcptest

import (
	"errors"
	"fmt"
	"net"
)

// reserve does nothing outside Linux, where a bound socket's SO_REUSEADDR
// either keeps a second one off the address (the BSDs) or lets a listener
// take the address from it (Windows): it returns an error that wraps
// errors.ErrUnsupported.
func reserve(addr string) (fd int, err error) {
	return -1, fmt.Errorf("tcptest: reserving a port needs Linux: %w", errors.ErrUnsupported)
}

func inUse(error) bool { return false }

func closeFD(int) {}

// openSockets lists nothing outside Linux.
func openSockets(except ...int) ([]string, error) { return nil, nil }

// DialFrom is Linux's only: it returns an error that wraps
// errors.ErrUnsupported.
func DialFrom(addr string, port int) (*net.TCPConn, error) {
	return nil, fmt.Errorf("tcptest: DialFrom needs Linux: %w", errors.ErrUnsupported)
}
