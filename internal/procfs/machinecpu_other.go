//go:build !linux

package procfs

import (
	"errors"
	"fmt"
	"runtime"
)

// MachineCPUTime reads the CPU time of the whole machine since it booted;
// it is read on Linux only, and here returns an error that wraps
// errors.ErrUnsupported.
func MachineCPUTime() (MachineCPU, error) {
	return MachineCPU{}, fmt.Errorf("reading the machine's CPU time needs Linux; this is %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
