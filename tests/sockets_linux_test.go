package tests

import (
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/chansync/chansync/echo"
	"github.com/chansync/chansync/internal/tcptest"
	"golang.org/x/sys/unix"
)

// While the tests run, no connect may draw the echo server's default port
// as its ephemeral port (TestMain reserves it): a client there would keep
// `go run ./cmd/echo` from listening, for a minute after its close. Where
// another process's sockets have held the port since the tests began, the
// reservation is still being tried and the test is skipped, saying so.
func TestDefaultPortIsOutOfClientsReach(t *testing.T) {
	port := netip.MustParseAddrPort(echo.DefaultAddr).Port()
	if err := tcptest.Reserved(); errors.Is(err, unix.EADDRINUSE) {
		t.Skipf("another process's sockets hold port %d (ss -tan '( sport = :%d )' lists them), so the tests could not reserve it yet: %v", port, port, err)
	} else if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := tcptest.DialFrom(ln.Addr().String(), int(port))
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		t.Skip(err)
	case err == nil:
		c.SetLinger(0) // a reset: no TIME_WAIT left on the port
		c.Close()
		t.Fatalf("a client connected from %v while the tests ran", c.LocalAddr())
	case !errors.Is(err, unix.EADDRNOTAVAIL):
		t.Fatalf("dial from port %d: %v, want EADDRNOTAVAIL", port, err)
	}
}
