//go:build !linux

package async

import (
	"fmt"
	"runtime"
	"time"
)

// poller stands in for the Linux epoll poller; it cannot be opened.
type poller struct{}

func openPoller() (*poller, error) {
	return nil, fmt.Errorf("async: the reactor needs Linux (epoll and eventfd); this is %s", runtime.GOOS)
}

func (*poller) add(int, Interest) error                          { panic("unreachable") }
func (*poller) mod(int, Interest) error                          { panic("unreachable") }
func (*poller) del(int) error                                    { panic("unreachable") }
func (*poller) serve(func([]readyEvent) (time.Time, bool)) error { panic("unreachable") }
func (*poller) kick() error                                      { panic("unreachable") }
func (*poller) close() error                                     { panic("unreachable") }
