package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/chansync/chansync/cmd/internal/ulimit"
)

// runtimeThreads is a margin for the threads the Go runtime keeps for
// itself (the scheduler, the garbage collector, system calls in flight).
const runtimeThreads = 100

// checkLimits makes sure that tasks OS threads and a socketpair per task
// fit within every limit that applies, before anything is started. It
// raises the Go runtime's own thread limit if needed (that one is this
// program's to set), and otherwise says which limit to raise. It returns
// notes on what it changed, for the report.
func checkLimits(tasks int) (notes []string, err error) {
	threads := tasks + runtimeThreads
	if prev := debug.SetMaxThreads(threads); prev >= threads {
		debug.SetMaxThreads(prev)
	} else {
		notes = append(notes, fmt.Sprintf("raised the Go runtime's thread limit (debug.SetMaxThreads) from %d to %d", prev, threads))
	}
	for _, l := range []struct {
		path, what string
	}{
		{"/proc/sys/kernel/threads-max", "the system's thread limit (/proc/sys/kernel/threads-max)"},
		{"/proc/sys/kernel/pid_max", "the system's pid limit (/proc/sys/kernel/pid_max)"},
		{"/sys/fs/cgroup/pids.max", "this cgroup's task limit (pids.max)"},
	} {
		if v, ok := readLimit(l.path); ok && v < threads {
			return nil, fmt.Errorf("%d tasks need about %d threads, but %s is %d: raise it or lower -tasks", tasks, threads, l.what, v)
		}
	}
	if nproc, err := ulimit.Processes(); err == nil && nproc < uint64(threads) {
		return nil, fmt.Errorf("%d tasks need about %d threads, but ulimit -u is %d: raise it or lower -tasks", tasks, threads, nproc)
	}
	// Two descriptors per link, tasks+1 links, and room for the rest.
	fds := 2*(tasks+1) + 64
	nofile, err := ulimit.OpenFiles()
	if err != nil {
		return nil, fmt.Errorf("reading the file limit: %v", err)
	}
	if nofile < uint64(fds) {
		return nil, fmt.Errorf("%d tasks need about %d file descriptors for their socketpairs, but ulimit -n is %d: raise it or lower -tasks", tasks, fds, nofile)
	}
	return notes, nil
}

// readLimit reads a number from a /proc or /sys file; "max" or a missing
// file means no limit.
func readLimit(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return v, err == nil
}
