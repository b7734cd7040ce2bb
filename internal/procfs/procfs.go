// Package procfs reads the few Linux process figures chansync's programs
// report (a process's resident set, its CPU time and how long its threads
// waited for a processor, the whole machine's CPU time, the kernel's
// stacks, the processor's model) and turns a series of them into a cost
// per item (Slope).
package procfs

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Self stands for the calling process where a function takes a pid, as
// /proc/self does for a path.
const Self = 0

// RSSKiB is the resident set of process pid (Self for the caller), in KiB:
// the VmRSS line of its /proc status.
func RSSKiB(pid int) (float64, error) {
	proc := "self"
	if pid != Self {
		proc = strconv.Itoa(pid)
	}
	return KiB("/proc/"+proc+"/status", "VmRSS:")
}

// KiB reads a "Name:   123 kB" line of a /proc file such as
// /proc/self/status or /proc/meminfo and returns the number, in KiB.
func KiB(path, name string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name); ok {
			if fields := strings.Fields(rest); len(fields) > 0 {
				return strconv.ParseFloat(fields[0], 64)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s: no %s line", path, name)
}
