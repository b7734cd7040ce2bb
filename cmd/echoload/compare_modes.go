package main

import (
	"fmt"
	"strings"
)

// tutorialModes is the comparison's second table: the tutorial's versions
// of the server, one run each at 64-byte lines, and how many connections
// the sequential one served. It returns the points for the figures.
func (c *comparison) tutorialModes() ([]loadPoint, error) {
	kinds := modeKinds()
	c.printModesHeader(kinds)
	var points []loadPoint
	for _, conns := range []int{1, 50, 1000} {
		var runs []result
		for _, kind := range kinds {
			r, err := loadFresh(kind, loadConfig{conns: conns, duration: c.d, size: 64, pipeline: 1}, false)
			if err != nil {
				return nil, err
			}
			runs = append(runs, r)
		}
		points = append(points, c.printModesRow(conns, kinds, runs))
	}
	return points, nil
}

// printModesHeader prints the title of the tutorial's modes table and its
// header: lines/s, CPU per line and run-queue wait, a column per mode of
// kinds each.
func (c *comparison) printModesHeader(kinds []string) {
	fmt.Fprintf(c.out, "\nThe tutorial's versions, 64-byte lines, one run each:\n\n")
	header, rule := "| conns |", "|---:|"
	for _, column := range []string{"lines/s", "CPU/line", "wait"} {
		for _, kind := range kinds {
			header += " " + kind + " " + column + " |"
			rule += "---:|"
		}
	}
	fmt.Fprintln(c.out, header+" sequential: connections served |")
	fmt.Fprintln(c.out, rule+"---:|")
}

// printModesRow prints the row of conns connections, runs holding one run
// of each of kinds, and returns the point for the figures.
func (c *comparison) printModesRow(conns int, kinds []string, runs []result) loadPoint {
	var rates, cpus, waits []string
	served := 0
	pt := loadPoint{Conns: conns, Size: 64}
	for i, kind := range kinds {
		r := runs[i]
		rates = append(rates, fmt.Sprintf("%.0f", r.LinesPerSec))
		cpus = append(cpus, cpuCell(r.ServerCPUPerLine))
		waits = append(waits, waitCell(addWait(nil, r)))
		if kind == "sequential" {
			served = r.Served
		}
		pt.Series = append(pt.Series, series{Name: kind, LinesPerSec: r.LinesPerSec, Latency: r.Latency, Unserved: r.Active - r.Served})
	}
	fmt.Fprintf(c.out, "| %d | %s | %s | %s | %d of %d |\n", conns, strings.Join(rates, " | "), strings.Join(cpus, " | "), strings.Join(waits, " | "), served, conns)
	return pt
}
