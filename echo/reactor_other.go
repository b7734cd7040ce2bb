//go:build !linux

package echo

import (
	"fmt"
	"net"
	"runtime"
)

// reactorSupported says why reactor mode cannot run here: it needs epoll.
func reactorSupported() error {
	return fmt.Errorf("echo: reactor mode needs Linux (epoll); this is %s", runtime.GOOS)
}

// reactorRuntime stands in for the Linux one; NewServer refuses reactor
// mode first, so none is ever made.
type reactorRuntime struct{ ends endings }

func (s *Server) newReactorRuntime(net.Listener) (*reactorRuntime, error) {
	return nil, reactorSupported()
}

func (*reactorRuntime) close()         {}
func (*reactorRuntime) cutting()       {}
func (*reactorRuntime) stopAccepting() {}

func (*reactorRuntime) accept(chan<- socket, chan<- error, <-chan struct{}, chan<- struct{}) {
	panic("unreachable")
}

func (*reactorRuntime) spawn(uint64, socket, bool) liveConn { panic("unreachable") }
