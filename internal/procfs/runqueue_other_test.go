//go:build !linux

package procfs

import (
	"errors"
	"testing"
)

func becomeSpinner() {}

func TestRunQueueWaitNeedsLinux(t *testing.T) {
	if _, err := RunQueueWait(Self); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("RunQueueWait = %v; want errors.ErrUnsupported", err)
	}
}
