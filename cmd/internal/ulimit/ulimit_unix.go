//go:build unix

package ulimit

import (
	"math"
	"runtime"
	"syscall"
)

// OpenFiles returns the soft limit on open file descriptors (ulimit -n).
func OpenFiles() (uint64, error) {
	return soft(syscall.RLIMIT_NOFILE)
}

// Processes returns the soft limit on this user's processes and threads
// (ulimit -u), or math.MaxUint64 on a system where this package does not
// know the limit's number.
func Processes() (uint64, error) {
	resource, ok := rlimitNproc()
	if !ok {
		return math.MaxUint64, nil
	}
	return soft(resource)
}

// rlimitNproc is RLIMIT_NPROC, which package syscall does not name.
func rlimitNproc() (int, bool) {
	switch runtime.GOOS {
	case "linux":
		return 6, true
	case "darwin", "freebsd":
		return 7, true
	}
	return 0, false
}

func soft(resource int) (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(resource, &l); err != nil {
		return 0, err
	}
	// RLIM_INFINITY is the largest value of Cur's type: uint64 or int64.
	return uint64(l.Cur), nil
}
