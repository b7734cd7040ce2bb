package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot/vg"

	"github.com/chansync/chansync/cmd/internal/figure/figuretest"
	"github.com/chansync/chansync/internal/baseline"
)

// fixedPoints is a comparison's worth of made-up figures: the six load
// points of -compare, each with n servers whose latency grows with the
// percentile and with the server's number.
func fixedPoints(n int) []loadPoint {
	var points []loadPoint
	for _, size := range []int{64, 4096} {
		for _, conns := range []int{1, 50, 1000} {
			pt := loadPoint{Conns: conns, Size: size}
			for i := range n {
				s := series{Name: fmt.Sprintf("server %d", i), LinesPerSec: float64(20000*(i+1) + conns)}
				for _, p := range curvePercentiles {
					s.Latency = append(s.Latency, latencyPoint{p, float64(conns*(i+1)) * 20 * math.Sqrt(100/(100-p))})
				}
				pt.Series = append(pt.Series, s)
			}
			points = append(points, pt)
		}
	}
	return points
}

// The figures are written as SVG but for one PNG in each test: drawing a
// PNG takes seconds under the race detector. TestRunPlots writes both kinds
// of figure as PNG.

func TestPlotLatency(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{1, 2, 3} {
		path := filepath.Join(dir, fmt.Sprintf("latency-%d.svg", n))
		if err := plotLatency(path, "title", "caption", fixedPoints(n), 3); err != nil {
			t.Fatal(err)
		}
		// Three panels of 3.2 inches across, two rows of 2.9 and 1.2 for
		// the titles and the caption.
		if err := figuretest.Check(path, 9.6*vg.Inch, 7*vg.Inch, n); err != nil {
			t.Error(err)
		}
	}
	// One point, one panel.
	path := filepath.Join(dir, "one.png")
	if err := plotLatency(path, "title", "caption", fixedPoints(2)[:1], 1); err != nil {
		t.Fatal(err)
	}
	if err := figuretest.Check(path, 6.5*vg.Inch, 4.1*vg.Inch, 2); err != nil {
		t.Error(err)
	}
}

func TestPlotThroughput(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{1, 2, 3} {
		path := filepath.Join(dir, fmt.Sprintf("throughput-%d.svg", n))
		if err := plotThroughput(path, "title", "caption", fixedPoints(n)); err != nil {
			t.Fatal(err)
		}
		// Six groups of 1.3 inches and 1.2 for the axis.
		if err := figuretest.Check(path, 9*vg.Inch, 4.2*vg.Inch, n); err != nil {
			t.Error(err)
		}
	}
}

func TestPlotRejectsEmptyData(t *testing.T) {
	dir := t.TempDir()
	if err := plotLatency(filepath.Join(dir, "a.png"), "", "", nil, 3); err == nil {
		t.Error("plotLatency drew no points")
	}
	if err := plotThroughput(filepath.Join(dir, "b.png"), "", "", nil); err == nil {
		t.Error("plotThroughput drew no points")
	}
	noLatency := []loadPoint{{Conns: 1, Size: 64, Series: []series{{Name: "x", LinesPerSec: 1}}}}
	if err := plotLatency(filepath.Join(dir, "c.png"), "", "", noLatency, 1); err == nil {
		t.Error("plotLatency drew a point without latencies")
	}
}

// The comparison's four figures, one colour per server or mode, whatever
// their number: a third server in the comparison shows as a third series.
func TestFiguresOfComparison(t *testing.T) {
	dir := t.TempDir()
	f := &figures{dir: dir, format: "svg"}
	servers := fixedPoints(3)
	modes := fixedPoints(3)[:3]
	modes[1].Series[2].Unserved = 49
	paths, err := f.compare(servers, modes, 3*time.Second, 6)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 4 {
		t.Errorf("compare wrote %q, want its 4 figures", paths)
	}
	for _, c := range []struct {
		name string
		w, h vg.Length
	}{
		{latencyFile, 9.6 * vg.Inch, 7 * vg.Inch},
		{throughputFile, 9 * vg.Inch, 4.2 * vg.Inch},
		{modesLatencyFile, 9.6 * vg.Inch, 4.1 * vg.Inch},
		{modesThroughputFile, 6.5 * vg.Inch, 4.2 * vg.Inch},
	} {
		if err := figuretest.Check(filepath.Join(dir, c.name+".svg"), c.w, c.h, 3); err != nil {
			t.Error(err)
		}
	}
}

