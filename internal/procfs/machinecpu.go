package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"time"
)

// MachineCPU is the CPU time of the whole machine, summed over its
// processors, since it booted: what MachineCPUTime reads. Two readings
// tell how busy the processors were in between (BusySince), whoever kept
// them busy.
type MachineCPU struct {
	// Busy is the time the processors ran anything: user code (niced or
	// not, a guest's included), the kernel, interrupts and softirqs, and
	// the time a hypervisor gave a virtual processor's turn to another
	// machine (steal), which the machine wanted and did not get.
	Busy time.Duration
	// Total is Busy and the time the processors were idle, waiting for
	// I/O (iowait) or not.
	Total time.Duration
	// Processors is how many processors are online.
	Processors int
}

// ErrNoTick is what BusySince returns when no clock tick, of any
// processor, lies between its two readings: an interval too short for the
// kernel's counters to tell.
var ErrNoTick = errors.New("no clock tick between the readings")

// BusySince is how many processors' worth of the machine was busy
// between the readings start and m, taken in that order: the busy time in
// between over the interval's length. The length is the total time in
// between over the processors, which is the interval's wall-clock time
// counted in the same clock ticks as the busy time, so the figure lies
// between 0 and m.Processors. It is an error if the processors online
// changed in between, if the counters went backwards (start is the later
// reading), or, wrapping ErrNoTick, if they did not move.
func (m MachineCPU) BusySince(start MachineCPU) (float64, error) {
	busy, total := m.Busy-start.Busy, m.Total-start.Total
	switch {
	case m.Processors != start.Processors:
		return 0, fmt.Errorf("the processors online went from %d to %d between the readings", start.Processors, m.Processors)
	case busy < 0 || total < busy:
		return 0, fmt.Errorf("the machine's CPU time went backwards between the readings (busy %v to %v, total %v to %v)", start.Busy, m.Busy, start.Total, m.Total)
	case total == 0:
		return 0, ErrNoTick
	}
	return float64(busy) / float64(total) * float64(m.Processors), nil
}

// parseStat reads the machine's CPU time from the text of /proc/stat,
// where the kernel counts it in clock ticks of length tick. The aggregate
// line, "cpu" and then the figures summed over the processors, gives
// user, nice, system, idle, iowait, irq, softirq, steal, guest and
// guest_nice, in that order, as decimal counts separated by spaces (a
// tab, a carriage return is no separator, but part of a figure); older
// kernels print only the first 4, 7, 8 or 9. Busy is all of them but
// idle and iowait, and but guest and guest_nice, which the kernel has
// already counted in user and nice. A line per online processor follows,
// "cpuN" and its own figures; they are counted, not summed. Other lines
// (intr, ctxt, btime, ...) are left alone.
//
// Anything else is an error that quotes the line at fault: no aggregate
// line or two of them, a figure that is not a decimal count, fewer than 4
// figures or more than 10 (a field this parser does not know could be
// one that another already counts), no processor's line or two for one
// processor, or a time too large for a time.Duration (292 years of CPU,
// the processors' time added up). A figure read wrong would be worse than
// none.
func parseStat(b []byte, tick time.Duration) (MachineCPU, error) {
	if tick <= 0 {
		return MachineCPU{}, fmt.Errorf("a clock tick of %v", tick)
	}
	var (
		aggregate []byte
		ticks     [10]uint64
		seen      = map[string]bool{}
	)
	for line := range bytes.Lines(b) {
		f := fields(line)
		if len(f) == 0 {
			continue
		}
		name, ok := bytes.CutPrefix(f[0], []byte("cpu"))
		if !ok {
			continue
		}
		if len(name) > 0 {
			if len(bytes.Trim(name, "0123456789")) > 0 {
				continue // not a processor's line
			}
			if seen[string(name)] {
				return MachineCPU{}, fmt.Errorf("a second line for processor %s: %q", name, line)
			}
			seen[string(name)] = true
			continue
		}
		if aggregate != nil {
			return MachineCPU{}, fmt.Errorf("a second cpu line: %q", line)
		}
		aggregate = line
		if n := len(f) - 1; n < 4 || n > len(ticks) {
			return MachineCPU{}, fmt.Errorf("cpu line %q: %d figures; want 4 to %d", line, n, len(ticks))
		}
		for i, v := range f[1:] {
			n, err := strconv.ParseUint(string(v), 10, 64)
			if err != nil {
				return MachineCPU{}, fmt.Errorf("cpu line %q: figure %d is not a count: %w", line, i+1, err)
			}
			ticks[i] = n
		}
	}
	if aggregate == nil {
		return MachineCPU{}, fmt.Errorf("no cpu line in %d bytes", len(b))
	}
	if len(seen) == 0 {
		return MachineCPU{}, errors.New("no processor's cpuN line")
	}
	// user nice system idle iowait irq softirq steal: indexes 3 and 4
	// are the idle ones.
	var busy, idle uint64
	overflow := false
	for i, n := range ticks[:8] {
		var carry uint64
		if i == 3 || i == 4 {
			idle, carry = bits.Add64(idle, n, 0)
		} else {
			busy, carry = bits.Add64(busy, n, 0)
		}
		overflow = overflow || carry != 0
	}
	total, carry := bits.Add64(busy, idle, 0)
	limit := uint64(math.MaxInt64 / tick)
	if overflow || carry != 0 || total > limit {
		return MachineCPU{}, fmt.Errorf("cpu line %q: more CPU time than a time.Duration holds", aggregate)
	}
	return MachineCPU{
		Busy:       time.Duration(busy) * tick,
		Total:      time.Duration(total) * tick,
		Processors: len(seen),
	}, nil
}

// fields splits a line of /proc/stat, its newline left out, at runs of
// spaces, the only separator the kernel prints.
func fields(line []byte) [][]byte {
	return bytes.FieldsFunc(bytes.TrimSuffix(line, []byte("\n")), func(r rune) bool { return r == ' ' })
}
