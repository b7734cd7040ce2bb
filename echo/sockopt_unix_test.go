//go:build unix

package echo

import "golang.org/x/sys/unix"

// setSockoptInt sets an integer socket option on the descriptor a
// RawConn.Control callback is given.
func setSockoptInt(fd uintptr, level, opt, value int) error {
	return unix.SetsockoptInt(int(fd), level, opt, value)
}
