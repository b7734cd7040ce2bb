package main

import (
	"fmt"
	"strings"
)

// againstBaseline is the comparison's first table: chansync's modes
// against the baseline at each load point, the median of reps runs each,
// in alternating order. It returns the points for the figures.
func (c *comparison) againstBaseline() ([]loadPoint, error) {
	c.printBaselineHeader()
	var points []loadPoint
	for _, size := range []int{64, 4096} {
		for _, conns := range []int{1, 50, 1000} {
			runs, err := c.alternate(conns, size)
			if err != nil {
				return nil, err
			}
			points = append(points, c.printBaselineRow(conns, size, runs))
		}
	}
	return points, nil
}

func (c *comparison) printBaselineHeader() {
	var names []string
	for _, s := range c.servers[1:] {
		names = append(names, s.kind+" mode")
	}
	fmt.Fprintf(c.out, "chansync (%s) against the baseline, median of %d runs each, in alternating order.\n", strings.Join(names, ", "), c.reps)
	fmt.Fprintf(c.out, "Ratios: goroutine mode against the baseline; reactor mode against goroutine mode.\n\n")
	header, rule := "| conns | line |", "|---:|---:|"
	for _, s := range c.servers {
		header += " " + s.kind + " lines/s |"
		rule += "---:|"
	}
	header += " ratios |"
	rule += "---:|"
	for _, s := range c.servers {
		header += " " + s.kind + " CPU/line |"
		rule += "---:|"
	}
	header += " ratios |"
	rule += "---:|"
	for _, s := range c.servers {
		header += " " + s.kind + " wait |"
		rule += "---:|"
	}
	for _, s := range c.servers {
		header += " " + s.kind + " p99 |"
		rule += "---:|"
	}
	header += " ratios | errors (" + strings.Join(kindsOf(c.servers), "; ") + ") |"
	rule += "---:|---|"
	fmt.Fprintln(c.out, header)
	fmt.Fprintln(c.out, rule)
}

// serverRuns are one server's runs at one load point.
type serverRuns struct {
	rate, cpu, p99 []float64
	wait           []float64 // per second of the run, of the runs that measured it
	curves         [][]latencyPoint
	unserved       int              // the most connections a run left without an echo
	errs           map[string]int64 // summed over the runs
}

func (s *serverRuns) add(r result) {
	s.rate = append(s.rate, r.LinesPerSec)
	s.cpu = append(s.cpu, r.ServerCPUPerLine)
	s.p99 = append(s.p99, r.P99)
	s.wait = addWait(s.wait, r)
	s.curves = append(s.curves, r.Latency)
	s.unserved = max(s.unserved, r.Active-r.Served)
	for k, v := range r.Errors {
		s.errs[k] += v
	}
}

// alternate runs every server reps times at one load point, each run on a
// fresh server. It rotates which server goes first, so that none always
// runs right after another.
func (c *comparison) alternate(conns, size int) ([]serverRuns, error) {
	n := len(c.servers)
	runs := make([]serverRuns, n)
	for i := range runs {
		runs[i].errs = map[string]int64{}
	}
	for rep := range c.reps {
		for k := range n {
			i := (k + rep) % n
			r, err := loadFresh(c.servers[i].kind, loadConfig{conns: conns, duration: c.d, size: size, pipeline: 1}, false)
			if err != nil {
				return nil, err
			}
			runs[i].add(r)
			if len(r.Errors) > 0 {
				c.failed = true
			}
		}
	}
	return runs, nil
}

// printBaselineRow prints one load point's row, the medians of its runs
// and their ratios, and returns the point for the figures.
func (c *comparison) printBaselineRow(conns, size int, runs []serverRuns) loadPoint {
	pt := loadPoint{Conns: conns, Size: size}
	row := fmt.Sprintf("| %d | %d B |", conns, size)
	rates, cpus, p99s := make([]float64, len(runs)), make([]float64, len(runs)), make([]float64, len(runs))
	var errCells []string
	for i, s := range c.servers {
		rates[i], cpus[i], p99s[i] = median(runs[i].rate), median(runs[i].cpu), median(runs[i].p99)
		pt.Series = append(pt.Series, series{Name: s.name, LinesPerSec: rates[i], Latency: medianCurve(runs[i].curves), Unserved: runs[i].unserved})
		row += fmt.Sprintf(" %.0f |", rates[i])
		errCells = append(errCells, errText(runs[i].errs))
	}
	row += " " + ratios(rates) + " |"
	for _, cpu := range cpus {
		row += " " + cpuCell(cpu) + " |"
	}
	row += " " + ratios(cpus) + " |"
	for i := range c.servers {
		row += " " + waitCell(runs[i].wait) + " |"
	}
	for _, p99 := range p99s {
		row += " " + usText(p99) + " |"
	}
	row += " " + ratios(p99s) + " | " + strings.Join(errCells, "; ") + " |"
	fmt.Fprintln(c.out, row)
	return pt
}
