// Package procfs reads the few Linux /proc figures chansync's programs
// report (a process's resident set, the kernel's stacks, the processor's
// model), turns a series of them into a cost per item (Slope), and runs
// the fresh child processes the programs measure in (RunChild).
package procfs

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

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
