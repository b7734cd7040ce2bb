//go:build !linux

package async

import (
	"errors"
	"testing"
)

// The reactor tests skip before they use these where there is no reactor.

var errNoSockets = errors.New("no socketpair in these tests outside Linux")

func socketpair() (int, int, error)         { return -1, -1, errNoSockets }
func closeFD(int)                           {}
func readFD(int, []byte) (int, error)       { return 0, errNoSockets }
func writeFD(t *testing.T, _ int, _ string) { t.Fatal(errNoSockets) }
func drain(t *testing.T, _ int) string      { t.Fatal(errNoSockets); return "" }

func writeOnce(int, []byte) (int, error) { return 0, errNoSockets }
func wouldBlock(error) bool              { return false }