func TestLatencyCurve(t *testing.T) {
	h := newHistogram()
	for v := int64(1); v <= 1000; v++ {
		h.RecordValue(v)
	}
	curve := latencyCurve(h)
	last := curve[len(curve)-1]
	// 1000 values resolve 1/(1-p) up to 1000, that is 99.9%, and no more.
	if math.Abs(last.Percentile-99.9) > 1e-9 {
		t.Errorf("the curve ends at %v%%, want 99.9%%", last.Percentile)
	}
	if curve[0].Percentile != 0 || curve[0].Micros != 1 || last.Micros != 999 {
		t.Errorf("curve from %+v to %+v, want from 0%%: 1µs to 99.9%%: 999µs", curve[0], last)
	}
	for i := 1; i < len(curve); i++ {
		if curve[i].Percentile <= curve[i-1].Percentile || curve[i].Micros < curve[i-1].Micros {
			t.Fatalf("curve not increasing at %d: %+v then %+v", i, curve[i-1], curve[i])
		}
	}
	if c := latencyCurve(hdrhistogram.New(1, 10, 1)); len(c) != 0 {
		t.Errorf("an empty histogram gave %v", c)
	}
}

func TestMedianCurve(t *testing.T) {
	a := []latencyPoint{{0, 1}, {50, 10}, {90, 100}}
	b := []latencyPoint{{0, 3}, {50, 30}}
	c := []latencyPoint{{0, 2}, {50, 50}, {90, 200}}
	got := medianCurve([][]latencyPoint{a, b, c})
	want := []latencyPoint{{0, 2}, {50, 30}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("medianCurve = %v, want %v (the median at each percentile, as far as the shortest)", got, want)
	}
	if medianCurve(nil) != nil {
		t.Error("median of no curves")
	}
}

func TestTicks(t *testing.T) {
	labels := func(ticks []string) string { return strings.Join(ticks, " ") }
	var pct []string
	for _, tk := range percentileTicks(3.2) {
		if tk.Label != "" {
			pct = append(pct, tk.Label)
		}
	}
	if got := labels(pct); got != "50% 90% 99% 99.9%" {
		t.Errorf("percentile ticks up to 10^3.2: %s", got)
	}
	var dur []string
	for _, tk := range durationTicks(math.Log10(30), math.Log10(3000)) {
		if tk.Label != "" {
			dur = append(dur, tk.Label)
		}
	}
	if got := labels(dur); got != "50µs 100µs 200µs 500µs 1ms 2ms" {
		t.Errorf("duration ticks from 30µs to 3ms: %s", got)
	}
	dur = nil
	for _, tk := range durationTicks(1, 6) {
		if tk.Label != "" {
			dur = append(dur, tk.Label)
		}
	}
	if got := labels(dur); got != "10µs 100µs 1ms 10ms 100ms 1s" {
		t.Errorf("duration ticks from 10µs to 1s: %s", got)
	}
}

func TestRateText(t *testing.T) {
	for v, want := range map[float64]string{950: "950", 16471: "16.5k", 19000: "19k", 161411: "161k"} {
		if got := rateText(v); got != want {
			t.Errorf("rateText(%v) = %q, want %q", v, got, want)
		}
	}
}

