package echo

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// retryError is a temporary accept error and the delay before the next try.
type retryError struct {
	err   error
	delay time.Duration
}

func (e *retryError) Error() string { return fmt.Sprintf("%v (retrying in %v)", e.err, e.delay) }

// acceptLoop is every mode's acceptor: it hands what next accepts to the
// serve loop on accepted until stop is closed or accepting fails for good,
// and closes with discard a connection that the loop will not take. On a
// temporary error it reports it and backs off, 5 ms doubling to 1 s, as
// net/http does.
func acceptLoop[C any](next func() (C, error), discard func(C) error, accepted chan<- C, errs chan<- error, stop <-chan struct{}) {
	var delay time.Duration
	for {
		c, err := next()
		if err == nil {
			delay = 0
			select {
			case accepted <- c:
			case <-stop:
				discard(c) // accepted after shutdown began
				return
			}
			continue
		}
		if !temporary(err) {
			select {
			case errs <- err:
			case <-stop:
			}
			return
		}
		delay = min(max(2*delay, 5*time.Millisecond), time.Second)
		select {
		case errs <- &retryError{err, delay}:
		case <-stop:
			return
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-stop:
			t.Stop()
			return
		}
	}
}

// temporary reports whether an accept error is worth retrying: the process
// or the system is out of descriptors or memory for the moment.
func temporary(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}
