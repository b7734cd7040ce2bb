//go:build !linux

package echo

import (
	"context"
	"fmt"
	"net"
	"runtime"
)

// reactorSupported says why reactor mode cannot run here: it needs epoll.
func reactorSupported() error {
	return fmt.Errorf("echo: reactor mode needs Linux (epoll); this is %s", runtime.GOOS)
}

// serveReactor refuses: NewServer refuses reactor mode here first.
func (s *Server) serveReactor(_ context.Context, ln net.Listener) error {
	ln.Close()
	return reactorSupported()
}
