package main

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

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

// curvePercentiles are the percentiles at which latency curves are read:
// evenly spaced on the 1/(1-p) axis, 20 per decade, from 0% to 99.99%.
// Further nines would take a run of a million lines to resolve.
var curvePercentiles = func() []float64 {
	var ps []float64
	for k := 0; k <= 80; k++ {
		ps = append(ps, 100*(1-math.Pow(10, -float64(k)/20)))
	}
	return ps
}()

// latencyCurve reads h at the curve's percentiles, as far as its count of
// values resolves them: a percentile p needs 1/(1-p) values.
func latencyCurve(h *hdrhistogram.Histogram) []latencyPoint {
	var curve []latencyPoint
	for _, p := range curvePercentiles {
		if h.TotalCount() == 0 || 100/(100-p) > float64(h.TotalCount())+0.5 {
			break
		}
		curve = append(curve, latencyPoint{p, float64(h.ValueAtPercentile(p))})
	}
	return curve
}

// medianCurve is, at each percentile, the median over runs of that
// percentile's latency, as far as the shortest curve goes. At 99% it is the
// median p99 the table reports.
func medianCurve(curves [][]latencyPoint) []latencyPoint {
	if len(curves) == 0 {
		return nil
	}
	n := len(curves[0])
	for _, c := range curves {
		n = min(n, len(c))
	}
	out := make([]latencyPoint, n)
	for i := range n {
		xs := make([]float64, len(curves))
		for j, c := range curves {
			xs[j] = c[i].Micros
		}
		out[i] = latencyPoint{curves[0][i].Percentile, median(xs)}
	}
	return out
}

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

// plotLatency draws the latency percentile distribution of every point,
// one panel per point in rows of cols, one line per series, on the
// HdrHistogram axis: percentiles spaced by 1/(1-p), so that each further
// nine (90%, 99%, 99.9%) takes the same width.
func plotLatency(path, title, caption string, points []loadPoint, cols int) error {
	if len(points) == 0 {
		return fmt.Errorf("no load points to plot")
	}
	all := names(points)
	rows := (len(points) + cols - 1) / cols
	panels := make([][]*plot.Plot, rows)
	for i := range panels {
		panels[i] = make([]*plot.Plot, cols)
	}
	for i, pt := range points {
		p, err := latencyPanel(pt, all)
		if err != nil {
			return err
		}
		panels[i/cols][i%cols] = p
	}
	// The axes are the same in every panel: named once, at the bottom and
	// on the left.
	for r, row := range panels {
		for k, p := range row {
			if p != nil && r < rows-1 {
				p.X.Label.Text = ""
			}
			if p != nil && k > 0 {
				p.Y.Label.Text = ""
			}
		}
	}
	width := max(6.5, 3.2*float64(cols))
	f := figure.Figure{
		Title: title, Caption: caption, Panels: panels,
		Width: vg.Length(width) * vg.Inch, Height: vg.Length(1.2+2.9*float64(rows)) * vg.Inch,
	}
	return f.Save(path)
}

// latencyPanel draws one point. Both axes are logarithmic; the plot holds
// the logarithms on linear axes, with ticks labelled in percentiles and
// durations, because gonum places an axis label by the arithmetic middle of
// its range, which on a log scale pushes the label, and the room kept for
// it, off the end of the axis.
func latencyPanel(pt loadPoint, all []string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s, %d-byte lines", connsText(pt.Conns), pt.Size)
	p.X.Label.Text = "percentile (log scale of 1/(1-p))"
	p.Y.Label.Text = "latency (log scale)"
	p.Y.Tick.Marker = plot.TickerFunc(durationTicks)
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = 9
	p.Legend.ThumbnailWidth = 14
	p.Legend.XOffs, p.Legend.YOffs = 4, -2
	p.Add(plotter.NewGrid())
	lo, hi, xmax := math.Inf(1), math.Inf(-1), 1.0
	for _, s := range pt.Series {
		if len(s.Latency) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(s.Latency))
		for i, lp := range s.Latency {
			xys[i] = plotter.XY{X: math.Log10(100 / (100 - lp.Percentile)), Y: math.Log10(max(lp.Micros, 1))}
			lo, hi = min(lo, xys[i].Y), max(hi, xys[i].Y)
		}
		xmax = max(xmax, xys[len(xys)-1].X)
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", s.Name, err)
		}
		line.Color = figure.Color(slices.Index(all, s.Name))
		line.Width = 2
		p.Add(line)
		name := s.Name
		if served := s.servedText(pt.Conns); served != "" {
			name += " (" + served + ")"
		}
		p.Legend.Add(name, line)
	}
	if math.IsInf(lo, 1) {
		return nil, fmt.Errorf("%s: no latencies to plot", p.Title.Text)
	}
	// A curve that ends at a labelled percentile ends exactly there, not a
	// rounding error short of it, which would leave that tick off.
	if r := math.Round(xmax); math.Abs(r-xmax) < 0.01 {
		xmax = max(xmax, r)
	}
	p.X.Min, p.X.Max = 0, xmax
	p.X.Tick.Marker = percentileTicks(xmax)
	p.X.Tick.Label.Font.Size = 9
	// Room above the curves for the legend: a line of it takes about a
	// twelfth of the height.
	share := 0.08*float64(len(pt.Series)) + 0.04
	p.Y.Min = lo - 0.1
	p.Y.Max = hi + max(hi-p.Y.Min, 0.5)*share/(1-share)
	return p, nil
}

