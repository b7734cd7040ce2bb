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
	fmt.Fprintf(c.out, "\nThe tutorial's versions, 64-byte lines, one run each:\n\n")
	header, rule := "| conns |", "|---:|"
	for _, kind := range kinds {
		header += " " + kind + " lines/s |"
		rule += "---:|"
	}
	for _, kind := range kinds {
		header += " " + kind + " CPU/line |"
		rule += "---:|"
	}
	fmt.Fprintln(c.out, header+" sequential: connections served |")
	fmt.Fprintln(c.out, rule+"---:|")
	var points []loadPoint
	for _, conns := range []int{1, 50, 1000} {
		var cells, cpuCells []string
		served := 0
		pt := loadPoint{Conns: conns, Size: 64}
		for _, kind := range kinds {
			r, err := loadFresh(kind, loadConfig{conns: conns, duration: c.d, size: 64, pipeline: 1}, false)
			if err != nil {
				return nil, err
			}
			cells = append(cells, fmt.Sprintf("%.0f", r.LinesPerSec))
			cpuCells = append(cpuCells, cpuCell(r.ServerCPUPerLine))
			if kind == "sequential" {
				served = r.Served
			}
			pt.Series = append(pt.Series, series{Name: kind, LinesPerSec: r.LinesPerSec, Latency: r.Latency, Unserved: r.Active - r.Served})
		}
		points = append(points, pt)
		fmt.Fprintf(c.out, "| %d | %s | %s | %d of %d |\n", conns, strings.Join(cells, " | "), strings.Join(cpuCells, " | "), served, conns)
	}
	return points, nil
}
