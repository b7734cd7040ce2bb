package procfs

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// CPUTime is the CPU time, user and system, that process pid (Self for
// the caller) has used since it started, summed over all its threads,
// exited ones included. It reads the process's CPU-time clock, the clock
// clock_getcpuclockid(3) names, in nanoseconds. It is the total that
// /proc/PID/stat splits into utime and stime, which give it only in clock
// ticks (10 ms), and unlike a sum over /proc/PID/task it keeps the time
// of threads that have exited. Any process can be read, whoever owns it.
// A pid with no process gives an error that wraps syscall.ESRCH, "no
// such process".
func CPUTime(pid int) (time.Duration, error) {
	// Linux's pids stay below 2^22; a larger one would not fit the clock's
	// encoding, and a negative one would name the calling process.
	if pid < 0 || pid >= 1<<28 {
		return 0, fmt.Errorf("process %d: %w", pid, unix.ESRCH)
	}
	// The encoding of clock_getcpuclockid(3) and the kernel's
	// MAKE_PROCESS_CPUCLOCK: the pid, bit-inverted, shifted over three bits
	// that choose the scheduler's account (CPUCLOCK_SCHED, 2) of the whole
	// process (the per-thread bit, 4, clear). Pid 0 is the caller.
	clock := int32(^pid<<3 | 2)
	var ts unix.Timespec
	if err := unix.ClockGettime(clock, &ts); err != nil {
		if errors.Is(err, unix.EINVAL) {
			return 0, fmt.Errorf("process %d: %w", pid, unix.ESRCH)
		}
		return 0, fmt.Errorf("the CPU time of process %d: %w", pid, err)
	}
	return time.Duration(ts.Nano()), nil
}
