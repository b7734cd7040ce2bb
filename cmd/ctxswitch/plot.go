package main

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/chansync/chansync/cmd/internal/figure"
)

// A metricBars is one metric of the chart as plain values: the mean cost
// of an OS thread and of a goroutine, in Unit. Goroutines is 0 where the
// metric has no goroutine side (a thread's kernel stack).
type metricBars struct {
	Label      string
	Unit       string
	Threads    float64
	Goroutines float64
}

// The two sides, in the order and colours of the bars.
var sides = []string{"OS threads", "goroutines"}

// plotMetrics draws the metrics as grouped bars, threads against
// goroutines, on a log scale, with the improvement factor above each pair.
// Metrics of one unit share a panel, so no axis mixes microseconds and
// kibibytes; the panels' widths follow their number of metrics.
func plotMetrics(path, title, caption string, metrics []metricBars) error {
	var units []string
	for _, m := range metrics {
		if !slices.Contains(units, m.Unit) {
			units = append(units, m.Unit)
		}
	}
	if len(units) == 0 {
		return fmt.Errorf("no metrics to plot")
	}
	var row []*plot.Plot
	var widths []float64
	for i, unit := range units {
		var group []metricBars
		for _, m := range metrics {
			if m.Unit == unit {
				group = append(group, m)
			}
		}
		p, err := metricPanel(unit, group, i == 0)
		if err != nil {
			return err
		}
		row = append(row, p)
		// A metric takes groupWidth, a panel's axis about axisWidth more.
		widths = append(widths, groupWidth*float64(len(group))+axisWidth)
	}
	var total float64
	for _, w := range widths {
		total += w
	}
	f := figure.Figure{
		Title: title, Caption: caption, Panels: [][]*plot.Plot{row}, ColumnWidths: widths,
		Width: vg.Length(max(6.5, total+0.3)) * vg.Inch, Height: 4.6 * vg.Inch,
	}
	return f.Save(path)
}

// The layout, in inches: a metric's group of bars (wide enough for its
// label), and the room for a panel's axis; a bar takes 30% of its group.
const (
	groupWidth = 1.35
	axisWidth  = 0.9
	barWidth   = vg.Length(0.3*groupWidth) * vg.Inch
)

// metricPanel draws the metrics of one unit. The axis is logarithmic: the
// plot holds log10 of the values on a linear axis, labelled with the values
// (gonum's log scale cannot draw bars, which start at zero). Each bar stands
// on an invisible one that reaches the axis floor.
func metricPanel(unit string, metrics []metricBars, legend bool) (*plot.Plot, error) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, m := range metrics {
		for _, v := range []float64{m.Threads, m.Goroutines} {
			if v > 0 {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 1) {
		return nil, fmt.Errorf("%s: no positive values to plot", unit)
	}
	floor := math.Floor(math.Log10(lo / 2))
	p := plot.New()
	p.Y.Label.Text = fmt.Sprintf("%s (log scale); less is better", unit)
	p.Y.Tick.Marker = plot.TickerFunc(decadeTicks)
	p.Y.Min, p.Y.Max = floor, math.Log10(hi)+0.75 // room for the labels and the legend
	p.Add(&plotter.Grid{Horizontal: plotter.DefaultGridLineStyle})

	base := make(plotter.Values, len(metrics))
	for i := range base {
		base[i] = floor
	}
	baseBars, err := plotter.NewBarChart(base, barWidth)
	if err != nil {
		return nil, err
	}
	for side, name := range sides {
		heights := make(plotter.Values, len(metrics))
		var xys plotter.XYs
		var labels []string
		for i, m := range metrics {
			v := []float64{m.Threads, m.Goroutines}[side]
			if v <= 0 {
				heights[i] = 0
				xys = append(xys, plotter.XY{X: float64(i), Y: floor})
				labels = append(labels, "n/a")
				continue
			}
			heights[i] = math.Log10(v) - floor
			xys = append(xys, plotter.XY{X: float64(i), Y: math.Log10(v)})
			labels = append(labels, num(v)) // as the table writes it
		}
		bars, err := plotter.NewBarChart(heights, barWidth)
		if err != nil {
			return nil, err
		}
		bars.StackOn(baseBars)
		bars.Color = figure.Color(side)
		bars.LineStyle.Width = 0
		bars.Offset = barWidth * (vg.Length(side) - 0.5)
		p.Add(bars)
		if legend {
			p.Legend.Add(name, bars)
		}
		l, err := figure.Labels(xys, labels, 9, bars.Color, vg.Point{X: bars.Offset, Y: 2})
		if err != nil {
			return nil, err
		}
		p.Add(l)
	}

	// The improvement factor, above the taller bar of each pair.
	var xys plotter.XYs
	var factors []string
	for i, m := range metrics {
		if m.Threads > 0 && m.Goroutines > 0 {
			xys = append(xys, plotter.XY{X: float64(i), Y: math.Log10(max(m.Threads, m.Goroutines))})
			factors = append(factors, fmt.Sprintf("%.1fx", m.Threads/m.Goroutines))
		}
	}
	if len(xys) > 0 {
		l, err := figure.Labels(xys, factors, 13, color.Black, vg.Point{Y: 18})
		if err != nil {
			return nil, err
		}
		p.Add(l)
	}

	names := make([]string, len(metrics))
	for i, m := range metrics {
		names[i] = m.Label
	}
	p.NominalX(names...)
	// Half a group's room on either side, so no padding beside the axis
	// (which NominalX adds for its first label).
	p.X.Min, p.X.Max = -0.5, float64(len(metrics))-0.5
	p.Y.Padding = 0
	p.X.Tick.Label.XAlign = draw.XCenter
	p.X.Tick.Label.Font.Size = 9
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = 4
	p.Legend.TextStyle.Font.Size = 10
	return p, nil
}

// decadeTicks marks an axis of log10(values) at every decade, with the
// values, and at the multiples between, unlabelled.
func decadeTicks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(lo); e <= hi; e++ {
		for m := 1.0; m < 10; m++ {
			v := e + math.Log10(m)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 {
				t.Label = strconv.FormatFloat(math.Pow(10, e), 'g', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// metricLabel breaks a metric's name into lines of about 18 characters,
// and before its parenthesis, so that the group labels stay narrow.
func metricLabel(metric string) string {
	var lines []string
	for part := range strings.SplitSeq(strings.Replace(metric, " (", "\n(", 1), "\n") {
		line := ""
		for _, w := range strings.Fields(part) {
			if line != "" && len(line)+1+len(w) > 18 {
				lines = append(lines, line)
				line = ""
			}
			line = strings.TrimSpace(line + " " + w)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// plotResults draws res in path.
func plotResults(path string, res *results) error {
	var metrics []metricBars
	for _, r := range res.Rows {
		m := metricBars{Label: metricLabel(r.Metric), Unit: r.Unit, Threads: r.Threads.Mean}
		if r.Goroutines != nil {
			m.Goroutines = r.Goroutines.Mean
		}
		metrics = append(metrics, m)
	}
	caption := strings.Join([]string{fmt.Sprintf("ctxswitch: %d tasks, mean of %d runs", res.Tasks, res.Iters), figure.Machine(), res.Date}, figure.CaptionSep)
	return plotMetrics(path, "OS threads against goroutines (improvement factor above each pair)", caption, metrics)
}
