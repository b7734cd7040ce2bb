package main

import (
	"bytes"
	"strings"
	"testing"
)

// The first table's header and a row, from runs made up to give round
// medians: each server's median of its runs, the ratios of neighbours,
// and the errors summed over the runs. The third server's CPU was not
// measured.
func TestBaselineTable(t *testing.T) {
	var out bytes.Buffer
	c := &comparison{out: &out, reps: 3, servers: []server{
		{"baseline", "baseline"},
		{"goroutine", "chansync (goroutine mode)"},
		{"reactor", "chansync (reactor mode)"},
	}}
	c.printBaselineHeader()
	runs := make([]serverRuns, 3)
	for i, rs := range [][]result{
		{
			{LinesPerSec: 100, ServerCPUPerLine: 9, P99: 73, Active: 50, Served: 50, Errors: map[string]int64{"reset": 1}},
			{LinesPerSec: 300, ServerCPUPerLine: 7, P99: 60, Active: 50, Served: 50, Errors: map[string]int64{"reset": 1, "mismatch": 1}},
			{LinesPerSec: 200, ServerCPUPerLine: 8, P99: 90, Active: 50, Served: 50},
		},
		{{LinesPerSec: 400, ServerCPUPerLine: 12.25, P99: 1600, Active: 50, Served: 48}, {LinesPerSec: 400, ServerCPUPerLine: 10, P99: 1500, Active: 50, Served: 50}, {LinesPerSec: 400, ServerCPUPerLine: 11, P99: 1400, Active: 50, Served: 50}},
		{{LinesPerSec: 300, P99: 800, Active: 50, Served: 50}, {LinesPerSec: 100, P99: 700, Active: 50, Served: 50}, {LinesPerSec: 200, P99: 750, Active: 50, Served: 50}},
	} {
		runs[i].errs = map[string]int64{}
		for _, r := range rs {
			runs[i].add(r)
		}
	}
	pt := c.printBaselineRow(50, 64, runs)

	want := []string{
		"chansync (goroutine mode, reactor mode) against the baseline, median of 3 runs each, in alternating order.",
		"Ratios: goroutine mode against the baseline; reactor mode against goroutine mode.",
		"",
		"| conns | line | baseline lines/s | goroutine lines/s | reactor lines/s | ratios | baseline CPU/line | goroutine CPU/line | reactor CPU/line | ratios | baseline p99 | goroutine p99 | reactor p99 | ratios | errors (baseline; goroutine; reactor) |",
		"|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
		"| 50 | 64 B | 200 | 400 | 200 | 2.00x / 0.50x | 8.0µs | 11.0µs | – | 1.38x / – | 73µs | 1.5ms | 750µs | 20.55x / 0.50x | 1 × mismatch, 2 × reset; none; none |",
	}
	if got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("table:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if pt.Conns != 50 || pt.Size != 64 || len(pt.Series) != 3 {
		t.Fatalf("point %+v, want 50 connections of 64 bytes and one series per server", pt)
	}
	for i, s := range pt.Series {
		if s.Name != c.servers[i].name || s.LinesPerSec != []float64{200, 400, 200}[i] || s.Unserved != []int{0, 2, 0}[i] {
			t.Errorf("series %d = %+v; want its server's name, median rate and most connections unserved", i, s)
		}
	}
}
