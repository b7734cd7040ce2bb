//go:build windows

package echo

import "syscall"

// setSockoptInt sets an integer socket option on the handle a
// RawConn.Control callback is given.
func setSockoptInt(fd uintptr, level, opt, value int) error {
	return syscall.SetsockoptInt(syscall.Handle(fd), level, opt, value)
}
