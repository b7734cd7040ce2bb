package main

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/chansync/chansync/cmd/internal/figure"
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
