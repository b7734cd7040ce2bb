package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/chansync/chansync/cmd/internal/report"
)

// A comparison is one run of -compare. Its reports print their tables on
// out, and a run with errors sets failed, which ends the comparison with
// status 1 once every table is printed.
type comparison struct {
	out, stderr io.Writer
	d           time.Duration // how long each timed run lasts
	reps        int           // runs per point in the first table
	servers     []server
	failed      bool
}

// runCompare runs the whole comparison on loopback and prints its tables,
// draws its figures if plots is not nil, and writes the tables to rep's
// file if rep is not nil and the comparison ran to its end.
func runCompare(stdout, stderr io.Writer, d time.Duration, reps int, plots *figures, rep *report.Report) int {
	if rep != nil {
		stdout = rep.Tee(stdout)
	}
	c := &comparison{out: stdout, stderr: stderr, d: d, reps: reps, servers: comparedServers()}
	c.printIntro()
	serverPoints, err := c.againstBaseline()
	if err != nil {
		return c.fail(err)
	}
	modePoints, err := c.tutorialModes()
	if err != nil {
		return c.fail(err)
	}
	// Drawn now rather than at the end, so that a failure in what follows
	// does not lose them.
	c.draw(plots, serverPoints, modePoints)
	if err := c.atScale(); err != nil {
		return c.fail(err)
	}
	if rep != nil {
		if err := rep.Write(); err != nil {
			return c.fail(err)
		}
		fmt.Fprintf(stderr, "echoload: wrote %s\n", rep.Path())
	}
	if c.failed {
		return 1
	}
	return 0
}

// fail ends the comparison at once, with err on stderr and status 1.
func (c *comparison) fail(err error) int {
	fmt.Fprintf(c.stderr, "echoload: %v\n", err)
	return 1
}

func (c *comparison) printIntro() {
	fmt.Fprintf(c.out, "Line echo servers on loopback, each in its own process, started fresh for every run; %v per run.\n", c.d)
	fmt.Fprintf(c.out, "baseline: one goroutine per connection, bufio.Reader + Write, no limits, no logging. chansync: echo.Server, logging off.\n")
	fmt.Fprintf(c.out, "CPU/line: the server process's CPU time over the run (user and system, all its threads), divided by the lines it echoed.\n")
	fmt.Fprintf(c.out, "wait: how long the server's threads waited, runnable, for a processor, summed over its threads, per second of the run (1.00 s/s: on average one thread waiting all the time), the median of the runs that measured it. It undercounts a server that ends threads (thread mode ends one per connection): the kernel keeps the wait per thread, and an ended thread takes its wait with it.\n")
	fmt.Fprintf(c.out, "–: not measured (Linux only; a wait is also left out where the threads that ended during the run took more of it with them than the others gained).\n\n")
}

// draw draws the figures of the first two tables, if plots is not nil, and
// says on stderr what it wrote. A figure it could not draw fails the
// comparison, but only at its end.
func (c *comparison) draw(plots *figures, serverPoints, modePoints []loadPoint) {
	if plots == nil {
		return
	}
	paths, err := plots.compare(serverPoints, modePoints, c.d, c.reps)
	for _, p := range paths {
		fmt.Fprintf(c.stderr, "echoload: wrote %s\n", p)
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "echoload: %v\n", err)
		c.failed = true
	}
}

// A server is one of the servers the comparison's first table sets side
// by side: its kind, as a server child takes it, and the name its figures
// give it.
type server struct{ kind, name string }

// comparedServers are the servers of the comparison's first table: the
// baseline first, then chansync's goroutine mode, then its reactor mode
// where it runs.
func comparedServers() []server {
	c := []server{
		{"baseline", "baseline"},
		{"goroutine", "chansync (goroutine mode)"},
	}
	if reactorRuns() {
		c = append(c, server{"reactor", "chansync (reactor mode)"})
	}
	return c
}

// modeKinds are the tutorial's modes that the comparison's second table
// runs, reactor mode last where it runs.
func modeKinds() []string {
	kinds := []string{"goroutine", "thread", "sequential"}
	if reactorRuns() {
		kinds = append(kinds, "reactor")
	}
	return kinds
}

// kindsOf lists the servers' kinds.
func kindsOf(servers []server) []string {
	var kinds []string
	for _, c := range servers {
		kinds = append(kinds, c.kind)
	}
	return kinds
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// errText writes errs in a table's cell.
func errText(errs map[string]int64) string {
	if len(errs) == 0 {
		return "none"
	}
	return strings.Join(errorList(errs), ", ")
}

// ratios writes each figure after the first against the one before it
// (goroutine mode against the baseline, reactor mode against goroutine
// mode), separated by " / ", or "–" where a figure is missing.
func ratios(xs []float64) string {
	var parts []string
	for i := 1; i < len(xs); i++ {
		if xs[i] <= 0 || xs[i-1] <= 0 {
			parts = append(parts, "–")
			continue
		}
		parts = append(parts, fmt.Sprintf("%.2fx", xs[i]/xs[i-1]))
	}
	return strings.Join(parts, " / ")
}

// cpuCell writes a server's CPU per line in a table, or "–" where it was
// not measured (a system other than Linux).
func cpuCell(us float64) string {
	if us <= 0 {
		return "–"
	}
	return cpuText(us)
}

// addWait appends to waits the server's run-queue wait per second of run
// r, where r measured it.
func addWait(waits []float64, r result) []float64 {
	if r.ServerRunQueueWait == nil || r.Seconds <= 0 {
		return waits
	}
	return append(waits, *r.ServerRunQueueWait/r.Seconds)
}

// waitCell writes in a table the median of a server's run-queue waits per
// second of its runs, over the runs that measured one, or "–" where none
// did (a system other than Linux, a kernel without schedstat, or runs
// whose ended threads took their wait with them).
func waitCell(waits []float64) string {
	if len(waits) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f s/s", median(waits))
}
