package procfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// RunQueueWait is how long the threads of process pid (Self for the
// caller) have waited, runnable, for a processor: the time each of them
// spent on a run queue while another thread ran, summed over the
// process's live threads. The kernel keeps it per thread from the
// thread's start, in nanoseconds, as the second figure of
// /proc/PID/task/TID/schedstat. A process waits when it and the rest of
// the machine have more runnable threads than there are processors, so
// the difference of two readings shows what sharing the processors cost
// it in between: a server that waited half a second in a second of load
// served less than it could have, whatever its CPU time says.
//
// Because the figure lives in each thread, a difference of two readings
// counts only the threads alive at the second one. A thread that exits in
// between takes its wait with it, so the difference undercounts a run in
// which threads exit, and can even come out negative (a server with a
// thread per connection loses each one as its connection closes; Go's
// runtime threads and Tokio's workers live as long as their process). A
// thread created in between adds its whole wait, all of which lies in
// between, as it should.
//
// Any process can be read, whoever owns it. A pid with no process gives
// an error that wraps syscall.ESRCH, "no such process"; a kernel that
// keeps no scheduler statistics (built without CONFIG_SCHED_INFO) one that
// wraps errors.ErrUnsupported.
func RunQueueWait(pid int) (time.Duration, error) {
	if pid < 0 {
		return 0, fmt.Errorf("process %d: %w", pid, unix.ESRCH)
	}
	proc := "self"
	if pid != Self {
		proc = strconv.Itoa(pid)
	}
	wait, onCPU, err := runQueueWait("/proc/" + proc + "/task")
	if err == nil && onCPU > 0 {
		return wait, nil
	}
	// No thread was read, or none has run: the process is gone or brand
	// new, or the kernel keeps no statistics, which the calling thread,
	// running now, tells apart.
	if kept := schedstatKept(); kept != nil {
		return 0, kept
	}
	if errors.Is(err, unix.ESRCH) {
		return 0, fmt.Errorf("process %d: %w", pid, unix.ESRCH)
	}
	return wait, err
}

// runQueueWait sums the waits, and the times on a processor, of the
// threads listed in taskDir (a /proc/PID/task). A thread that exits
// between the listing and its reading is left out; if none is left, the
// error wraps syscall.ESRCH.
func runQueueWait(taskDir string) (wait, onCPU time.Duration, err error) {
	threads, err := os.ReadDir(taskDir)
	if err != nil {
		if gone(err) {
			return 0, 0, fmt.Errorf("%s: %w", taskDir, unix.ESRCH)
		}
		return 0, 0, err
	}
	read := 0
	for _, thread := range threads {
		path := filepath.Join(taskDir, thread.Name(), "schedstat")
		b, err := os.ReadFile(path)
		if gone(err) {
			continue
		}
		if err != nil {
			return 0, 0, err
		}
		s, err := parseSchedstat(b)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", path, err)
		}
		wait += s.waited
		onCPU += s.onCPU
		read++
	}
	if read == 0 {
		return 0, 0, fmt.Errorf("%s: no thread left: %w", taskDir, unix.ESRCH)
	}
	return wait, onCPU, nil
}

// gone reports whether err says that a process or thread is no more: its
// /proc entry has gone (ENOENT), or it went while its file was read
// (ESRCH).
func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ESRCH)
}

// schedstatKept returns nil if the kernel keeps its scheduler's
// statistics of threads, and otherwise an error that wraps
// errors.ErrUnsupported. The calling thread is running, so its schedstat
// has time on a processor in it wherever they are kept; a kernel built
// without them has no schedstat files, and some older ones print 0 0 0
// when the statistics are switched off.
func schedstatKept() error {
	b, err := os.ReadFile("/proc/thread-self/schedstat")
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("this kernel keeps no run-queue waits (no /proc/thread-self/schedstat): %w", errors.ErrUnsupported)
	}
	if err != nil {
		return err
	}
	s, err := parseSchedstat(b)
	if err != nil {
		return fmt.Errorf("/proc/thread-self/schedstat: %w", err)
	}
	if s.onCPU == 0 {
		return fmt.Errorf("this kernel keeps no run-queue waits (/proc/thread-self/schedstat reads %q): %w", b, errors.ErrUnsupported)
	}
	return nil
}
