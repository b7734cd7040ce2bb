package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/chansync/chansync/cmd/internal/figure/figuretest"
)

// fixedResults are the README's figures, as the program measures them.
func fixedResults() *results {
	return &results{Date: "2026-11-26", GoVersion: "go1.26.8", CPUs: 2, GOMAXPROCS: 2, Tasks: 1000, Iters: 10,
		Rows: []row{
			{Metric: "memory per task, resident (RSS slope)", Unit: "KiB", Threads: stat{19.6, 0.04}, Goroutines: &stat{2.83, 0.03}},
			{Metric: "memory per thread, kernel stack (system-wide)", Unit: "KiB", Threads: stat{16.0, 0.02}},
			{Metric: "creation, per task (spawn until all running)", Unit: "µs", Threads: stat{35.2, 1.98}, Goroutines: &stat{0.44, 0.17}},
			{Metric: "creation, spawn to first instruction", Unit: "µs", Threads: stat{17.0, 1.71}, Goroutines: &stat{0.24, 0.14}},
			{Metric: "context switch, channel", Unit: "µs", Threads: stat{29.5, 0.66}, Goroutines: &stat{0.15, 0.02}},
			{Metric: "context switch, socketpair", Unit: "µs", Threads: stat{21.0, 0.94}, Goroutines: &stat{3.41, 0.12}},
		}}
}

func TestPlotResults(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"chart.png", "chart.svg"} {
		path := filepath.Join(dir, name)
		if err := plotResults(path, fixedResults()); err != nil {
			t.Fatal(err)
		}
		// Six metrics of 1.35 inches, two panels' axes of 0.9, and margins.
		if err := figuretest.Check(path, 10.2*vg.Inch, 4.6*vg.Inch, 2); err != nil {
			t.Error(err)
		}
	}
	svg, err := os.ReadFile(filepath.Join(dir, "chart.svg"))
	if err != nil {
		t.Fatal(err)
	}
	// The improvement factors, computed from the values drawn, and the
	// kernel stack's missing goroutine side.
	for _, want := range []string{"6.9x", "80.0x", "70.8x", "196.7x", "6.2x", "n/a", "KiB (log scale)", "µs (log scale)"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("the chart lacks %q", want)
		}
	}
}

// One panel per unit; a chart of one unit has one.
func TestPlotMetricsOneUnit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "one.svg")
	err := plotMetrics(path, "title", "caption", []metricBars{
		{Label: "a", Unit: "ms", Threads: 10, Goroutines: 1},
		{Label: "b", Unit: "ms", Threads: 5, Goroutines: 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := figuretest.Check(path, 6.5*vg.Inch, 4.6*vg.Inch, 2); err != nil {
		t.Error(err)
	}
	if err := plotMetrics(path, "", "", nil); err == nil {
		t.Error("plotted no metrics")
	}
	if err := plotMetrics(path, "", "", []metricBars{{Label: "a", Unit: "ms"}}); err == nil {
		t.Error("plotted a metric without values")
	}
}

func TestMetricLabel(t *testing.T) {
	for in, want := range map[string]string{
		"context switch, channel":                       "context switch,\nchannel",
		"creation, per task (spawn until all running)":  "creation, per task\n(spawn until all\nrunning)",
		"memory per thread, kernel stack (system-wide)": "memory per thread,\nkernel stack\n(system-wide)",
		"short": "short",
	} {
		if got := metricLabel(in); got != want {
			t.Errorf("metricLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// A bad -plot argument fails at once, before anything is measured.
func TestBadPlotArguments(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{file, filepath.Join(file, "sub"), "/proc/self"} {
		var out, errb bytes.Buffer
		code := run([]string{"-quick", "-plot", path}, &out, &errb)
		msg := errb.String()
		if code != 2 || out.Len() != 0 || !strings.HasPrefix(msg, "ctxswitch: -plot "+path+": ") || strings.Count(msg, "\n") != 1 {
			t.Errorf("-plot %s: exit %d, stdout %q, stderr %q; want 2, nothing, one line", path, code, out.String(), msg)
		}
	}
}
