package main

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// listeners returns the sockets of the process that listen, by inode:
// the reactor's duplicate of a listener's descriptor is the same socket.
func listeners(t *testing.T) map[string]bool {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, e := range fds {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if on, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err != nil || on == 0 {
			continue
		}
		if inode, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil {
			out[inode] = true
		}
	}
	return out
}

// Without -debug-addr the program listens on one socket, the echo
// server's; with it, on one more, in every mode.
func TestDebugEndpointAbsentByDefault(t *testing.T) {
	before := len(listeners(t))
	for _, mode := range []string{"goroutine", "reactor"} {
		for _, tc := range []struct {
			args []string
			want int
		}{
			{[]string{"-mode", mode}, 1},
			{[]string{"-mode", mode, "-debug-addr", "127.0.0.1:0"}, 2},
		} {
			p := startProgram(t, tc.args...)
			if got := len(listeners(t)) - before; got != tc.want {
				t.Errorf("%q: %d sockets listen, want %d", tc.args, got, tc.want)
			}
			if p.stop(t) != 0 {
				t.Fatalf("%q: run did not return 0 after SIGTERM", tc.args)
			}
			if got := len(listeners(t)) - before; got != 0 {
				t.Errorf("%q: %d sockets still listen after the program returned", tc.args, got)
			}
		}
	}
}
