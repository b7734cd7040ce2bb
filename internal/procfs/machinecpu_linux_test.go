package procfs

import (
	"io"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// An interval is what the machine and a child did between two readings.
type interval struct {
	busy, total time.Duration // the machine's
	share       float64       // busy processors over the processors
	processors  int
	child       time.Duration // the child's CPU time
	// inside is the wall-clock time between the end of the first
	// readings and the start of the second, around the time the
	// machine's own readings span; outside, that from the start of the
	// first to the end of the second.
	inside, outside time.Duration
}

// measureInterval reads the machine's CPU time and child's around do.
func measureInterval(t *testing.T, child int, do func()) interval {
	t.Helper()
	read := func() (MachineCPU, time.Duration) {
		t.Helper()
		m, err := MachineCPUTime()
		if err != nil {
			t.Fatal(err)
		}
		c, err := CPUTime(child)
		if err != nil {
			t.Fatal(err)
		}
		return m, c
	}
	t0 := time.Now()
	m0, c0 := read()
	t1 := time.Now()
	do()
	t2 := time.Now()
	m1, c1 := read()
	t3 := time.Now()
	busy, err := m1.BusySince(m0)
	if err != nil {
		t.Fatal(err)
	}
	return interval{
		busy: m1.Busy - m0.Busy, total: m1.Total - m0.Total,
		share: busy / float64(m1.Processors), processors: m1.Processors,
		child: c1 - c0, inside: t2.Sub(t1), outside: t3.Sub(t0),
	}
}

// A child spinning twice as many threads as there are processors keeps
// the machine busy, and MachineCPUTime sees it: the machine's busy time
// over the spin holds the child's CPU time, and its busy share is no less
// than that of as long an interval in which the child sits idle. Other
// processes may keep the machine as busy as the child does, in either
// interval, so that is all the shares can be held to, less a margin for
// the kernel's sampling of busy time once a clock tick; the child's own
// CPU time, which the kernel counts to the nanosecond, is the firm floor.
// Both intervals' total time is their wall-clock time on every processor,
// to within the same factor of 2 that would catch a tick read at the
// wrong length.
func TestMachineCPUTimeSeesASpinningChild(t *testing.T) {
	threads := 2 * runtime.NumCPU()
	child := startChild(t, spinEnv+"="+strconv.Itoa(threads))
	child.expect(t, "ready")
	waitAsleep(t, child.pid)
	spin := measureInterval(t, child.pid, func() {
		if _, err := io.WriteString(child.stdin, "spin\n"); err != nil {
			t.Fatal(err)
		}
		child.expect(t, "spun")
	})
	waitAsleep(t, child.pid)
	idle := measureInterval(t, child.pid, func() { time.Sleep(spin.inside) })
	t.Logf("%d threads spinning %v each: the machine's %d processors busy %v of %v (%.0f%%), the child used %v; idle for %v: busy %v of %v (%.0f%%), the child used %v",
		threads, spinCPU, spin.processors, spin.busy, spin.total, 100*spin.share, spin.child, idle.inside, idle.busy, idle.total, 100*idle.share, idle.child)

	tick := time.Second / time.Duration(userHZ())
	for _, iv := range []struct {
		name string
		interval
	}{{"spinning", spin}, {"idle", idle}} {
		if iv.processors < runtime.NumCPU() {
			t.Errorf("%s: %d processors online, but this process may run on %d", iv.name, iv.processors, runtime.NumCPU())
		}
		n := time.Duration(iv.processors)
		if low, high := n*iv.inside/2, 2*n*(iv.outside+tick); iv.total < low || iv.total > high {
			t.Errorf("%s: the machine's total CPU time grew by %v in %v to %v on %d processors; want %v to %v", iv.name, iv.total, iv.inside, iv.outside, iv.processors, low, high)
		}
	}
	if spin.child < time.Duration(threads)*spinCPU {
		t.Fatalf("the child used %v spinning %d threads for %v each", spin.child, threads, spinCPU)
	}
	if spin.busy < spin.child/2 {
		t.Errorf("the machine was busy %v while a child used %v of CPU", spin.busy, spin.child)
	}
	if idle.child*4 >= spin.child {
		t.Errorf("the idle child used %v, the spinning one %v", idle.child, spin.child)
	}
	if spin.share < idle.share-0.25 {
		t.Errorf("the machine was busy %.0f%% while a child spun, %.0f%% while it was idle", 100*spin.share, 100*idle.share)
	}
}
