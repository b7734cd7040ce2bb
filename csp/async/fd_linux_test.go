//go:build linux

package async

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

func socketpair() (int, int, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	return fds[0], fds[1], err
}

func closeFD(fd int) { unix.Close(fd) }

func readFD(fd int, buf []byte) (int, error) { return unix.Read(fd, buf) }

func writeFD(t *testing.T, fd int, s string) {
	t.Helper()
	if _, err := unix.Write(fd, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

// drain reads fd until it would block and returns what it read.
func drain(t *testing.T, fd int) string {
	t.Helper()
	var got []byte
	buf := make([]byte, 64)
	for {
		n, err := unix.Read(fd, buf)
		if err == unix.EAGAIN {
			return string(got)
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
}

// writeOnce writes p to fd with one write(2), for goroutines that must not
// call t.Fatal.
func writeOnce(fd int, p []byte) (int, error) { return unix.Write(fd, p) }

// wouldBlock reports whether err is EAGAIN.
func wouldBlock(err error) bool { return errors.Is(err, unix.EAGAIN) }
