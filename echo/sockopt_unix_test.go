//go:build unix

package echo

import "syscall"

// setSockoptInt sets an integer socket option on the descriptor a
// RawConn.Control callback is given.
func setSockoptInt(fd uintptr, level, opt, value int) error {
	return syscall.SetsockoptInt(int(fd), level, opt, value)
}