// percentileTicks labels the axis of log10(1/(1-p)) with the percentiles,
// up to xmax.
func percentileTicks(xmax float64) plot.ConstantTicks {
	// 0% (the minimum) is too close to 50% for a label of its own.
	ticks := plot.ConstantTicks{{Value: 0}, {Value: math.Log10(2), Label: "50%"}}
	for i, label := range []string{"90%", "99%", "99.9%", "99.99%"} {
		if float64(i+1) > xmax+0.01 {
			break
		}
		ticks = append(ticks, plot.Tick{Value: float64(i + 1), Label: label})
	}
	return ticks
}

// durationTicks marks an axis of log10(microseconds) with durations: 1, 2
// and 5 in each decade when the range is narrow, the decades alone when it
// is wide, and unlabelled marks between.
func durationTicks(lo, hi float64) []plot.Tick {
	steps := []float64{1, 2, 5}
	if hi-lo > 2.5 {
		steps = []float64{1}
	}
	var ticks []plot.Tick
	for d := math.Pow(10, math.Floor(lo)); math.Log10(d) <= hi; d *= 10 {
		for m := 1.0; m < 10; m++ {
			v := math.Log10(d * m)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if slices.Contains(steps, m) {
				t.Label = time.Duration(d * m * float64(time.Microsecond)).String()
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// plotThroughput draws lines/s as grouped bars: a group per load point, a
// bar per series, its value written above it.
func plotThroughput(path, title, caption string, points []loadPoint) error {
	if len(points) == 0 {
		return fmt.Errorf("no load points to plot")
	}
	all := names(points)
	p := plot.New()
	p.Y.Label.Text = "lines per second (more is better)"
	p.Y.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		ticks := plot.DefaultTicks{}.Ticks(lo, hi)
		for i := range ticks {
			if ticks[i].Label != "" {
				ticks[i].Label = rateText(ticks[i].Value)
			}
		}
		return ticks
	})
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = 10
	p.Add(&plotter.Grid{Horizontal: plotter.DefaultGridLineStyle})

	width := max(6.5, 1.3*float64(len(points))+1.2)
	// The bars of a group fill 70% of the group's share of the data area.
	barW := vg.Length(min(0.8, (width-1.2)/float64(len(points))*0.7/float64(len(all)))) * vg.Inch
	top := 0.0
	annotated := false
	for i, name := range all {
		values := make(plotter.Values, len(points))
		for j, pt := range points {
			for _, s := range pt.Series {
				if s.Name == name {
					values[j] = s.LinesPerSec
				}
			}
			top = max(top, values[j])
		}
		bars, err := plotter.NewBarChart(values, barW)
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		bars.Color = figure.Color(i)
		bars.LineStyle.Width = 0
		bars.Offset = barW * (vg.Length(i) - vg.Length(len(all)-1)/2)
		p.Add(bars)
		p.Legend.Add(name, bars)

		labels := make([]string, len(values))
		xys := make(plotter.XYs, len(values))
		for j, v := range values {
			labels[j], xys[j] = rateText(v), plotter.XY{X: float64(j), Y: v}
		}
		l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return err
		}
		for k := range l.TextStyle {
			l.TextStyle[k] = figure.TextStyle(8, bars.Color)
		}
		l.Offset = vg.Point{X: bars.Offset, Y: 2}
		p.Add(l)

		// Above the value, how few connections a bar stands for when the
		// server left some without an echo; in short lines, no wider than
		// a bar, so that neighbouring marks do not run into each other.
		var servedXYs plotter.XYs
		var served []string
		for j, pt := range points {
			for _, s := range pt.Series {
				if s.Name == name && s.Unserved > 0 {
					servedXYs = append(servedXYs, plotter.XY{X: float64(j), Y: values[j]})
					served = append(served, fmt.Sprintf("served\n%d of\n%d", pt.Conns-s.Unserved, pt.Conns))
				}
			}
		}
		if len(served) > 0 {
			annotated = true
			l, err := plotter.NewLabels(plotter.XYLabels{XYs: servedXYs, Labels: served})
			if err != nil {
				return err
			}
			for k := range l.TextStyle {
				l.TextStyle[k] = figure.TextStyle(7, bars.Color)
			}
			l.Offset = vg.Point{X: bars.Offset, Y: 12}
			p.Add(l)
		}
	}
	groups := make([]string, len(points))
	for j, pt := range points {
		groups[j] = fmt.Sprintf("%s\n%d-byte lines", connsText(pt.Conns), pt.Size)
	}
	p.NominalX(groups...)
	// Half a group's room on either side, so no padding beside the axis
	// (which NominalX adds for its first label).
	p.X.Min, p.X.Max = -0.5, float64(len(points))-0.5
	p.Y.Padding = 0
	p.X.Tick.Label.XAlign = draw.XCenter
	room := 1.15 + 0.08*float64(len(all)) // for the value labels and the legend
	if annotated {
		room += 0.15
	}
	p.Y.Min, p.Y.Max = 0, top*room
	f := figure.Figure{
		Title: title, Caption: caption, Panels: [][]*plot.Plot{{p}},
		Width: vg.Length(width) * vg.Inch, Height: 4.2 * vg.Inch,
	}
	return f.Save(path)
}

// rateText writes a rate to three figures: 950, 16.5k, 162k.
func rateText(v float64) string {
	switch {
	case v >= 100_000:
		return fmt.Sprintf("%.0fk", v/1000)
	case v >= 1000:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v/1000), ".0") + "k"
	}
	return fmt.Sprintf("%.0f", v)
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