// A load run with -plot draws its two figures, as PNG unless told.
func TestRunPlots(t *testing.T) {
	ln := listen(t)
	go baseline.ServeEcho(ln)
	defer ln.Close()
	for _, format := range []string{"", "svg"} {
		dir := filepath.Join(t.TempDir(), "new", "figures")
		args := []string{"-addr", ln.Addr().String(), "-c", "2", "-n", "2000", "-plot", dir}
		ext := ".png"
		if format != "" {
			args, ext = append(args, "-plot-format", format), "."+format
		}
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb, noInterrupts); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		latency, throughput := filepath.Join(dir, latencyFile+ext), filepath.Join(dir, throughputFile+ext)
		if want := "echoload: wrote " + latency + "\nechoload: wrote " + throughput + "\n"; errb.String() != want {
			t.Errorf("stderr %q, want %q", errb.String(), want)
		}
		if err := figuretest.Check(filepath.Join(dir, latencyFile+ext), 6.5*vg.Inch, 4.1*vg.Inch, 1); err != nil {
			t.Error(err)
		}
		if err := figuretest.Check(filepath.Join(dir, throughputFile+ext), 6.5*vg.Inch, 4.2*vg.Inch, 1); err != nil {
			t.Error(err)
		}
	}
}

// Bad -plot arguments fail at once, before any load: nothing is printed
// on stdout, not even with -compare, whose first table would take minutes.
func TestBadPlotArguments(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ln := listen(t)
	addr := ln.Addr().String()
	ln.Close() // nothing listens: a load run would fail with exit 1
	for _, args := range [][]string{
		{"-plot", filepath.Join(file, "sub")},
		{"-plot", dir, "-plot-format", "gif"},
		{"-plot", "/proc/self"},
		{"-compare", "-plot", filepath.Join(file, "sub")},
		{"-compare", "-plot", dir, "-plot-format", "jpg"},
	} {
		var out, errb bytes.Buffer
		if args[0] != "-compare" {
			args = append([]string{"-addr", addr, "-n", "10"}, args...)
		}
		code := run(args, &out, &errb, noInterrupts)
		msg := errb.String()
		if code != 2 || out.Len() != 0 || !strings.HasPrefix(msg, "echoload: ") || strings.Count(msg, "\n") != 1 {
			t.Errorf("run(%q) = %d, stdout %q, stderr %q; want 2, nothing, one line", args, code, out.String(), msg)
		}
	}
}

// A bar and a curve that stand for only some of their point's connections
// say how many, from the data: the sequential server serves one connection
// at a time, so at 1000 connections a run measures the first few.
func TestFiguresMarkUnservedConnections(t *testing.T) {
	dir := t.TempDir()
	modes := []loadPoint{
		{Conns: 1, Size: 64, Series: []series{{Name: "goroutine", LinesPerSec: 27800, Latency: fixedPoints(1)[0].Series[0].Latency}, {Name: "sequential", LinesPerSec: 6200, Latency: fixedPoints(1)[0].Series[0].Latency}}},
		{Conns: 1000, Size: 64, Series: []series{{Name: "goroutine", LinesPerSec: 49200, Latency: fixedPoints(1)[0].Series[0].Latency}, {Name: "sequential", LinesPerSec: 26900, Latency: fixedPoints(1)[0].Series[0].Latency, Unserved: 998}}},
	}
	throughput, latency := filepath.Join(dir, "throughput.svg"), filepath.Join(dir, "latency.svg")
	if err := plotThroughput(throughput, "title", "caption", modes); err != nil {
		t.Fatal(err)
	}
	if err := plotLatency(latency, "title", "caption", modes, 2); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][]string{
		throughput: {">served<", ">2 of<", ">1000<"},
		latency:    {"sequential (served 2/1000)"},
	} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if strings.Count(string(b), w) != 1 {
				t.Errorf("%s has %d × %q, want 1", filepath.Base(path), strings.Count(string(b), w), w)
			}
		}
	}

	// Every connection served: no mark.
	modes[1].Series[1].Unserved = 0
	if err := plotThroughput(throughput, "title", "caption", modes); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(throughput); strings.Contains(string(b), "served") {
		t.Error("the figure marks a point where every connection was served")
	}
}
