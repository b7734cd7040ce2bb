package procfs

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"time"
)

// A schedstat is what the kernel's scheduler has kept of one thread since
// it started (its sched_info), as /proc/PID/task/TID/schedstat gives it.
type schedstat struct {
	onCPU  time.Duration // time running on a processor
	waited time.Duration // time runnable on a run queue, waiting for one
	slices uint64        // how many times it was given a processor
}

// parseSchedstat reads one schedstat line: the three figures as the
// kernel prints them ("%llu %llu %lu\n": nanoseconds on a processor,
// nanoseconds waiting on a run queue, timeslices), decimal numbers
// separated by single spaces, the newline optional. Anything else is an
// error, and so is a time too large for a time.Duration (292 years): a
// figure read wrong would be worse than none.
func parseSchedstat(line []byte) (schedstat, error) {
	fields := bytes.Split(bytes.TrimSuffix(line, []byte("\n")), []byte(" "))
	if len(fields) != 3 {
		return schedstat{}, fmt.Errorf("schedstat %q: want three numbers separated by spaces", line)
	}
	var n [3]uint64
	for i, f := range fields {
		v, err := strconv.ParseUint(string(f), 10, 64)
		if err != nil {
			return schedstat{}, fmt.Errorf("schedstat %q: field %d is not a count: %w", line, i+1, err)
		}
		n[i] = v
	}
	if n[0] > math.MaxInt64 || n[1] > math.MaxInt64 {
		return schedstat{}, fmt.Errorf("schedstat %q: a time beyond %v", line, time.Duration(math.MaxInt64))
	}
	return schedstat{onCPU: time.Duration(n[0]), waited: time.Duration(n[1]), slices: n[2]}, nil
}
