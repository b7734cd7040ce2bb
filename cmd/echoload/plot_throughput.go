package main

import (
	"fmt"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/chansync/chansync/cmd/internal/figure"
)

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
		l, err := figure.Labels(xys, labels, 8, bars.Color, vg.Point{X: bars.Offset, Y: 2})
		if err != nil {
			return err
		}
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
			l, err := figure.Labels(servedXYs, served, 7, bars.Color, vg.Point{X: bars.Offset, Y: 12})
			if err != nil {
				return err
			}
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
