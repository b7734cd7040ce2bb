// Package tcptest is the TestMain of every chansync package whose tests
// open TCP connections. It keeps the echo server's default port free for
// the user who runs `go run ./cmd/echo` right after the tests, and it
// checks that the tests closed every socket they opened.
//
// The tests open thousands of loopback connections. Each client end gets a
// port the kernel picks from its ephemeral range (32768-60999 on Linux),
// and the echo server's default port, 50000, lies in that range. On Linux
// a socket bound to a port keeps a listener from binding it, SO_REUSEADDR
// or not, unless that socket set SO_REUSEADDR too, which a client from
// net.Dial does not; and a client's socket stays bound for a minute after
// its close, in TIME_WAIT, when the client closed first, as echo clients
// do. So whenever one of the last minute's clients had drawn 50000,
// `go run ./cmd/echo` failed with "address already in use" although
// nothing listened there.
//
// VerifyTestMain binds a socket to the port without listening, for as long
// as the tests run: the kernel never gives a connect a port that a socket
// is bound to, so no client of the process, of its children, or of any
// other process on the machine draws it meanwhile. The socket sets
// SO_REUSEADDR, so it does not keep a listener off the port: the user's
// echo server starts even while the tests run. If another process's
// client holds the port when the tests start, the reservation is tried
// again until it holds.
package tcptest

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// mainHold is VerifyTestMain's reservation; nil before VerifyTestMain.
var mainHold *holder

// VerifyTestMain runs the package's tests with the port of addr (the echo
// server's default address) held out of the ephemeral range, then, if they
// passed, fails the run if a goroutine outlived them (goleak, with opts) or
// if a TCP socket of the process is still open, and exits.
func VerifyTestMain(m *testing.M, addr string, opts ...goleak.Option) {
	mainHold = hold(addr, 100*time.Millisecond)
	opts = append(opts, goleak.IgnoreAnyFunction("github.com/chansync/chansync/internal/tcptest.(*holder).retry"))
	goleak.VerifyTestMain(m, append(opts, goleak.Cleanup(func(code int) {
		mainHold.stopRetrying()
		fd, _ := mainHold.held()
		if code == 0 {
			if err := awaitNoOpenSockets(10*time.Second, fd); err != nil {
				fmt.Fprintf(os.Stderr, "tcptest: errors on successful test run: %v\n", err)
				code = 1
			}
		}
		closeFD(fd)
		os.Exit(code)
	}))...)
}

// Reserved returns nil while VerifyTestMain holds its port out of the
// ephemeral range, and otherwise why it does not (yet): an error that
// wraps EADDRINUSE while another process's socket holds the port, which
// VerifyTestMain tries again every 100 ms.
func Reserved() error {
	if mainHold == nil {
		return errors.New("tcptest: VerifyTestMain has not run")
	}
	_, err := mainHold.held()
	return err
}

// A holder holds a reservation of a port, trying again while the port is
// in use.
type holder struct {
	state chan holdState // one slot: taken and put back
	stop  chan struct{}  // closed: stop trying
	done  chan struct{}  // closed once it has stopped trying
}

type holdState struct {
	fd  int // the reservation's file descriptor, or -1
	err error
}

// hold reserves addr's port, and if it is in use, tries again every
// interval until it has it or stopRetrying is called.
func hold(addr string, every time.Duration) *holder {
	h := &holder{state: make(chan holdState, 1), stop: make(chan struct{}), done: make(chan struct{})}
	fd, err := reserve(addr)
	h.state <- holdState{fd, err}
	if !inUse(err) {
		close(h.done)
		return h
	}
	go h.retry(addr, every)
	return h
}

func (h *holder) retry(addr string, every time.Duration) {
	defer close(h.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-tick.C:
		}
		fd, err := reserve(addr)
		<-h.state
		h.state <- holdState{fd, err}
		if !inUse(err) {
			return
		}
	}
}

// held returns the reservation's file descriptor, or -1 and why there is
// none.
func (h *holder) held() (int, error) {
	s := <-h.state
	h.state <- s
	return s.fd, s.err
}

// stopRetrying stops the tries, if any, and returns once none is under way.
func (h *holder) stopRetrying() {
	select {
	case <-h.stop:
	default:
		close(h.stop)
	}
	<-h.done
}

// awaitNoOpenSockets waits until the process holds no TCP socket but
// those on the file descriptors except, and reports those still open
// after timeout: sockets that a test or a server it started never closed,
// or closes only once a goroutine that goleak already waited out runs on.
func awaitNoOpenSockets(timeout time.Duration, except ...int) error {
	deadline := time.Now().Add(timeout)
	for {
		open, err := openSockets(except...)
		if err != nil || len(open) == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d TCP sockets still open after the tests:\n\t%s", len(open), strings.Join(open, "\n\t"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
