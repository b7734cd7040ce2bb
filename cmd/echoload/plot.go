package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chansync/chansync/cmd/internal/figure"
)

// The figures echoload draws, as plain values: what the plot functions
// take, and what the tests give them.

// A latencyPoint is the latency at one percentile (0 to 100).
type latencyPoint struct {
	Percentile float64
	Micros     float64
}

// A series is one server's (or mode's) figures at one load point.
type series struct {
	Name        string
	LinesPerSec float64
	Latency     []latencyPoint // ascending percentiles
	// Unserved is how many of the point's connections got no echo in the
	// measured window (the sequential server serves one at a time). The
	// figures mark it, since the curve and the bar then stand for the
	// few connections served, not for all of them.
	Unserved int
}

// servedText says how many of conns connections s served, or "" if all.
func (s series) servedText(conns int) string {
	if s.Unserved <= 0 {
		return ""
	}
	return fmt.Sprintf("served %d/%d", conns-s.Unserved, conns)
}

// A loadPoint is one connection count and line size, with one series per
// server or mode measured there.
type loadPoint struct {
	Conns, Size int
	Series      []series
}

// Names of the files -plot writes in its directory, before the extension:
// the load run's, or the comparison's servers', and the tutorial's modes'.
const (
	latencyFile         = "echoload-latency"
	throughputFile      = "echoload-throughput"
	modesLatencyFile    = "echoload-modes-latency"
	modesThroughputFile = "echoload-modes-throughput"
)

func connsText(n int) string {
	if n == 1 {
		return "1 connection"
	}
	return fmt.Sprintf("%d connections", n)
}

// names lists the series of all points in order of first appearance, so
// that a server has the same colour in every panel.
func names(points []loadPoint) []string {
	var out []string
	for _, pt := range points {
		for _, s := range pt.Series {
			if !slices.Contains(out, s.Name) {
				out = append(out, s.Name)
			}
		}
	}
	return out
}

// figures is where -plot draws, and in which format.
type figures struct{ dir, format string }

func (f *figures) path(name string) string {
	return filepath.Join(f.dir, name+"."+f.format)
}

// caption says how the figures were made, on which machine and when.
func caption(how string) string {
	return strings.Join([]string{how, figure.Machine(), time.Now().UTC().Format("2006-01-02")}, figure.CaptionSep)
}

// run draws one load run against addr: one panel, one line, one bar. It
// returns the paths of the files it wrote.
func (f *figures) run(addr, how string, r result) ([]string, error) {
	pt := []loadPoint{{Conns: r.Conns, Size: r.Size, Series: []series{{Name: addr, LinesPerSec: r.LinesPerSec, Latency: r.Latency, Unserved: r.Active - r.Served}}}}
	// A run of fewer lines than connections shows the connections it used.
	pt[0].Conns = r.Active
	return f.draw([]drawing{
		{latencyFile, func(path string) error {
			return plotLatency(path, "Echo latency by percentile", caption(how), pt, 1)
		}},
		{throughputFile, func(path string) error { return plotThroughput(path, "Echo throughput", caption(how), pt) }},
	})
}

// compare draws the comparison: the servers at every load point, and the
// tutorial's modes. It returns the paths of the files it wrote.
func (f *figures) compare(servers, modes []loadPoint, d time.Duration, reps int) ([]string, error) {
	how := fmt.Sprintf("echoload -compare: each server fresh in its own process, %v per run", d)
	serverHow := fmt.Sprintf("%s, median of %d runs in turn", how, reps)
	modeHow := how + ", one run each"
	return f.draw([]drawing{
		{latencyFile, func(path string) error {
			return plotLatency(path, "Echo latency by percentile: chansync against the baseline",
				caption(serverHow+" at each percentile"), servers, 3)
		}},
		{throughputFile, func(path string) error {
			return plotThroughput(path, "Echo throughput: chansync against the baseline", caption(serverHow), servers)
		}},
		{modesLatencyFile, func(path string) error {
			return plotLatency(path, "Echo latency by percentile: the tutorial's servers, and reactor mode", caption(modeHow), modes, 3)
		}},
		{modesThroughputFile, func(path string) error {
			return plotThroughput(path, "Echo throughput: the tutorial's servers, and reactor mode", caption(modeHow), modes)
		}},
	})
}

// A drawing is one figure to draw: its file's name, before the extension,
// and how to draw it at a path.
type drawing struct {
	name string
	draw func(path string) error
}

// draw draws each figure in turn until one fails, and returns the paths
// of those it wrote.
func (f *figures) draw(drawings []drawing) ([]string, error) {
	var wrote []string
	for _, d := range drawings {
		path := f.path(d.name)
		if err := d.draw(path); err != nil {
			return wrote, err
		}
		wrote = append(wrote, path)
	}
	return wrote, nil
}
