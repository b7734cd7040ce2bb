package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chansync/chansync/cmd/internal/report"
)

// seconds is a run's measured run-queue wait.
func seconds(s float64) *float64 { return &s }

// The first table's header and a row, from runs made up to give round
// medians: each server's median of its runs, the ratios of neighbours,
// and the errors summed over the runs. The third server's CPU and wait
// were not measured; one of the second server's runs has no wait, and its
// median is that of the other two.
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
			{LinesPerSec: 100, Seconds: 2, ServerRunQueueWait: seconds(0.5), ServerCPUPerLine: 9, P99: 73, Active: 50, Served: 50, Errors: map[string]int64{"reset": 1}},
			{LinesPerSec: 300, Seconds: 2, ServerRunQueueWait: seconds(1.5), ServerCPUPerLine: 7, P99: 60, Active: 50, Served: 50, Errors: map[string]int64{"reset": 1, "mismatch": 1}},
			{LinesPerSec: 200, Seconds: 2, ServerRunQueueWait: seconds(1), ServerCPUPerLine: 8, P99: 90, Active: 50, Served: 50},
		},
		{
			{LinesPerSec: 400, Seconds: 3, ServerRunQueueWait: seconds(3.3), ServerCPUPerLine: 12.25, P99: 1600, Active: 50, Served: 48},
			{LinesPerSec: 400, Seconds: 3, ServerCPUPerLine: 10, P99: 1500, Active: 50, Served: 50},
			{LinesPerSec: 400, Seconds: 3, ServerRunQueueWait: seconds(1.8), ServerCPUPerLine: 11, P99: 1400, Active: 50, Served: 50},
		},
		{{LinesPerSec: 300, P99: 800, Active: 50, Served: 50}, {LinesPerSec: 100, P99: 700, Active: 50, Served: 50}, {LinesPerSec: 200, P99: 750, Active: 50, Served: 50}},
	} {
		runs[i].errs = map[string]int64{}
		for _, r := range rs {
			runs[i].add(r)
		}
	}
	pt := c.printBaselineRow(50, 64, runs)

	lines := []string{
		"chansync (goroutine mode, reactor mode) against the baseline, median of 3 runs each, in alternating order.",
		"Ratios: goroutine mode against the baseline; reactor mode against goroutine mode.",
		"",
		"| conns | line | baseline lines/s | goroutine lines/s | reactor lines/s | ratios | baseline CPU/line | goroutine CPU/line | reactor CPU/line | ratios | baseline wait | goroutine wait | reactor wait | baseline p99 | goroutine p99 | reactor p99 | ratios | errors (baseline; goroutine; reactor) |",
		"|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
		"| 50 | 64 B | 200 | 400 | 200 | 2.00x / 0.50x | 8.0µs | 11.0µs | – | 1.38x / – | 0.50 s/s | 1.10 s/s | – | 73µs | 1.5ms | 750µs | 20.55x / 0.50x | 1 × mismatch, 2 × reset; none; none |",
	}
	if want := strings.Join(lines, "\n") + "\n"; out.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", out.String(), want)
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

// The second table's header and a row, from one made-up run of each
// mode, written to a report as -report does: each mode's wait is its
// run's wait over its seconds, and thread mode's, whose ended threads took
// more wait with them than the others gained, was not measured.
func TestModesTable(t *testing.T) {
	var out bytes.Buffer
	path := filepath.Join(t.TempDir(), "compare.md")
	rep := report.New(path, "modes", "echoload", []string{"-compare"})
	c := &comparison{out: rep.Tee(&out)}
	kinds := []string{"goroutine", "thread", "sequential", "reactor"}
	c.printModesHeader(kinds)
	pt := c.printModesRow(50, kinds, []result{
		{LinesPerSec: 90000, Seconds: 2, ServerRunQueueWait: seconds(3), ServerCPUPerLine: 14, Active: 50, Served: 50},
		{LinesPerSec: 30000, Seconds: 2, ServerCPUPerLine: 43.6, Active: 50, Served: 50},
		{LinesPerSec: 15000, Seconds: 4, ServerRunQueueWait: seconds(0.12), ServerCPUPerLine: 20, Active: 50, Served: 1},
		{LinesPerSec: 80000, Seconds: 0.5, ServerRunQueueWait: seconds(0.175), ServerCPUPerLine: 13.5, Active: 50, Served: 50},
	})
	lines := []string{
		"",
		"The tutorial's versions, 64-byte lines, one run each:",
		"",
		"| conns | goroutine lines/s | thread lines/s | sequential lines/s | reactor lines/s | goroutine CPU/line | thread CPU/line | sequential CPU/line | reactor CPU/line | goroutine wait | thread wait | sequential wait | reactor wait | sequential: connections served |",
		"|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
		"| 50 | 90000 | 30000 | 15000 | 80000 | 14.0µs | 43.6µs | 20.0µs | 13.5µs | 1.50 s/s | – | 0.03 s/s | 0.35 s/s | 1 of 50 |",
	}
	if want := strings.Join(lines, "\n") + "\n"; out.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", out.String(), want)
	}
	if len(pt.Series) != 4 || pt.Series[2].Name != "sequential" || pt.Series[2].Unserved != 49 {
		t.Errorf("point %+v; want one series per mode, sequential mode's with 49 connections unserved", pt)
	}
	if err := rep.Write(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(b), out.String()) {
		t.Errorf("report:\n%s\nwant it to end with the table:\n%s", b, out.String())
	}
}

// The last table's rows: a server's wait per second of its run, "–" where
// the run did not measure it (no wait, or no length to divide it by).
func TestScaleRows(t *testing.T) {
	var out bytes.Buffer
	c := &comparison{out: &out}
	c.printScaleRow("goroutine", result{LinesPerSec: 40000, Seconds: 2.5, ServerRunQueueWait: seconds(2), ServerCPUPerLine: 30, P99: 472319, Served: 10000})
	c.printScaleRow("baseline", result{LinesPerSec: 30000, Seconds: 3, P99: 653311, Served: 9999, Errors: map[string]int64{"reset": 1}})
	c.printScaleRow("reactor", result{LinesPerSec: 50000, ServerRunQueueWait: seconds(1), ServerCPUPerLine: 20, P99: 189311, Served: 10000})
	want := "| goroutine | 40000 | 30.0µs | 0.80 s/s | 472.319ms | 10000 | none |\n" +
		"| baseline | 30000 | – | – | 653.311ms | 9999 | 1 × reset |\n" +
		"| reactor | 50000 | 20.0µs | – | 189.311ms | 10000 | none |\n"
	if out.String() != want {
		t.Errorf("rows:\n%s\nwant:\n%s", out.String(), want)
	}
}
