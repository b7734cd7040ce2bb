//go:build !linux

package procfs

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// CPUTime is the CPU time that process pid has used since it started; it
// is read on Linux only, and here returns an error that wraps
// errors.ErrUnsupported.
func CPUTime(pid int) (time.Duration, error) {
	return 0, fmt.Errorf("reading a process's CPU time needs Linux; this is %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
