//go:build !linux

package procfs

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// RunQueueWait is how long the threads of process pid have waited,
// runnable, for a processor; it is read on Linux only, and here returns
// an error that wraps errors.ErrUnsupported.
func RunQueueWait(pid int) (time.Duration, error) {
	return 0, fmt.Errorf("reading a process's run-queue wait needs Linux; this is %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
